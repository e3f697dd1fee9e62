"""Context objects passed explicitly to every engine entry point (no request globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Engine

from engine.catalog import CatalogCache
from engine.expressions import ExpressionCompiler


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class EngineContext:
    """Process-wide state, built once by the application factory or the CLI.

    Attributes:
        db: the SQLAlchemy engine of the database holding system and tenant tables.
        catalogs: the bounded cache of compiled catalogs, keyed by tenant and revision.
        clock: the source of "now", replaceable in tests.
    """

    db: Engine
    catalogs: CatalogCache = field(default_factory=CatalogCache)
    clock: Callable[[], datetime] = utc_now

    @property
    def dialect_name(self) -> str:
        """The database dialect, `sqlite` or `postgresql`."""
        return self.db.dialect.name

    @property
    def expressions(self) -> ExpressionCompiler:
        """The compiler of formulas, defaults and rules (owned by the catalog cache)."""
        return self.catalogs.compiler

    @property
    def is_async(self) -> bool:
        """Whether engine calls must run inside `greenlet_spawn` on an event loop."""
        return bool(self.db.dialect.is_async)


@dataclass(frozen=True)
class TenantRef:
    """The tenant a request acts for, as its credential resolved it."""

    id: UUID
    name: str
    schema_name: str
    revision: int


@dataclass(frozen=True)
class RequestContext:
    """Everything one request's engine calls need.

    Attributes:
        engine: the process-wide context.
        tenant: the caller's tenant; every query is scoped to its schema.
        actor: who acts, recorded in revisions (e.g. `key:3f2a…`).
    """

    engine: EngineContext
    tenant: TenantRef
    actor: str
