"""A field the caller may not read is, on every path that takes a field name, answered
exactly as a field that does not exist: writes, lookup keys, bulk and upsert, imports,
file routes and `GET /me` (docs/permissions.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from engine.errors import TesseraError
from engine.records.transfer import ImportSummary, import_batches
from tests.conftest import Api, add_user
from tests.runtime.app.permission_world import World, build_world

#: The field hidden from the writer, and a name no object has: every answer about the
#: first must be the answer about the second, with the name swapped.
HIDDEN, UNKNOWN = "secret_note", "other_note"
#: The writer reads and writes accounts and opportunities, except these fields.
WRITER_SET: dict[str, Any] = {
    "api_name": "hider",
    "objects": {
        "account": {"read": True, "create": True, "edit": True},
        "opportunity": {"read": True, "create": True, "edit": True},
    },
    "fields": {
        "account.secret_note": {"read": False, "edit": False},
        "opportunity.scan": {"read": False, "edit": False},
    },
}


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def writer(world: World) -> Api:
    assert world.admin.post("/admin/permission-sets", json=WRITER_SET).status_code == 201
    handle = add_user(world.admin.tenant, "writer@example.com", permission_sets=("hider",))
    return Api(client=world.admin.client, tenant=handle)


def _answer(response: Any) -> tuple[int, str]:
    return response.status_code, response.text


#: Each request naming a field `{f}`: of account, or of the account an opportunity
#: points at.
WRITES: dict[str, Callable[[Api, World, str], Any]] = {
    "create": lambda api, world, f: api.post("/data/account", json={"name": "N", f: "v"}),
    "update": lambda api, world, f: api.patch(
        f"/data/account/{world.ids['account']}", json={f: "v", "revenue": "x"}
    ),
    "bulk": lambda api, world, f: api.post(
        "/data/account/bulk?mode=partial", json=[{"name": "M", f: "v"}]
    ),
    "bulk all-or-nothing": lambda api, world, f: api.post(
        "/data/account/bulk", json=[{"name": "N", f: 1}]
    ),
    "upsert_on": lambda api, world, f: api.post(
        f"/data/account/bulk?upsert_on={f}", json=[{"name": "N", "code": "Z"}]
    ),
    "upsert body": lambda api, world, f: api.post(
        "/data/account/bulk?upsert_on=code", json=[{"code": "A-1", f: "v"}]
    ),
    "lookup key": lambda api, world, f: api.post(
        "/data/opportunity", json={"name": "x", f"account.{f}": "Acme-Secret-42"}
    ),
    "lookup key in bulk": lambda api, world, f: api.post(
        "/data/opportunity/bulk?mode=partial", json=[{"name": "x", f"account.{f}": "A"}]
    ),
}


@pytest.mark.parametrize("path", WRITES)
def test_writing_a_hidden_field_is_answered_as_writing_an_unknown_one(
    world: World, writer: Api, path: str
) -> None:
    send = WRITES[path]
    hidden = _answer(send(writer, world, HIDDEN))
    unknown = _answer(send(writer, world, UNKNOWN))
    assert hidden[0] == unknown[0], hidden
    assert hidden[0] in (200, 422)  # a partial bulk reports its records' errors in a 200
    assert hidden[1] == unknown[1].replace(UNKNOWN, HIDDEN)
    assert '"errors":[{' in hidden[1] and '"created":1' not in hidden[1]
    assert world.admin.get(f"/data/account/{world.ids['account']}").json()[HIDDEN] != "v"
    # The administrator reads the field and is answered otherwise.
    assert _answer(send(world.admin, world, HIDDEN)) != hidden


def test_hints_never_name_a_hidden_field(world: World, writer: Api) -> None:
    typos = [
        writer.post("/data/account", json={"name": "N", "secret_not": "v"}),
        writer.post("/data/account/bulk?upsert_on=secret_not", json=[{"name": "N"}]),
        writer.post("/data/opportunity", json={"name": "x", "account.secret_not": "v"}),
        writer.get(f"/data/opportunity/{world.ids['opportunity']}/files/sca"),
    ]
    assert [typo.status_code for typo in typos] == [422, 422, 422, 404]
    assert all(HIDDEN not in typo.text and "scan" not in typo.text for typo in typos)
    assert (
        "secret_note"
        in world.admin.post("/data/account", json={"name": "N", "secret_not": "v"}).text
    )


def test_a_readable_field_the_caller_may_not_write_is_still_refused_by_name(
    world: World,
) -> None:
    refused = world.as_user("rep").patch(
        f"/data/opportunity/{world.ids['opportunity']}", json={"margin": "1"}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "field-not-editable"
    assert refused.json()["errors"][0]["pointer"] == "/margin"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_hidden_file_field_is_answered_as_an_unknown_field(
    world: World, writer: Api, method: str
) -> None:
    def send(name: str) -> Any:
        path = f"/data/opportunity/{world.ids['opportunity']}/files/{name}"
        if method == "POST":
            return writer.post(path, files={"file": ("a.txt", b"hello", "text/plain")})
        return writer.request(method, path)

    hidden, unknown = _answer(send("scan")), _answer(send("other_scan"))
    assert hidden[0] == unknown[0] == 404, hidden
    assert hidden[1] == unknown[1].replace("other_scan", "scan")


def test_a_lookup_named_by_a_hidden_name_field_is_answered_as_one_without_a_name(
    world: World,
) -> None:
    set_ = {
        "api_name": "nameless",
        "objects": {"account": {"read": True}, "opportunity": {"read": True, "create": True}},
        "fields": {"account.name": {"read": False}},
    }
    assert world.admin.post("/admin/permission-sets", json=set_).status_code == 201
    handle = add_user(world.admin.tenant, "nameless@example.com", permission_sets=("nameless",))
    blind = Api(client=world.admin.client, tenant=handle)
    for name in ("Acme", "Nobody"):
        refused = blind.post("/data/opportunity", json={"name": "x", "account": name})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["code"] == "invalid-id"
        assert "account.name" not in refused.text
        assert "has no field that names its records" in refused.text


def test_a_lookup_matched_on_a_masked_field_is_refused_clearly(world: World) -> None:
    # The clerk reads `phone` masked: a match would tell its value.
    refused = world.as_user("clerk").post(
        "/data/opportunity", json={"name": "x", "account.phone": "13812345678"}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "field-masked"
    assert "view_pii" not in refused.text or "phone" in refused.text


def _import(
    api: Api, rows: list[dict[str, Any]], *, object_name: str = "account", **options: Any
) -> str:
    """What an import of `rows` answers: its refusal, or its summary's errors."""
    try:
        summary: ImportSummary = import_batches(
            api.tenant.context(),
            object_name,
            list(enumerate(rows, start=2)),
            **{"from_text": True, **options},
        )
    except TesseraError as error:
        return f"{type(error).__name__} {error.detail} {error.problems}"
    errors = [(e.line, e.field, e.code, e.message) for e in summary.errors]
    return f"created {summary.created} ignored {summary.ignored_columns} {errors}"


