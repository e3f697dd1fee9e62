"""Hold a request to its budget at the database: count its statements and written rows.

`install_budget_hooks` listens to every statement an engine runs; a connection that a
write has bound to its budget (`bind_budget`) charges one statement before each runs
(so the one past the limit never reaches the database) and the rows it inserted,
updated or deleted after. COPY bypasses SQLAlchemy and charges itself
(`charge_copied_rows`).

`EventLoopScheduler` lets a request share the event loop: the server runs each engine
call in a SQLAlchemy greenlet on the loop, which only gets the loop back while the
greenlet awaits the database. Pausing awaits `asyncio.sleep(0)` from inside the greenlet
(SQLAlchemy's `await_only`), so the loop serves other requests before this one goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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


class EventLoopScheduler:
    """The scheduler of engine calls in SQLAlchemy greenlets on an asyncio event loop."""

    def pause(self) -> None:
        """Give the loop one turn: other requests' ready work runs, then this one goes on."""
        await_only(asyncio.sleep(0))

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        """Run `call` in the loop's worker threads while this greenlet awaits it.

        Only worth it for work that releases the GIL (the `regex` module's matching with
        `concurrent=True`); pure-Python work would hold the loop's thread all the same.
        """
        loop = asyncio.get_running_loop()
        return await_only(loop.run_in_executor(None, call))
