"""Build the engine context for one CLI invocation."""

from __future__ import annotations

from engine.context import EngineContext
from runtime.bootstrap import build_engine_context
from runtime.settings import Settings


def cli_engine_context() -> EngineContext:
    """Return an engine context on the configured database, system tables migrated."""
    return build_engine_context(Settings(), migrate=True)
