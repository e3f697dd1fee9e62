"""Alembic migrations of Tessera's own system tables, and data fixes walking tenant tables.

Tenant tables themselves are built by the engine from metadata, never by Alembic.
"""

from migrations.runner import upgrade_system_tables

__all__ = ["upgrade_system_tables"]
