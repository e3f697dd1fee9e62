"""Authenticate each request and build its context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.context import EngineContext, RequestContext
from engine.errors import AuthenticationFailed
from engine.tenancy import authenticate

_bearer = HTTPBearer(auto_error=False, description="Tessera API key: `Bearer tsk_…`")


def engine_context(request: Request) -> EngineContext:
    """Return the process-wide engine context built by the app factory."""
    context: EngineContext = request.app.state.engine_context
    return context


def request_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> RequestContext:
    """Resolve the bearer key to its tenant; every admin and data call runs in that tenant.

    Raises:
        AuthenticationFailed: no key, or an unknown or revoked one (401).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("send an API key as `Authorization: Bearer <key>`")
    engine = engine_context(request)
    credential = authenticate(engine, credentials.credentials)
    return RequestContext(engine=engine, tenant=credential.tenant, actor=f"key:{credential.key_id}")


Context = Annotated[RequestContext, Depends(request_context)]

Result = TypeVar("Result")


@dataclass(frozen=True)
class TenantRunner:
    """Runs one engine call for the caller's tenant: authentication and work in one thread hop.

    The data API's hot paths use it instead of `Context`: a sync dependency plus a sync
    endpoint would cost two worker-thread hand-offs per request.
    """

    engine: EngineContext
    credentials: HTTPAuthorizationCredentials | None

    async def __call__(self, work: Callable[[RequestContext], Result]) -> Result:
        return await run_in_threadpool(self._authenticated, work)

    def _authenticated(self, work: Callable[[RequestContext], Result]) -> Result:
        credentials = self.credentials
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AuthenticationFailed("send an API key as `Authorization: Bearer <key>`")
        credential = authenticate(self.engine, credentials.credentials)
        context = RequestContext(
            engine=self.engine, tenant=credential.tenant, actor=f"key:{credential.key_id}"
        )
        return work(context)


async def tenant_runner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TenantRunner:
    """Return the runner of the caller's engine calls (no I/O happens here)."""
    return TenantRunner(engine=engine_context(request), credentials=credentials)


InTenant = Annotated[TenantRunner, Depends(tenant_runner)]


def optional_request_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> RequestContext | None:
    """Like `request_context`, but None when no key is sent (an invalid key is still 401)."""
    if credentials is None:
        return None
    return request_context(request, credentials)
