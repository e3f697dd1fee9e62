"""Alembic migrations of Tessera's own system tables, and data fixes walking tenant tables.

Tenant tables themselves are built by the engine from metadata, never by Alembic.
"""

from migrations.runner import (
    downgrade_system_tables,
    stamp_system_tables,
    upgrade_system_tables,
)

__all__ = ["downgrade_system_tables", "stamp_system_tables", "upgrade_system_tables"]