IMPORTS: dict[str, Callable[[Api, str], str]] = {
    "csv column": lambda api, f: _import(api, [{"name": "N", f: "v"}], header=["name", f]),
    "json lines key": lambda api, f: _import(api, [{"name": "N", f: "v"}], from_text=False),
    "lookup column": lambda api, f: _import(
        api,
        [{"name": "N", f"account.{f}": "v"}],
        header=["name", f"account.{f}"],
        object_name="opportunity",
    ),
    "upsert_on": lambda api, f: _import(
        api, [{"name": "N", "code": "Z"}], header=["name", "code"], upsert_on=f
    ),
}


@pytest.mark.parametrize("path", IMPORTS)
def test_importing_a_hidden_field_is_answered_as_importing_an_unknown_one(
    world: World, writer: Api, path: str
) -> None:
    hidden = IMPORTS[path](writer, HIDDEN)
    unknown = IMPORTS[path](writer, UNKNOWN)
    assert hidden == unknown.replace(UNKNOWN, HIDDEN)
    assert "created 1" not in hidden


def test_a_hidden_computed_field_is_an_unknown_column_not_an_ignored_one(
    world: World, writer: Api
) -> None:
    formula = {
        "api_name": "secret_score",
        "type": "formula",
        "expression": "1",
        "return_type": "integer",
    }
    assert world.admin.post("/admin/objects/account/fields", json=formula).status_code == 201
    fields = {**WRITER_SET["fields"], "account.secret_score": {"read": False, "edit": False}}
    patched = world.admin.patch("/admin/permission-sets/hider", json={"fields": fields})
    assert patched.status_code == 200, patched.text
    header = ["name", "secret_score"]
    answer = _import(writer, [{"name": "N", "secret_score": "1"}], header=header)
    assert "unknown-column" in answer
    assert answer == _import(
        writer, [{"name": "N", "other_score": "1"}], header=["name", "other_score"]
    ).replace("other_score", "secret_score")
    assert "ignored ('secret_score',)" in _import(
        world.admin, [{"name": "N", "secret_score": "1"}], header=header
    )


