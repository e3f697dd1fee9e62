"""What an evaluation may know beyond the record: the save, the caller, the clock, a deadline."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from engine.budget import RequestBudget, RequestLimits
from engine.expressions.patterns import PatternCache

#: Wall-clock cap of one evaluation, in seconds (the request's budget may leave less).
DEFAULT_TIME_LIMIT = RequestLimits().evaluation_seconds


class ExpressionTimeout(Exception):
    """An evaluation ran past its time limit."""


class RecordSource(Protocol):
    """Answers cross-object predicates (COUNT_RECORDS, EXISTS_RECORD, …) with SQL."""

    def count(self, object_name: str, filter: Mapping[str, Any]) -> int:
        """Count the records of `object_name` matching `filter`."""
        ...

    def total(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        """Sum `field` over the matching records (None when none match)."""
        ...

    def first_value(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        """Return `field` of the first matching record (oldest first), or None."""
        ...


@dataclass
class EvaluationContext:
    """The save an expression is evaluated in.

    Attributes:
        now: the current time (UTC, aware), from the engine's clock.
        user: who saves (the actor), for CURRENT_USER().
        tenant: the tenant's name, for CURRENT_TENANT().
        is_new: whether the record is being created.
        prior: the record's stored values before this save (empty on create).
        current: the values being saved, by field api name.
        records: runs cross-object predicates; None where none may run.
        deadline: `time.monotonic()` value after which costly functions stop.
        budget: the request's budget, charged with every evaluation's time; by default
            one that never stops (examples, tests).
        patterns: the compiled REGEX patterns, shared by the process (the expression
            compiler owns them); by default a cache of this context's own.
    """

    now: datetime
    user: str | None = None
    tenant: str | None = None
    is_new: bool = True
    prior: Mapping[str, Any] = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)
    records: RecordSource | None = None
    deadline: float = float("inf")
    budget: RequestBudget = field(default_factory=RequestBudget.unlimited)
    patterns: PatternCache = field(default_factory=PatternCache)

    @property
    def today(self) -> date:
        """The current date (UTC)."""
        return self.now.date()

    def start_clock(self, limit: float | None = None, *, started: float | None = None) -> None:
        """Give the next evaluation `limit` seconds from `started` (default: now).

        Without `limit`, the budget decides: its per-evaluation cap, or less when the
        request has less expression time left.
        """
        start = time.monotonic() if started is None else started
        if limit is None:
            self.deadline = self.budget.evaluation_deadline(start)
        else:
            self.deadline = start + limit

    def remaining(self) -> float:
        """Seconds left before the deadline.

        Raises:
            ExpressionTimeout: the deadline has passed.
        """
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ExpressionTimeout("the expression ran past its time limit")
        return left
