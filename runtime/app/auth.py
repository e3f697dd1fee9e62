"""Authenticate each request and build its context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
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


def optional_request_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> RequestContext | None:
    """Like `request_context`, but None when no key is sent (an invalid key is still 401)."""
    if credentials is None:
        return None
    return request_context(request, credentials)
