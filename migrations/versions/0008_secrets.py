"""Secrets: the table of secrets Tessera generates once per database.

Access tokens are signed with TESSERA_SECRET_KEY, or, when it is not set, with a key
generated on first use and kept here, so that every process on the database signs and
checks tokens with the same key.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tessera_secrets",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_tessera_secrets"),
    )


def downgrade() -> None:
    op.drop_table("tessera_secrets")
