"""Authenticate each request and run its engine call for the caller's tenant.

A route takes the runner of its engine calls as a dependency: `InTenant` for the data
API (whose engine entry points check object and field rights themselves), or the runner
of a system right (`NeedsCustomize`, `NeedsManageUsers`, `NeedsViewAudit`, or
`needing(right)`) for admin routes, which checks the right before any work is done.
`tests/runtime/app/test_route_rights.py` holds every `/api/v1/admin` route to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.util import greenlet_spawn

from engine.access import require_system_right
from engine.catalog import tenant_catalog
from engine.context import EngineContext, RequestContext
from engine.errors import AuthenticationFailed, SchemaChanged
from engine.sessions import authenticate_bearer
from metadata.models import SystemRight

#: The security schemes of the OpenAPI document, either of which every operation that
#: takes a credential accepts (`base_openapi` makes them the document's default): a
#: bearer (an API key or an access token), and the OAuth2 password flow that gets an
#: access token, so that Swagger UI's Authorize logs in with an e-mail and a password.
BEARER_SCHEME = "bearer"
OAUTH2_SCHEME = "oauth2"
TOKEN_URL = "/api/v1/auth/token"
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=BEARER_SCHEME,
    description=(
        f"A Tessera API key (`tsk_<id>_<secret>`) or an access token from `POST {TOKEN_URL}`"
    ),
)
_oauth2 = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    scheme_name=OAUTH2_SCHEME,
    description=(
        "Log in with your e-mail (username) and password; put your tenant's name in client_id"
    ),
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
    """Runs one engine call for the caller's tenant: the key check and the work together.

    Attributes:
        engine: the process-wide context.
        credentials: the request's bearer credential, if any.
        required: the system right the caller must hold before the work runs (admin
            routes); None for the data API, whose engine calls check object rights.
    """

    engine: EngineContext
    credentials: HTTPAuthorizationCredentials | None
    required: SystemRight | None = None

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
            return work(self._checked_context())
        except SchemaChanged:
            return work(self._checked_context())

    def _checked_context(self) -> RequestContext:
        """The caller's context, once they are found to hold the route's system right.

        Raises:
            AuthenticationFailed: no bearer, or one that is not valid (any more) (401).
            PermissionDenied: the caller lacks the route's system right (403).
        """
        context = self._context()
        if self.required is not None:
            require_system_right(context, tenant_catalog(context), self.required)
        return context

    def _context(self) -> RequestContext:
        """Resolve the bearer, an API key or an access token, to its user and tenant.

        Raises:
            AuthenticationFailed: no bearer, or one that is not valid (any more) (401).
        """
        credentials = self.credentials
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AuthenticationFailed(
                "send an API key or an access token as `Authorization: Bearer <key or token>`"
            )
        credential = authenticate_bearer(self.engine, credentials.credentials)
        return RequestContext(
            engine=self.engine,
            tenant=credential.tenant,
            caller=credential.caller,
            budget=self.engine.new_budget(),
        )


async def tenant_runner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _token: Annotated[str | None, Depends(_oauth2)],
) -> TenantRunner:
    """Return the runner of the caller's engine calls (no I/O happens here).

    `_token` is the same header read by the OAuth2 scheme: it only puts that scheme in
    every operation's security, beside `bearer`.
    """
    return TenantRunner(engine=engine_context(request), credentials=credentials)


def needing(right: SystemRight) -> Callable[..., Awaitable[TenantRunner]]:
    """The dependency of a route that needs the system right `right` (an admin route)."""

    async def runner_needing(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        _token: Annotated[str | None, Depends(_oauth2)],
    ) -> TenantRunner:
        return TenantRunner(engine=engine_context(request), credentials=credentials, required=right)

    return runner_needing


#: The runner of data routes: their engine calls check object and field rights.
InTenant = Annotated[TenantRunner, Depends(tenant_runner)]
#: The runners of admin routes, by the system right each needs.
NeedsCustomize = Annotated[TenantRunner, Depends(needing(SystemRight.CUSTOMIZE))]
NeedsManageUsers = Annotated[TenantRunner, Depends(needing(SystemRight.MANAGE_USERS))]
NeedsViewAudit = Annotated[TenantRunner, Depends(needing(SystemRight.VIEW_AUDIT))]
