"""Field defaults through the API: literals and expressions, on create only, checked when saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.context import EngineContext
from runtime.app import create_app
from tests.conftest import Api, TenantHandle

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)

TASK = {
    "api_name": "task",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "qty", "type": "integer"},
        {"api_name": "status", "type": "text", "default": "open"},
        {"api_name": "priority", "type": "integer", "default": 3},
        {"api_name": "billable", "type": "boolean", "default": False},
        {"api_name": "rate", "type": "currency", "default": "12.50"},
        {
            "api_name": "kind",
            "type": "picklist",
            "values": [{"value": "call"}, {"value": "visit"}],
            "default": "visit",
        },
        {"api_name": "start", "type": "date", "default": {"expression": "TODAY()"}},
        {"api_name": "due", "type": "date", "default": {"expression": "ADDDAYS(TODAY(), 30)"}},
        {
            "api_name": "code",
            "type": "text",
            "default": {"expression": "CONCAT(UPPER(LEFT(name, 3)), '-', TEXT(qty))"},
        },
        {
            "api_name": "summary",
            "type": "text",
            "default": {"expression": "CONCAT(status, '/', TEXT(priority))"},
        },
        {"api_name": "budget", "type": "currency", "default": {"expression": "rate * qty"}},
        {"api_name": "created_by_key", "type": "text", "default": {"expression": "CURRENT_USER()"}},
        {"api_name": "ref", "type": "text", "unique": True},
    ],
}


@pytest.fixture
def frozen_api(engine_context: EngineContext, tenant: TenantHandle) -> Iterator[Api]:
    """The API as a fresh tenant, on a clock stopped at NOW."""
    frozen = EngineContext(db=engine_context.db, clock=lambda: NOW)
    with TestClient(create_app(frozen)) as client:
        yield Api(client=client, tenant=tenant)


@pytest.fixture
def tasks(frozen_api: Api) -> Api:
    response = frozen_api.post("/admin/objects", json=TASK)
    assert response.status_code == 201, response.json()
    return frozen_api


def create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/data/task", json=body)
    assert response.status_code == 201, response.json()
    return response.json()


def test_literal_defaults_fill_what_the_caller_leaves_out(tasks: Api) -> None:
    record = create(tasks, {"name": "call back"})
    assert (record["status"], record["priority"], record["billable"]) == ("open", 3, False)
    assert (record["rate"], record["kind"]) == ("12.50", "visit")
    assert tasks.get(f"/data/task/{record['id']}").json()["status"] == "open"


def test_expression_defaults_are_evaluated_on_create(tasks: Api) -> None:
    record = create(tasks, {"name": "visit acme", "qty": 4})
    assert (record["start"], record["due"]) == ("2026-03-15", "2026-04-14")
    assert record["code"] == "VIS-4"
    assert record["created_by_key"] == str(tasks.tenant.user_id)


def test_an_expression_default_reads_other_fields_and_their_literal_defaults(
    tasks: Api,
) -> None:
    defaulted = create(tasks, {"name": "x", "qty": 3})
    assert defaulted["summary"] == "open/3"
    assert defaulted["budget"] == "37.50"
    given = create(tasks, {"name": "x", "qty": 3, "status": "held", "priority": 1, "rate": "2"})
    assert given["summary"] == "held/1"
    assert given["budget"] == "6.00"
    blank = create(tasks, {"name": "x", "rate": None})
    assert blank["budget"] is None
    assert blank["code"] == "X-"


def test_a_value_given_by_the_caller_wins_over_the_default(tasks: Api) -> None:
    record = create(
        tasks,
        {
            "name": "visit acme",
            "qty": 4,
            "status": "done",
            "priority": 1,
            "due": "2026-12-24",
            "code": "MINE",
            "budget": "1",
        },
    )
    assert (record["status"], record["priority"]) == ("done", 1)
    assert (record["due"], record["code"], record["budget"]) == ("2026-12-24", "MINE", "1.00")


def test_an_explicit_null_is_kept_rather_than_defaulted(tasks: Api) -> None:
    record = create(tasks, {"name": "n", "qty": 1, "status": None, "due": None, "code": None})
    assert (record["status"], record["due"], record["code"]) == (None, None, None)
    assert record["start"] == "2026-03-15"


def test_defaults_are_not_applied_on_update(tasks: Api) -> None:
    record = create(tasks, {"name": "n", "qty": 2, "status": None, "due": None})
    path = f"/data/task/{record['id']}"
    updated = tasks.patch(path, json={"name": "other", "qty": 9})
    assert updated.status_code == 200, updated.json()
    body = updated.json()
    assert (body["status"], body["due"]) == (None, None)
    # Expression defaults computed at creation keep their value: they are not formulas.
    assert (body["code"], body["budget"], body["summary"]) == ("N-2", "25.00", "/3")

    cleared = tasks.patch(path, json={"code": None, "priority": None, "start": None}).json()
    assert (cleared["code"], cleared["priority"], cleared["start"]) == (None, None, None)
    again = tasks.patch(path, json={"name": "third"}).json()
    assert (again["code"], again["priority"], again["start"]) == (None, None, None)


def test_bulk_creation_applies_defaults_and_upserted_updates_do_not(tasks: Api) -> None:
    response = tasks.post(
        "/data/task/bulk",
        json=[{"name": "alpha", "qty": 1, "ref": "A"}, {"name": "beta", "due": None, "ref": "B"}],
    )
    assert response.status_code == 200, response.json()
    ids = [result["id"] for result in response.json()["results"]]
    first, second = (tasks.get(f"/data/task/{i}").json() for i in ids)
    assert (first["code"], first["due"], first["status"]) == ("ALP-1", "2026-04-14", "open")
    assert (second["code"], second["due"]) == ("BET-", None)

    tasks.patch(f"/data/task/{ids[0]}", json={"status": None, "code": None})
    upserted = tasks.post(
        "/data/task/bulk",
        params={"upsert_on": "ref"},
        json=[{"ref": "A", "name": "gamma", "qty": 5}, {"ref": "C", "name": "delta"}],
    )
    assert upserted.status_code == 200, upserted.json()
    assert [r["status"] for r in upserted.json()["results"]] == ["updated", "created"]
    updated = tasks.get(f"/data/task/{ids[0]}").json()
    assert (updated["name"], updated["status"], updated["code"]) == ("gamma", None, None)
    created = tasks.get(f"/data/task/{upserted.json()['results'][1]['id']}").json()
    assert (created["status"], created["code"]) == ("open", "DEL-")


def test_a_required_field_with_an_expression_default_can_be_left_out(frozen_api: Api) -> None:
    response = frozen_api.post(
        "/admin/objects",
        json={
            "api_name": "ticket",
            "fields": [
                {"api_name": "qty", "type": "integer"},
                {
                    "api_name": "code",
                    "type": "text",
                    "required": True,
                    "default": {"expression": "CONCAT('T-', TEXT(qty))"},
                },
            ],
        },
    )
    assert response.status_code == 201, response.json()
    created = frozen_api.post("/data/ticket", json={"qty": 7})
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "T-7"
    # An explicit blank is still refused: the field is required.
    refused = frozen_api.post("/data/ticket", json={"qty": 7, "code": None})
    assert refused.status_code == 422
    assert [(e["pointer"], e["code"]) for e in refused.json()["errors"]] == [("/code", "required")]
    # So is clearing it later: the same 422, not the database's refusal.
    cleared = frozen_api.patch(f"/data/ticket/{created.json()['id']}", json={"code": None})
    assert cleared.status_code == 422, cleared.json()
    assert [(e["field"], e["code"], e["message"]) for e in cleared.json()["errors"]] == [
        ("code", "required", "'code' is required")
    ]
    assert frozen_api.get(f"/data/ticket/{created.json()['id']}").json()["code"] == "T-7"


def test_an_expression_default_respects_the_fields_limits(frozen_api: Api) -> None:
    response = frozen_api.post(
        "/admin/objects",
        json={
            "api_name": "score",
            "fields": [
                {"api_name": "qty", "type": "integer"},
                {
                    "api_name": "points",
                    "type": "integer",
                    "min": 0,
                    "max": 10,
                    "default": {"expression": "qty * 100"},
                },
                {
                    "api_name": "tag",
                    "type": "text",
                    "max_length": 3,
                    "default": {"expression": "CONCAT('tag-', TEXT(qty))"},
                },
            ],
        },
    )
    assert response.status_code == 201, response.json()
    # The caller could not store 300 in points; neither can its default.
    given = frozen_api.post("/data/score", json={"qty": 3, "points": 300, "tag": "a"})
    assert given.status_code == 422
    defaulted = frozen_api.post("/data/score", json={"qty": 3, "tag": "a"})
    assert defaulted.status_code == 422, defaulted.json()
    assert [e["pointer"] for e in defaulted.json()["errors"]] == ["/points"]
    too_long = frozen_api.post("/data/score", json={"qty": 0})
    assert too_long.status_code == 422
    assert [(e["pointer"], e["code"]) for e in too_long.json()["errors"]] == [
        ("/tag", "default-failed")
    ]
    assert frozen_api.get("/data/score", params={"count": "true"}).json()["total"] == 0
    fits = frozen_api.post("/data/score", json={"qty": 0, "tag": "ok"})
    assert fits.status_code == 201
    assert fits.json()["points"] == 0


def test_an_expression_default_that_fails_names_its_field(frozen_api: Api) -> None:
    response = frozen_api.post(
        "/admin/objects",
        json={
            "api_name": "line",
            "fields": [
                {"api_name": "code", "type": "text"},
                {
                    "api_name": "number",
                    "type": "integer",
                    "default": {"expression": "VALUE(code)"},
                },
            ],
        },
    )
    assert response.status_code == 201, response.json()
    refused = frozen_api.post("/data/line", json={"code": "abc"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/number", "default-failed")
    assert "number" in error["message"]
    # The caller's own value means the default is not evaluated at all.
    assert frozen_api.post("/data/line", json={"code": "abc", "number": 1}).status_code == 201


@pytest.mark.parametrize(
    ("field", "pointer", "code"),
    [
        (
            {"api_name": "d", "type": "date", "default": {"expression": "CONCAT(name, 'x')"}},
            "/default/expression",
            "wrong-kind",
        ),
        (
            {"api_name": "n", "type": "integer", "default": {"expression": "name"}},
            "/default/expression",
            "wrong-kind",
        ),
        (
            {"api_name": "b", "type": "boolean", "default": {"expression": "qty + 1"}},
            "/default/expression",
            "wrong-kind",
        ),
        (
            {"api_name": "t", "type": "text", "default": {"expression": "TODAY()"}},
            "/default/expression",
            "wrong-kind",
        ),
        (
            {"api_name": "n", "type": "integer", "default": {"expression": "qtty * 2"}},
            "/default/expression",
            "unknown-field",
        ),
        (
            {"api_name": "b", "type": "boolean", "default": {"expression": "ISCHANGED(qty)"}},
            "/default/expression",
            "not-allowed-here",
        ),
        (
            {"api_name": "n", "type": "integer", "default": {"expression": "qty +"}},
            "/default/expression",
            "syntax-error",
        ),
        ({"api_name": "n", "type": "integer", "default": "many"}, "/default", "invalid-default"),
        ({"api_name": "d", "type": "date", "default": "someday"}, "/default", "invalid-default"),
    ],
)
def test_a_default_of_the_wrong_kind_is_refused_when_saved(
    tasks: Api, field: dict[str, Any], pointer: str, code: str
) -> None:
    response = tasks.post("/admin/objects/task/fields", json=field)
    assert response.status_code == 422, response.json()
    assert (pointer, code) in [(e["pointer"], e["code"]) for e in response.json()["errors"]]
    assert tasks.get(f"/admin/objects/task/fields/{field['api_name']}").status_code == 404


def test_changing_a_default_is_checked_and_applies_to_later_records(tasks: Api) -> None:
    refused = tasks.patch(
        "/admin/objects/task/fields/due", json={"default": {"expression": "CONCAT(name, 'x')"}}
    )
    assert refused.status_code == 422
    assert [(e["pointer"], e["code"]) for e in refused.json()["errors"]] == [
        ("/default/expression", "wrong-kind")
    ]
    assert tasks.get("/admin/objects/task/fields/due").json()["default"] == {
        "expression": "ADDDAYS(TODAY(), 30)"
    }
    earlier = create(tasks, {"name": "before"})

    changed = tasks.patch(
        "/admin/objects/task/fields/due", json={"default": {"expression": "ADDMONTHS(start, 2)"}}
    )
    assert changed.status_code == 200, changed.json()
    assert create(tasks, {"name": "after"})["due"] == "2026-05-15"
    assert create(tasks, {"name": "after", "start": "2026-01-31"})["due"] == "2026-03-31"
    assert tasks.get(f"/data/task/{earlier['id']}").json()["due"] == "2026-04-14"

    literal = tasks.patch("/admin/objects/task/fields/due", json={"default": "2027-01-01"})
    assert literal.status_code == 200, literal.json()
    assert create(tasks, {"name": "later"})["due"] == "2027-01-01"
