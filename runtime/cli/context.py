"""Build the engine context for one CLI invocation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine.access import caller_of, tenant_admin
from engine.budget import RequestBudget
from engine.context import Channel, EngineContext, RequestContext
from engine.tenancy import get_tenant
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


def operator_context(engine: EngineContext, tenant: str) -> RequestContext:
    """The context of an operator's command acting on one tenant: as the tenant's first
    admin user, with no limits (an import, an export or a sweep is no tenant's request),
    its writes coming in through the `cli` channel (an import says `import`).

    Raises:
        NotFound: there is no such tenant, or it has no active admin user.
    """
    tenant_ref = get_tenant(engine, tenant)
    return RequestContext(
        engine=engine,
        tenant=tenant_ref,
        caller=caller_of(tenant_admin(engine, tenant_ref), credential="cli"),
        budget=RequestBudget.unlimited(),
        channel=Channel.CLI,
    )
