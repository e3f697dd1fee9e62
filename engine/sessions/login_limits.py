"""Failed logins, limited per user and per client address over a sliding window.

Every attempt counts as a failure from the moment it starts: the failure is stored
before the password is checked, and a success takes its e-mail's failures away again.
Concurrent guesses therefore count too, not only the ones that finished: a burst of
parallel guesses gets exactly as far as the limit. (So do parallel logins of one user
with the right password: past the limit, the later ones are refused until the earlier
ones have succeeded.) Attempts
refused by the limit are not stored, so a lockout ends when the oldest counted failure
leaves the window, whatever the client kept sending meanwhile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.engine import Connection

from engine.database import hold_named_locks
from engine.errors import TooManyAttempts
from metadata.store import add_login_failure, recent_login_failures

#: The sliding window failed logins are counted over.
LOGIN_WINDOW = timedelta(minutes=15)
#: Failed logins of one e-mail (in one tenant) in the window before it is locked out.
MAX_FAILURES_PER_USER = 5
#: Failed logins from one client address (any e-mail, any tenant) in the window.
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True)
class LoginAttempt:
    """One login attempt: who it names and where it comes from."""

    tenant_id: UUID
    email: str
    address: str
    at: datetime


def _wait(failures: list[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until fewer than `limit` of `failures` (oldest first) are in the window."""
    if len(failures) < limit:
        return None
    # The window must lose all but limit - 1 of them: wait for the one that makes it so.
    freeing = failures[len(failures) - limit]
    return max(1, math.ceil((freeing + LOGIN_WINDOW - now).total_seconds()))


def start_attempt(connection: Connection, attempt: LoginAttempt) -> TooManyAttempts | None:
    """Count the attempt as a failure, or return the refusal when a limit is reached.

    `connection` is in a write transaction; attempts on the same user or from the same
    address queue on it, so each counts the ones before.
    """
    hold_named_locks(
        connection,
        f"login-user:{attempt.tenant_id}:{attempt.email}",
        f"login-address:{attempt.address}",
    )
    by_user, by_address = recent_login_failures(
        connection,
        tenant_id=attempt.tenant_id,
        email=attempt.email,
        address=attempt.address,
        since=attempt.at - LOGIN_WINDOW,
    )
    user_wait = _wait(by_user, MAX_FAILURES_PER_USER, attempt.at)
    address_wait = _wait(by_address, MAX_FAILURES_PER_ADDRESS, attempt.at)
    if user_wait is not None or address_wait is not None:
        wait = max(user_wait or 0, address_wait or 0)
        whom = "this user" if user_wait is not None else "your address"
        return TooManyAttempts(
            f"too many failed logins for {whom}; try again in {wait} seconds",
            retry_after=wait,
        )
    add_login_failure(
        connection,
        tenant_id=attempt.tenant_id,
        email=attempt.email,
        address=attempt.address,
        at=attempt.at,
        forget_before=attempt.at - LOGIN_WINDOW,
    )
    return None
