"""Stored lookup and master-detail definitions say `"indexed": true`.

Every lookup column has always had an index, but a definition stored without `indexed`
said `false`; new ones are stored with `true`. This revision rewrites the definitions
stored before, deleted fields included, so what the metadata says is what the table has.
Nothing changes in tenant tables.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_REFERENCE_TYPES = ("lookup", "master_detail")

fields = sa.table(
    "tessera_fields",
    sa.column("id", sa.Uuid),
    sa.column("definition", sa.JSON),
)


def upgrade() -> None:
    connection = op.get_bind()
    lookups = sa.select(fields.c.id, fields.c.definition).where(
        fields.c.definition["type"].as_string().in_(_REFERENCE_TYPES)
    )
    for row in connection.execute(lookups).all():
        if row.definition.get("indexed"):
            continue
        definition = {**row.definition, "indexed": True}
        connection.execute(
            sa.update(fields).where(fields.c.id == row.id).values(definition=definition)
        )


def downgrade() -> None:
    # `indexed` on a lookup changes nothing in the table: leaving it true is harmless.
    pass
