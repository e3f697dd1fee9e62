"""The per-request budget: limits that stop a request, and pauses that let others run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import pytest
from sqlalchemy.util import greenlet_spawn

from engine.budget import RequestBudget, RequestLimits
from engine.database import EventLoopScheduler, LoopShare
from engine.errors import RequestBudgetExceeded

Result = TypeVar("Result")


class RecordingScheduler:
    """A scheduler that notes each pause and each call it is asked to run off the loop."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def pause(self) -> None:
        self.events.append("pause")

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        self.events.append("off-loop")
        return call()


def test_a_request_past_its_statements_is_stopped_naming_the_limit_and_setting() -> None:
    budget = RequestBudget(RequestLimits(statements=3))
    for _ in range(3):
        budget.charge_statement()
    with pytest.raises(RequestBudgetExceeded) as caught:
        budget.charge_statement()
    error = caught.value
    assert error.status == 422
    assert error.extra == {
        "limit": "statements",
        "value": 3,
        "setting": "TESSERA_REQUEST_STATEMENTS",
    }
    assert "nothing was written" in error.detail


def test_a_request_past_its_rows_is_stopped() -> None:
    budget = RequestBudget(RequestLimits(rows=100))
    budget.charge_rows(100)
    with pytest.raises(RequestBudgetExceeded, match="written rows") as caught:
        budget.charge_rows(1)
    assert caught.value.extra["setting"] == "TESSERA_REQUEST_ROWS"


def test_a_request_past_its_expression_time_is_stopped() -> None:
    budget = RequestBudget(RequestLimits(expression_seconds=1.0))
    budget.charge_evaluation(0.6)
    with pytest.raises(RequestBudgetExceeded, match="seconds of expression evaluation"):
        budget.charge_evaluation(0.4)


def test_an_evaluation_gets_at_most_what_the_request_has_left() -> None:
    budget = RequestBudget(RequestLimits(expression_seconds=1.0, evaluation_seconds=0.25))
    assert budget.evaluation_deadline(100.0) == 100.25
    budget.charge_evaluation(0.9)
    assert budget.evaluation_deadline(100.0) == pytest.approx(100.1)


def test_an_unlimited_budget_counts_but_never_stops() -> None:
    budget = RequestBudget.unlimited()
    for _ in range(10_000):
        budget.charge_statement()
    budget.charge_rows(10**9)
    budget.charge_evaluation(10**6)
    assert (budget.statements, budget.rows) == (10_000, 10**9)


def test_a_budget_pauses_once_its_slice_is_used_and_not_before() -> None:
    scheduler = RecordingScheduler()
    patient = RequestBudget(scheduler=scheduler, slice_seconds=3600)
    for _ in range(100):
        patient.checkpoint()
    assert scheduler.events == []
    eager = RequestBudget(scheduler=scheduler, slice_seconds=0)
    eager.charge_statement()
    eager.charge_evaluation(0.0)
    assert scheduler.events == ["pause", "pause"]
    assert eager.pauses == 2


def test_pausing_on_the_event_loop_lets_other_coroutines_run_in_between() -> None:
    order: list[str] = []

    def engine_call() -> None:
        budget = RequestBudget(scheduler=EventLoopScheduler(), slice_seconds=0)
        for step in range(3):
            order.append(f"work {step}")
            budget.checkpoint()

    async def other_request() -> None:
        for step in range(3):
            order.append(f"other {step}")
            await asyncio.sleep(0)

    async def both() -> None:
        await asyncio.gather(greenlet_spawn(engine_call), other_request())

    asyncio.run(both())
    assert order == ["work 0", "other 0", "work 1", "other 1", "work 2", "other 2"]


def test_blocking_work_runs_off_the_loop_while_other_coroutines_go_on() -> None:
    order: list[str] = []
    released = asyncio.Event()

    async def both() -> None:
        loop = asyncio.get_running_loop()

        def slow() -> str:
            # Runs in a worker thread: it waits for the loop to serve another coroutine.
            asyncio.run_coroutine_threadsafe(released.wait(), loop).result(timeout=10)
            order.append("blocking work done")
            return "done"

        def engine_call() -> str:
            return RequestBudget(scheduler=EventLoopScheduler()).run_blocking(slow)

        async def other_request() -> None:
            order.append("other request served")
            released.set()

        result, _ = await asyncio.gather(greenlet_spawn(engine_call), other_request())
        assert result == "done"

    asyncio.run(both())
    assert order == ["other request served", "blocking work done"]


def _pause_against_a_quick_round_trip(share: LoopShare) -> list[str]:
    """Pause once while another request waits on a round trip shorter than the nap."""
    order: list[str] = []

    def engine_call() -> None:
        EventLoopScheduler(share, nap_seconds=0.05).pause()
        order.append("long request goes on")

    async def other_request() -> None:
        await asyncio.sleep(0.001)  # a database answer, well within the nap
        order.append("other request served")

    async def both() -> None:
        await asyncio.gather(greenlet_spawn(engine_call), other_request())

    asyncio.run(both())
    return order


def test_a_long_request_naps_while_other_engine_calls_run() -> None:
    share = LoopShare()
    with share.running_call(), share.running_call():
        order = _pause_against_a_quick_round_trip(share)
    assert order == ["other request served", "long request goes on"]


def test_a_long_request_alone_only_gives_the_loop_one_turn() -> None:
    share = LoopShare()
    with share.running_call():
        order = _pause_against_a_quick_round_trip(share)
    assert order == ["long request goes on", "other request served"]
    assert share.running == 0
