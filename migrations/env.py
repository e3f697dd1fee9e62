"""Alembic environment: runs on the connection handed over by `upgrade_system_tables`."""

from __future__ import annotations

from alembic import context

from metadata.store.tables import system_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=system_metadata,
    version_table="tessera_alembic_version",
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
