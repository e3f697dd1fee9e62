"""Build the engine context for one CLI invocation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine.context import EngineContext
from runtime.bootstrap import build_engine_context
from runtime.settings import Settings


@contextmanager
def cli_engine_context() -> Iterator[EngineContext]:
    """Yield an engine context on the configured database, system tables migrated.

    The connection pool is closed when the command ends.
    """
    context = build_engine_context(Settings(), migrate=True)
    try:
        yield context
    finally:
        context.db.dispose()
