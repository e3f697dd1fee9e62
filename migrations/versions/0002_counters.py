"""Auto-number counters, one row per auto-number field.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tessera_counters",
        sa.Column("field_id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("field_id", name="pk_tessera_counters"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_counters_tenant_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("tessera_counters")
