"""System tables: tenants, API keys, objects, fields, revisions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tessera_tenants",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("schema_name", sa.String(63), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_tenants"),
        sa.UniqueConstraint("name", name="uq_tessera_tenants_name"),
        sa.UniqueConstraint("schema_name", name="uq_tessera_tenants_schema_name"),
    )
    op.create_table(
        "tessera_api_keys",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(255)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_api_keys"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_api_keys_tenant_id"
        ),
    )
    op.create_index("ix_tessera_api_keys_tenant_id", "tessera_api_keys", ["tenant_id"])
    op.create_table(
        "tessera_objects",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("api_name", sa.String(63), nullable=False),
        sa.Column("table_name", sa.String(63), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("plural_label", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_objects"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_objects_tenant_id"
        ),
        sa.UniqueConstraint(
            "tenant_id", "table_name", name="uq_tessera_objects_tenant_id_table_name"
        ),
    )
    op.create_index("ix_tessera_objects_tenant_id", "tessera_objects", ["tenant_id"])
    op.create_index(
        "ix_tessera_objects_tenant_api_name", "tessera_objects", ["tenant_id", "api_name"]
    )
    op.create_table(
        "tessera_fields",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("object_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("api_name", sa.String(63), nullable=False),
        sa.Column("column_name", sa.String(63), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_fields"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_fields_tenant_id"
        ),
        sa.ForeignKeyConstraint(
            ["object_id"], ["tessera_objects.id"], name="fk_tessera_fields_object_id"
        ),
        sa.UniqueConstraint(
            "object_id", "column_name", name="uq_tessera_fields_object_id_column_name"
        ),
    )
    op.create_index("ix_tessera_fields_object_id", "tessera_fields", ["object_id"])
    op.create_table(
        "tessera_revisions",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "number", name="pk_tessera_revisions"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_revisions_tenant_id"
        ),
    )


def downgrade() -> None:
    for table in (
        "tessera_revisions",
        "tessera_fields",
        "tessera_objects",
        "tessera_api_keys",
        "tessera_tenants",
    ):
        op.drop_table(table)
