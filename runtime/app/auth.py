"""Authenticate each request and run its engine call for the caller's tenant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.util import greenlet_spawn

from engine.context import EngineContext, RequestContext
from engine.errors import AuthenticationFailed, SchemaChanged
from engine.tenancy import authenticate

#: The one security scheme of the OpenAPI document (`bearer`): every operation that takes a
#: key names it, and `base_openapi` makes it the document's default.
BEARER_SCHEME = "bearer"
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=BEARER_SCHEME,
    bearerFormat="tsk_<id>_<secret>",
    description="A Tessera API key: `tsk_<id>_<secret>`",
)

Result = TypeVar("Result")


def engine_context(request: Request) -> EngineContext:
    """Return the process-wide engine context built by the app factory."""
    context: EngineContext = request.app.state.engine_context
    return context


async def run_engine(engine: EngineContext, call: Callable[[], Result]) -> Result:
    """Run a synchronous engine call without blocking the event loop.

    On an async driver the call runs in a greenlet whose database I/O awaits on this loop
    (no thread hand-off); otherwise it runs in the worker-thread pool.
    """
    if engine.is_async:
        with engine.loop_share.running_call():
            return await greenlet_spawn(call)
    return await run_in_threadpool(call)


@dataclass(frozen=True)
class TenantRunner:
    """Runs one engine call for the caller's tenant: the key check and the work together."""

    engine: EngineContext
    credentials: HTTPAuthorizationCredentials | None

    @property
    def has_credentials(self) -> bool:
        """Whether the request carries a key at all."""
        return self.credentials is not None

    async def __call__(self, work: Callable[[RequestContext], Result]) -> Result:
        return await run_engine(self.engine, lambda: self._run(work))

    def _run(self, work: Callable[[RequestContext], Result]) -> Result:
        """Run `work`, once more if the tenant's metadata changed under it.

        `SchemaChanged` comes before anything was written: the second run reads the
        tenant's new revision with the key and works against the new catalog. A second
        change in that moment reaches the client as a 503 with `Retry-After`.
        """
        try:
            return work(self._context())
        except SchemaChanged:
            return work(self._context())

    def _context(self) -> RequestContext:
        """Resolve the bearer key to its tenant.

        Raises:
            AuthenticationFailed: no key, or an unknown or revoked one (401).
        """
        credentials = self.credentials
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AuthenticationFailed("send an API key as `Authorization: Bearer <key>`")
        credential = authenticate(self.engine, credentials.credentials)
        return RequestContext(
            engine=self.engine,
            tenant=credential.tenant,
            caller=credential.caller,
            budget=self.engine.new_budget(),
        )


async def tenant_runner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TenantRunner:
    """Return the runner of the caller's engine calls (no I/O happens here)."""
    return TenantRunner(engine=engine_context(request), credentials=credentials)


InTenant = Annotated[TenantRunner, Depends(tenant_runner)]
