"""Resolve the bearer of a request, an API key or an access token, to its user and tenant."""

from __future__ import annotations

from engine.context import EngineContext
from engine.sessions.access_tokens import verify_access_token
from engine.tenancy import Credential, authenticate

#: How every API key starts; anything else is taken for an access token.
API_KEY_PREFIX = "tsk_"


def authenticate_bearer(engine: EngineContext, bearer: str) -> Credential:
    """Resolve an API key (`tsk_…`) or an access token; either costs one query.

    Raises:
        AuthenticationFailed: the key or token is not valid (any more).
    """
    if bearer.startswith(API_KEY_PREFIX):
        return authenticate(engine, bearer)
    return verify_access_token(engine, bearer)
