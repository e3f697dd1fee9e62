"""The required-field check: once per record, after every default, on every write path."""

from __future__ import annotations

from typing import Any

import pytest

from engine import metadata_changes, records
from engine.errors import RecordValidationError
from engine.query import ListQuery
from engine.records.transfer import import_batches
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

TICKET = {
    "api_name": "ticket",
    "fields": [
        {"api_name": "title", "type": "text", "required": True},
        {"api_name": "qty", "type": "integer", "required": True},
        {"api_name": "prefix", "type": "text"},
        {"api_name": "status", "type": "text", "required": True, "default": "open"},
        # Filled from the prefix; no prefix, no value.
        {
            "api_name": "code",
            "type": "text",
            "required": True,
            "unique": True,
            "default": {"expression": "UPPER(prefix)"},
        },
        {"api_name": "number", "type": "auto_number", "format": "T-{000}"},
    ],
    "validation_rules": [
        {"api_name": "small_qty", "expression": "qty > 100", "message": "at most 100"}
    ],
}
TITLE = ("/title", "required", "'title' is required")
QTY = ("/qty", "required", "'qty' is required")
STATUS = ("/status", "required", "'status' is required")
CODE = ("/code", "required", "'code' is required and its default gave no value")


@pytest.fixture
def desk(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(TICKET))
    return tenant


def refused(call: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str, str]]:
    """The problems of the RecordValidationError `call` raises, as (pointer, code, detail)."""
    with pytest.raises(RecordValidationError) as caught:
        call(*args, **kwargs)
    return [(p.pointer, p.code, p.detail) for p in caught.value.problems]


def stored(tenant: TenantHandle) -> list[dict[str, Any]]:
    page = records.query_records(tenant.context(), "ticket", ListQuery(limit=50, sort="title"))
    return list(page["data"])


def test_a_missing_required_literal_field_is_named(desk: TenantHandle) -> None:
    problems = refused(records.create_record, desk.context(), "ticket", {"qty": 1, "prefix": "a"})
    assert problems == [TITLE]
    assert stored(desk) == []


def test_a_required_field_filled_by_its_defaults_passes(desk: TenantHandle) -> None:
    record = records.create_record(
        desk.context(), "ticket", {"title": "Leak", "qty": 1, "prefix": "ab"}
    )
    assert (record["status"], record["code"], record["number"]) == ("open", "AB", "T-001")


def test_a_required_field_whose_expression_default_gives_no_value_is_named(
    desk: TenantHandle,
) -> None:
    problems = refused(records.create_record, desk.context(), "ticket", {"title": "L", "qty": 1})
    assert problems == [CODE]
    assert stored(desk) == []


def test_a_required_field_sent_as_null_is_refused_whatever_its_default(
    desk: TenantHandle,
) -> None:
    body = {"title": "L", "qty": 1, "prefix": "a", "status": None, "code": None}
    problems = refused(records.create_record, desk.context(), "ticket", body)
    assert problems == [STATUS, ("/code", "required", "'code' is required")]


def test_every_missing_required_field_of_a_record_is_reported_at_once(
    desk: TenantHandle,
) -> None:
    assert refused(records.create_record, desk.context(), "ticket", {}) == [TITLE, QTY, CODE]
    # Rules do not judge a record missing required values: qty > 100 is not reported.
    problems = refused(records.create_record, desk.context(), "ticket", {"qty": 500})
    assert problems == [TITLE, CODE]


def test_missing_fields_are_reported_with_the_bodys_other_problems(desk: TenantHandle) -> None:
    problems = refused(records.create_record, desk.context(), "ticket", {"colour": "red"})
    # The unknown key is no value a default reads: code's default runs, and gives none.
    assert [(pointer, code) for pointer, code, _ in problems] == [
        ("/colour", "unknown-field"),
        ("/title", "required"),
        ("/qty", "required"),
        ("/code", "required"),
    ]


def test_a_value_that_does_not_fit_is_reported_once_not_also_as_missing(
    desk: TenantHandle,
) -> None:
    problems = refused(records.create_record, desk.context(), "ticket", {"title": "L", "qty": "x"})
    # qty is not also missing; code's default reads no refused value, so it runs (and
    # gives no value, without a prefix), and the rule reading qty does not.
    assert [(pointer, code) for pointer, code, _ in problems] == [
        ("/qty", "wrong-type"),
        ("/code", "required"),
    ]


