"""Metadata components beyond objects and fields (validation rules first).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tessera_components",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("object_id", sa.Uuid, nullable=True),
        sa.Column("kind", sa.String(31), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("api_name", sa.String(63), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_components"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_components_tenant_id"
        ),
        sa.ForeignKeyConstraint(
            ["object_id"], ["tessera_objects.id"], name="fk_tessera_components_object_id"
        ),
    )
    op.create_index("ix_tessera_components_object_id", "tessera_components", ["object_id"])
    op.create_index(
        "ix_tessera_components_tenant_kind", "tessera_components", ["tenant_id", "kind"]
    )


def downgrade() -> None:
    op.drop_table("tessera_components")