def test_me_names_no_field_the_caller_may_not_read(world: World, writer: Api) -> None:
    rep = world.as_user("rep")
    fields = rep.get("/me").json()["rights"]["fields"]
    assert fields == {"opportunity.margin": {"read": True, "edit": False}}
    assert HIDDEN not in json.dumps(writer.get("/me").json())
    assert "scan" not in json.dumps(writer.get("/me").json())


def test_a_hidden_required_field_is_reported_without_its_name(world: World, writer: Api) -> None:
    required = world.admin.patch(f"/admin/objects/account/fields/{HIDDEN}", json={"required": True})
    assert required.status_code == 200, required.text
    refused = writer.post("/data/account", json={"name": "N"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "pointer": "",
            "field": "",
            "code": "required",
            "message": "a required field of 'account' that you may not read has no value; "
            "ask an administrator to grant it to you or to give it a default",
        }
    ]
    assert HIDDEN not in refused.text
    assert HIDDEN in world.admin.post("/data/account", json={"name": "N"}).text


def test_a_clash_on_a_unique_field_the_writer_may_not_read_does_not_name_it(api: Api) -> None:
    ticket = {
        "api_name": "ticket",
        "fields": [
            {"api_name": "title", "type": "text"},
            {"api_name": "slot", "type": "text", "unique": True, "default": "only-one"},
        ],
    }
    assert api.post("/admin/objects", json=ticket).status_code == 201
    blind = {
        "api_name": "blind",
        "objects": {"ticket": {"read": True, "create": True}},
        "fields": {"ticket.slot": {"read": False}},
    }
    assert api.post("/admin/permission-sets", json=blind).status_code == 201
    writer = Api(
        client=api.client,
        tenant=add_user(api.tenant, "blind@example.com", permission_sets=("blind",)),
    )
    assert writer.post("/data/ticket", json={"title": "first"}).status_code == 201
    answers = [
        writer.post("/data/ticket", json={"title": "second"}),
        writer.post("/data/ticket/bulk", json=[{"title": "third"}]),
        writer.post("/data/ticket/bulk?mode=partial", json=[{"title": "4"}, {"title": "5"}]),
    ]
    for answer in answers:
        assert answer.status_code in (200, 409, 422), answer.text  # partial bulk: 200
        assert "not-unique" in answer.text, answer.text
        assert "slot" not in answer.text, answer.text
    # The administrator, who reads the field, is told which field and which record.
    named = api.post("/data/ticket", json={"title": "admin"})
    assert named.status_code == 409 and "slot" in named.text


def test_validation_problems_name_no_field_the_writer_may_not_read(api: Api) -> None:
    ticket = {
        "api_name": "ticket",
        "fields": [
            {"api_name": "title", "type": "text"},
            {"api_name": "budget", "type": "integer", "default": 0},
            {"api_name": "code", "type": "text", "default": "Acme-Secret"},
        ],
        "validation_rules": [
            {
                "api_name": "short_title",
                "expression": "LEN(title) < 3",
                "message": "the title is too short",
                "field": "budget",
            },
            {
                "api_name": "per_unit",
                "expression": "title == 'split' and VALUE(code) > 1",
                "message": "too much per unit",
            },
        ],
    }
    created = api.post("/admin/objects", json=ticket)
    assert created.status_code == 201, created.text
    blind = {
        "api_name": "blind",
        "objects": {"ticket": {"read": True, "create": True}},
        "fields": {"ticket.budget": {"read": False}, "ticket.code": {"read": False}},
    }
    assert api.post("/admin/permission-sets", json=blind).status_code == 201
    writer = Api(
        client=api.client,
        tenant=add_user(api.tenant, "blind@example.com", permission_sets=("blind",)),
    )
    short = writer.post("/data/ticket", json={"title": "ab"})
    assert short.status_code == 422, short.text
    [problem] = short.json()["errors"]
    assert (problem["pointer"], problem["message"]) == ("", "the title is too short")
    failed = writer.post("/data/ticket", json={"title": "split"})
    assert failed.status_code == 422, failed.text
    assert "Acme-Secret" not in failed.text, failed.text
    [problem] = failed.json()["errors"]
    assert (problem["code"], problem["message"]) == (
        "rule-failed",
        "validation rule 'per_unit' could not be evaluated; ask an administrator",
    )
    # The administrator, who reads the field, is pointed at it and told the error.
    named = api.post("/data/ticket", json={"title": "ab"})
    assert named.json()["errors"][0]["pointer"] == "/budget"
    told = api.post("/data/ticket", json={"title": "split"})
    assert "Acme-Secret" in told.text, told.text
