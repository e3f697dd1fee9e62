"""Log in, refresh, log out (the OAuth2 password flow, form-encoded as OAuth2 has it), `/me`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import JSONResponse

from engine.access import describe_caller
from engine.errors import InvalidRequest, Problem, UnsupportedGrantType
from engine.sessions import TokenPair, log_in, log_out, refresh_session
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant, engine_context, run_engine

router = APIRouter(prefix="/api/v1", tags=["auth"], route_class=ApiRoute)

_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}
_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A grant_type this endpoint does not take", **_PROBLEM},
    401: {"description": "Wrong tenant, e-mail or password, or a bad refresh token", **_PROBLEM},
    429: {"description": "Too many failed logins; wait Retry-After seconds", **_PROBLEM},
}
#: Logging in takes no credential: the operations say so over the document's default.
_NO_CREDENTIAL: dict[str, Any] = {"security": []}
#: Token responses are never cached (RFC 6749, 5.1).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _basic_user(request: Request) -> str | None:
    """The user part of `Authorization: Basic …`: where Swagger UI sends client_id."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


#: What each token endpoint's `grant_type` must be, and where the other grant goes.
_GRANTS = {
    "password": "to renew tokens, send grant_type=refresh_token to POST /api/v1/auth/refresh",
    "refresh_token": "to log in with a password, send grant_type=password to "
    "POST /api/v1/auth/token",
}
_SHOWN_GRANT_LENGTH = 40
#: A module-level name: annotations are strings, resolved in the module's globals.
_GrantTypeForm = Annotated[
    str | None, Form(description="`password` for a login, `refresh_token` for a refresh")
]


def _grant_type(expected: str) -> Callable[..., Awaitable[None]]:
    """The check of a token endpoint's `grant_type`: `expected`, or not sent.

    A dependency, so it answers before the endpoint's other fields are read: a client
    that sent the wrong grant learns that, not which fields that grant lacks.
    """

    async def check_grant_type(grant_type: _GrantTypeForm = None) -> None:
        if grant_type is None or grant_type == expected:
            return
        shown = grant_type[:_SHOWN_GRANT_LENGTH]
        detail = (
            f"this endpoint takes grant_type={expected} (or no grant_type), not {shown!r}; "
            f"{_GRANTS[expected]}"
        )
        # `error` is OAuth2's own word for it (RFC 6749, 5.2), for OAuth2 client libraries.
        raise UnsupportedGrantType(
            detail,
            problems=[Problem("/grant_type", "unsupported-grant-type", detail)],
            extra={"error": "unsupported_grant_type", "expected_grant_type": expected},
        )

    return check_grant_type


def _tokens(pair: TokenPair) -> JSONResponse:
    return JSONResponse(pair.as_dict(), headers=_NO_STORE)


@router.post(
    "/auth/token",
    responses=_TOKEN_RESPONSES,
    openapi_extra=_NO_CREDENTIAL,
    dependencies=[Depends(_grant_type("password"))],
)
async def token(
    request: Request,
    username: Annotated[str, Form(description="Your e-mail")],
    password: Annotated[str, Form()],
    tenant: Annotated[str | None, Form(description="Your tenant's name")] = None,
    scope: Annotated[str, Form(description="Ignored: a token acts as its user")] = "",
    client_id: Annotated[
        str | None, Form(description="Your tenant's name, when `tenant` is not sent")
    ] = None,
    client_secret: Annotated[str | None, Form(description="Ignored")] = None,
) -> JSONResponse:
    """Log in with an e-mail and a password: an access token and a refresh token.

    The tenant is `tenant`, else `client_id` (in the body, or in a Basic authorization
    header, as Swagger UI's Authorize sends it).
    """
    tenant_name = tenant or client_id or _basic_user(request)
    if not tenant_name:
        problem = Problem("/tenant", "missing", "name your tenant in `tenant` (or in `client_id`)")
        raise InvalidRequest(problem.detail, problems=[problem])
    pair = await run_engine(
        engine_context(request),
        lambda: log_in(
            engine_context(request),
            tenant_name=tenant_name,
            username=username,
            password=password,
            address=_address(request),
        ),
    )
    return _tokens(pair)


@router.post(
    "/auth/refresh",
    responses=_TOKEN_RESPONSES,
    openapi_extra=_NO_CREDENTIAL,
    dependencies=[Depends(_grant_type("refresh_token"))],
)
async def refresh(
    request: Request,
    refresh_token: Annotated[
        str, Form(description="The refresh token of your last login or refresh")
    ],
) -> JSONResponse:
    """Trade a refresh token for a new access token and a new refresh token.

    The refresh token sent is used up; sending it again revokes every token of its login.
    """
    engine = engine_context(request)
    pair = await run_engine(
        engine,
        lambda: refresh_session(engine, refresh_token=refresh_token, address=_address(request)),
    )
    return _tokens(pair)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: _TOKEN_RESPONSES[401]},
    openapi_extra=_NO_CREDENTIAL,
)
async def logout(
    request: Request, refresh_token: Annotated[str, Form(description="Your refresh token")]
) -> Response:
    """Revoke the refresh tokens of a login (access tokens expire within minutes)."""
    engine = engine_context(request)
    await run_engine(
        engine, lambda: log_out(engine, refresh_token=refresh_token, address=_address(request))
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(run: InTenant) -> dict[str, Any]:
    """The user you act as: role, permission sets, and what they let you do."""
    return await run(describe_caller)
