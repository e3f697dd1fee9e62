"""Log in, refresh, log out (the OAuth2 password flow, form-encoded as OAuth2 has it), `/me`."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse

from engine.access import describe_caller
from engine.errors import InvalidRequest, Problem
from engine.sessions import TokenPair, log_in, log_out, refresh_session
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant, engine_context, run_engine

router = APIRouter(prefix="/api/v1", tags=["auth"], route_class=ApiRoute)

_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}
_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
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


def _tokens(pair: TokenPair) -> JSONResponse:
    return JSONResponse(pair.as_dict(), headers=_NO_STORE)


@router.post("/auth/token", responses=_TOKEN_RESPONSES, openapi_extra=_NO_CREDENTIAL)
async def token(
    request: Request,
    username: Annotated[str, Form(description="Your e-mail")],
    password: Annotated[str, Form()],
    tenant: Annotated[str | None, Form(description="Your tenant's name")] = None,
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
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


@router.post("/auth/refresh", responses=_TOKEN_RESPONSES, openapi_extra=_NO_CREDENTIAL)
async def refresh(
    request: Request,
    refresh_token: Annotated[
        str, Form(description="The refresh token of your last login or refresh")
    ],
    grant_type: Annotated[str | None, Form(pattern="^refresh_token$")] = None,
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