def test_an_update_judges_only_the_required_fields_it_sends(desk: TenantHandle) -> None:
    context = desk.context()
    record = records.create_record(context, "ticket", {"title": "L", "qty": 1, "prefix": "a"})
    changed = records.update_record(context, "ticket", record["id"], {"qty": 2})
    assert (changed["title"], changed["qty"], changed["code"]) == ("L", 2, "A")
    body = {"title": None, "code": None, "prefix": None}
    problems = refused(records.update_record, context, "ticket", record["id"], body)
    assert problems == [TITLE, ("/code", "required", "'code' is required")]
    assert [(r["title"], r["code"], r["version"]) for r in stored(desk)] == [("L", "A", 2)]


def test_a_batch_names_each_missing_field_at_its_record_index(desk: TenantHandle) -> None:
    bodies = [{"title": "A", "qty": 1, "prefix": "a"}, {"qty": 1}, {"title": "C", "qty": 1}]
    problems = refused(records.bulk_write, desk.context(), "ticket", bodies)
    assert problems == [
        ("/1/title", *TITLE[1:]),
        ("/1/code", *CODE[1:]),
        ("/2/code", *CODE[1:]),
    ]
    assert stored(desk) == []

    partial = records.bulk_write(desk.context(), "ticket", bodies, is_partial=True)
    assert [(o.status, [p.pointer for p in o.errors]) for o in partial.outcomes] == [
        ("created", []),
        ("error", ["/1/title", "/1/code"]),
        ("error", ["/2/code"]),
    ]
    assert [(r["title"], r["number"]) for r in stored(desk)] == [("A", "T-001")]


def test_an_upsert_needs_required_fields_only_on_the_records_it_creates(
    desk: TenantHandle,
) -> None:
    context = desk.context()
    records.create_record(context, "ticket", {"title": "Old", "qty": 1, "prefix": "a"})
    # The update leaves title and qty as stored; the creation lacks title.
    bodies = [{"code": "A", "qty": 3}, {"code": "B", "qty": 1}]
    assert refused(records.bulk_write, context, "ticket", bodies, upsert_on="code") == [
        ("/1/title", *TITLE[1:])
    ]
    cleared = [{"code": "A", "title": None}, {"code": "B", "title": "New", "qty": 1}]
    assert refused(records.bulk_write, context, "ticket", cleared, upsert_on="code") == [
        ("/0/title", *TITLE[1:])
    ]
    bodies[1]["title"] = "New"
    result = records.bulk_write(context, "ticket", bodies, upsert_on="code")
    assert [o.status for o in result.outcomes] == ["updated", "created"]
    assert [(r["title"], r["qty"], r["code"]) for r in stored(desk)] == [
        ("New", 1, "B"),
        ("Old", 3, "A"),
    ]


def test_the_record_writer_reports_missing_fields_and_its_transaction_goes_on(
    desk: TenantHandle,
) -> None:
    with desk.writer() as writer:
        assert refused(writer.create, "ticket", {}) == [TITLE, QTY, CODE]
        assert refused(writer.write_batch, "ticket", [{"title": "B", "qty": 1}]) == [
            ("/0/code", *CODE[1:])
        ]
        record = writer.create("ticket", {"title": "A", "qty": 1, "prefix": "a"})
        assert refused(writer.update, "ticket", record["id"], {"qty": None}) == [QTY]
    # The refused writes drew no auto-number.
    assert [(r["title"], r["number"]) for r in stored(desk)] == [("A", "T-001")]


def test_an_import_names_the_missing_fields_by_line(desk: TenantHandle) -> None:
    rows = [
        (2, {"title": "A", "qty": "1", "prefix": "a"}),
        (3, {"title": "", "qty": "1", "prefix": ""}),
    ]
    summary = import_batches(desk.context(), "ticket", rows, from_text=True)
    assert (summary.created, summary.failed) == (1, 1)
    assert [(error.line, error.field, error.code) for error in summary.errors] == [
        (3, "title", "required"),
        (3, "code", "required"),
    ]
