"""One tenant's long bulk on the server's event loop does not hold another tenant's requests.

On PostgreSQL the server runs engine calls in greenlets on one event loop. A CPU-bound
bulk pauses at its budget's checkpoints; this proves, by ordering rather than by timing,
that other requests are served during those pauses: between two pauses of the bulk with
no SQL statement in between (pure evaluation), another tenant's request completed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient

from engine.budget import RequestBudget
from engine.context import EngineContext
from engine.database import EventLoopScheduler, create_database_engine
from runtime.app import create_app
from tests.conftest import drop_tenant_schema, make_tenant

Result = TypeVar("Result")

LEAD = {
    "api_name": "lead",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "seats", "type": "integer"},
        {
            "api_name": "label",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(UPPER(name), '-', TEXT(seats * 3 + LEN(name)))",
        },
    ],
    "validation_rules": [
        {"api_name": "seats", "expression": "seats < 0", "message": "no negative seats"}
    ],
}


class WatchingScheduler:
    """Pauses like the server does, noting at each pause the statements and requests served."""

    def __init__(self, inner: EventLoopScheduler, served: list[str]) -> None:
        self.inner = inner
        self.served = served
        self.budget: RequestBudget | None = None
        self.marks: list[tuple[int, int]] = []

    def pause(self) -> None:
        assert self.budget is not None
        self.marks.append((self.budget.statements, len(self.served)))
        self.inner.pause()

    def run_blocking(self, call: Callable[[], Result]) -> Result:
        return self.inner.run_blocking(call)


@dataclass(frozen=True)
class WatchedEngine(EngineContext):
    """An engine context whose requests pause at every checkpoint, watched."""

    served: list[str] = field(default_factory=list)
    watchers: list[WatchingScheduler] = field(default_factory=list)

    def new_budget(self) -> RequestBudget:
        watching = WatchingScheduler(EventLoopScheduler(self.loop_share), self.served)
        budget = RequestBudget(self.limits, scheduler=watching, slice_seconds=0)
        watching.budget = budget
        self.watchers.append(watching)
        return budget


@pytest.mark.postgresql_only
def test_another_tenants_requests_are_served_while_a_long_bulk_evaluates(
    postgres_database: str,
) -> None:
    setup = EngineContext(db=create_database_engine(postgres_database))
    busy, other = make_tenant(setup), make_tenant(setup)
    server = WatchedEngine(db=create_database_engine(postgres_database, is_async=True))
    try:
        with TestClient(create_app(server)) as client:
            created = client.post("/api/v1/admin/objects", headers=busy.headers, json=LEAD)
            assert created.status_code == 201, created.text
            assert (
                client.post(
                    "/api/v1/admin/objects",
                    headers=other.headers,
                    json={"api_name": "note", "fields": [{"api_name": "text", "type": "text"}]},
                ).status_code
                == 201
            )
            note = client.post("/api/v1/data/note", headers=other.headers, json={"text": "hi"})
            outcome: list[int] = []

            def long_bulk() -> None:
                response = client.post(
                    "/api/v1/data/lead/bulk",
                    headers=busy.headers,
                    json=[{"name": f"lead {n}", "seats": n} for n in range(3_000)],
                )
                outcome.append(response.status_code)

            bulk = threading.Thread(target=long_bulk)
            bulk.start()
            while bulk.is_alive():
                response = client.get(
                    f"/api/v1/data/note/{note.json()['id']}", headers=other.headers
                )
                assert response.status_code == 200
                server.served.append("note")
            bulk.join()
    finally:
        for tenant in (busy, other):
            drop_tenant_schema(setup, tenant.name)
        setup.db.dispose()
    assert outcome == [200]
    marks = max(server.watchers, key=lambda watcher: len(watcher.marks)).marks
    assert len(marks) > 1_000
    served_while_evaluating = [
        (before, after)
        for before, after in itertools.pairwise(marks)
        if before[0] == after[0] and after[1] > before[1]
    ]
    assert served_while_evaluating, "no request was served between two pauses of the bulk"
