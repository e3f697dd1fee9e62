"""Alembic migrations of Tessera's own system tables (never of tenant tables)."""

from migrations.runner import upgrade_system_tables

__all__ = ["upgrade_system_tables"]
