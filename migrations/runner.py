"""Run the system-table migrations programmatically, on an existing engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_HERE = Path(__file__).resolve().parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(_HERE / "versions"))
    return config


def upgrade_system_tables(engine: Engine, *, revision: str = "head") -> None:
    """Bring Tessera's system tables to `revision` (idempotent)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade_system_tables(engine: Engine, *, revision: str) -> None:
    """Take Tessera's system tables back to `revision` (what later revisions add is lost)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def stamp_system_tables(engine: Engine, *, revision: str = "head") -> None:
    """Record `revision` as the system tables' revision without running any migration."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, revision)
