"""Sessions: password logins, access tokens (JWT), rotating refresh tokens, and bearers."""

from engine.sessions.access_tokens import (
    access_token_key,
    derived_key,
    issue_access_token,
    moment_claim,
    verify_access_token,
)
from engine.sessions.bearer import authenticate_bearer
from engine.sessions.login import TokenPair, log_in, log_out, refresh_session
from engine.sessions.login_limits import (
    LOGIN_WINDOW,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_USER,
)

__all__ = [
    "LOGIN_WINDOW",
    "MAX_FAILURES_PER_ADDRESS",
    "MAX_FAILURES_PER_USER",
    "TokenPair",
    "access_token_key",
    "authenticate_bearer",
    "derived_key",
    "issue_access_token",
    "log_in",
    "log_out",
    "moment_claim",
    "refresh_session",
    "verify_access_token",
]
