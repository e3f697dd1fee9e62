"""Hold a request to its budget at the database: count its statements and written rows.

`install_budget_hooks` listens to every statement an engine runs; a connection that a
write has bound to its budget (`bind_budget`) charges one statement before each runs
(so the one past the limit never reaches the database) and the rows it inserted,
updated or deleted after. COPY bypasses SQLAlchemy and charges itself
(`charge_copied_rows`).

`EventLoopScheduler` lets a request share the event loop: the server runs each engine
call in a SQLAlchemy greenlet on the loop, which only gets the loop back while the
greenlet awaits the database. Pausing awaits `asyncio.sleep` from inside the greenlet
(SQLAlchemy's `await_only`), so the loop serves other requests before this one goes on.

Alone on the loop, a pause is one loop turn (`sleep(0)`): I/O keeps flowing at almost no
cost. When other engine calls are running (`LoopShare` counts them), one turn is not
enough: their next step usually waits for a database answer that arrives a fraction of
a millisecond later, by which time the long request has taken the loop again, so every
step of theirs would wait a whole slice. A short nap instead lets their round trips
finish and their steps run before the long request goes on (docs/limits.md has the
measurements).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from engine.budget import RequestBudget

BUDGET_OPTION = "tessera_budget"

Result = TypeVar("Result")


def install_budget_hooks(engine: Engine) -> None:
    """Make connections of `engine` bound to a budget charge it for each statement."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        connection: Connection, _cursor: Any, _statement: str, _parameters: Any, *_args: Any
    ) -> None:
        budget = connection.get_execution_options().get(BUDGET_OPTION)
        if budget is not None:
            budget.charge_statement()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(
        connection: Connection,
        cursor: Any,
        _statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        budget = connection.get_execution_options().get(BUDGET_OPTION)
        if budget is None or context is None:
            return
        if (context.isinsert or context.isupdate or context.isdelete) and cursor.rowcount > 0:
            budget.charge_rows(cursor.rowcount)


def bind_budget(connection: Connection, budget: RequestBudget) -> None:
    """Charge `budget` for every statement `connection` runs from now on."""
    connection.execution_options(**{BUDGET_OPTION: budget})


def charge_copied_rows(connection: Connection, count: int) -> None:
    """Charge the connection's budget for a COPY of `count` rows (one statement)."""
    budget = connection.get_execution_options().get(BUDGET_OPTION)
    if budget is not None:
        budget.charge_statement()
        budget.charge_rows(count)


#: How long a request that used its slice naps while other engine calls are running.
DEFAULT_NAP = 0.001


class LoopShare:
    """The engine calls running on one event loop (the server's), counted as they start.

    Only the loop's thread changes it, so it needs no lock.
    """

    def __init__(self) -> None:
        self.running = 0

    @contextmanager
    def running_call(self) -> Iterator[None]:
        """Count one engine call while it runs."""
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1


class EventLoopScheduler:
    """The scheduler of engine calls in SQLAlchemy greenlets on an asyncio event loop."""

    def __init__(self, share: LoopShare | None = None, *, nap_seconds: float = DEFAULT_NAP) -> None:
        self.share = share or LoopShare()
        self.nap_seconds = nap_seconds

    def pause(self) -> None:
        """Let other requests' ready work run, then go on (after a nap if others run)."""
        others = self.share.running > 1
        await_only(asyncio.sleep(self.nap_seconds if others else 0))

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        """Run `call` in the loop's worker threads while this greenlet awaits it.

        Only worth it for work that releases the GIL (the `regex` module's matching with
        `concurrent=True`); pure-Python work would hold the loop's thread all the same.
        """
        loop = asyncio.get_running_loop()
        return await_only(loop.run_in_executor(None, call))
