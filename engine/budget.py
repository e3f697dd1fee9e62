"""The per-request budget: how much work one request may make the engine do.

Like the governor limits of the big CRM platforms, every request has a budget: the time
its expressions may take, the SQL statements it may issue and the rows it may write. A
bulk request of 10,000 records is one request. The engine charges the budget at a few
points (each evaluation, each statement) and a request that exceeds a limit stops with
`RequestBudgetExceeded`; its transaction rolls back, so nothing is written.

The same points let other requests run: on the server's event loop a request's engine
call is a greenlet that only gives the loop back when it waits for the database, so a
CPU-bound save would hold every other tenant's request. At each point the budget checks
how long the request has run since it last let others in and, past a short slice, asks
its `Scheduler` to pause (see docs/limits.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, Protocol, TypeVar

from engine.errors import RequestBudgetExceeded

Result = TypeVar("Result")

#: How long a request runs before it lets other requests on the same loop run, in seconds.
DEFAULT_SLICE = 0.002


@dataclass(frozen=True)
class RequestLimits:
    """The limits of one request (docs/limits.md; settable as TESSERA_REQUEST_<NAME>).

    Attributes:
        expression_seconds: time all expression evaluations of the request may take,
            including the queries of cross-object functions and REGEX compilation.
        evaluation_seconds: time one evaluation may take before it fails on its own
            record (a costly function past it stops); the request's remaining
            expression time caps it.
        statements: SQL statements a write may issue (its own, the rules' and the
            cascade's: cross-object functions, roll-up and formula recomputation).
        rows: rows a write may insert, update or delete, cascade included.
    """

    expression_seconds: float = 5.0
    evaluation_seconds: float = 0.25
    statements: int = 5_000
    rows: int = 50_000


DEFAULT_LIMITS = RequestLimits()

#: Setting names of each limit, for the problem document (runtime/settings.py reads them).
LIMIT_SETTINGS = {
    "expression_seconds": "TESSERA_REQUEST_EXPRESSION_SECONDS",
    "evaluation_seconds": "TESSERA_REQUEST_EVALUATION_SECONDS",
    "statements": "TESSERA_REQUEST_STATEMENTS",
    "rows": "TESSERA_REQUEST_ROWS",
}

_UNITS = {
    "expression_seconds": "seconds of expression evaluation",
    "statements": "SQL statements",
    "rows": "written rows",
}


class Scheduler(Protocol):
    """How a request shares its thread or event loop with other requests."""

    def pause(self) -> None:
        """Let other requests run for a moment, then come back."""
        ...

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        """Run a call that may hold the CPU for long without holding other requests up."""
        ...


class InlineScheduler:
    """The scheduler of worker threads and the CLI: the operating system shares the CPU."""

    def pause(self) -> None:
        """Do nothing: threads are preempted."""

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        """Run `call` here."""
        return call()


INLINE = InlineScheduler()


class RequestBudget:
    """What one request has used of its limits.

    A budget belongs to one request, which runs on one thread or greenlet at a time, so
    it needs no lock. `None` limits (see `unlimited`) are never exceeded; the
    per-evaluation cap then stays the default one.
    """

    def __init__(
        self,
        limits: RequestLimits | None = DEFAULT_LIMITS,
        *,
        scheduler: Scheduler = INLINE,
        slice_seconds: float = DEFAULT_SLICE,
    ) -> None:
        self.limits = limits
        self.scheduler = scheduler
        self.slice_seconds = slice_seconds
        self.expression_seconds = 0.0
        self.statements = 0
        self.rows = 0
        self.pauses = 0
        self._slice_started = time.monotonic()

    @classmethod
    def unlimited(cls, *, scheduler: Scheduler = INLINE) -> RequestBudget:
        """A budget that counts but never stops: the CLI's, an operator's own action."""
        return cls(None, scheduler=scheduler)

    def without_limits(self) -> RequestBudget:
        """A budget that never stops but pauses like this one (metadata changes' backfills)."""
        return RequestBudget.unlimited(scheduler=self.scheduler)

    @property
    def evaluation_seconds(self) -> float:
        """The time one evaluation may take (the per-evaluation cap)."""
        return (self.limits or DEFAULT_LIMITS).evaluation_seconds

    def evaluation_deadline(self, started: float) -> float:
        """The `time.monotonic()` value after which an evaluation started at `started` stops.

        The request's remaining expression time bounds the per-evaluation cap.
        """
        allowed = self.evaluation_seconds
        if self.limits is not None:
            allowed = min(allowed, self.limits.expression_seconds - self.expression_seconds)
        return started + allowed

    def charge_evaluation(self, seconds: float) -> None:
        """Count one evaluation's time.

        Raises:
            RequestBudgetExceeded: the request's expressions took too long.
        """
        self.expression_seconds += seconds
        if self.limits is not None and self.expression_seconds >= self.limits.expression_seconds:
            self._exceeded("expression_seconds", self.limits.expression_seconds)
        self.checkpoint()

    def charge_statement(self) -> None:
        """Count one SQL statement, before it runs.

        Raises:
            RequestBudgetExceeded: the request issued too many statements.
        """
        self.statements += 1
        if self.limits is not None and self.statements > self.limits.statements:
            self._exceeded("statements", self.limits.statements)
        self.checkpoint()

    def charge_rows(self, count: int) -> None:
        """Count rows a statement inserted, updated or deleted.

        Raises:
            RequestBudgetExceeded: the request wrote too many rows.
        """
        self.rows += count
        if self.limits is not None and self.rows > self.limits.rows:
            self._exceeded("rows", self.limits.rows)

    def checkpoint(self) -> None:
        """Let other requests run if this one has held the CPU for a slice."""
        now = time.monotonic()
        if now - self._slice_started >= self.slice_seconds:
            self.pauses += 1
            self.scheduler.pause()
            self._slice_started = time.monotonic()

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        """Run a call that may hold the CPU for long (a regular expression) off the loop."""
        try:
            return self.scheduler.run_blocking(call)
        finally:
            self._slice_started = time.monotonic()

    def _exceeded(self, limit: str, value: float) -> NoReturn:
        setting = LIMIT_SETTINGS[limit]
        raise RequestBudgetExceeded(
            f"the request used more than {value:g} {_UNITS[limit]} (limit {limit!r}); "
            "nothing was written. Send fewer records per request, simplify the rules, "
            f"or raise {setting}",
            extra={"limit": limit, "value": value, "setting": setting},
        )
