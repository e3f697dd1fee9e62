"""Lookups given by the target's id, a unique field (`account.code`) or its name, in batches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import FromClause, event
from sqlalchemy.sql.elements import ColumnElement

from engine import metadata_changes, records
from engine.catalog import CompiledObject
from engine.context import RequestContext
from engine.errors import RecordValidationError
from engine.query import QueryScope
from engine.records import bulk
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "code", "type": "text", "unique": True},
        {"api_name": "number", "type": "integer", "unique": True},
        {"api_name": "city", "type": "text"},
        {"api_name": "secret", "type": "boolean"},
    ],
}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "title", "type": "text", "required": True},
        {"api_name": "ref", "type": "text", "unique": True},
        {"api_name": "account", "type": "lookup", "target": "account", "required": True},
    ],
}


@pytest.fixture
def crm(tenant: TenantHandle) -> dict[str, str]:
    """Accounts Acme (twice: ambiguous by name), Globex, and a secret one; deals point at them."""
    for document in (ACCOUNT, DEAL):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(document))
    context = tenant.context()
    ids = {}
    for code, name, number, secret in (
        ("C-1", "Acme", 1, False),
        ("C-2", "Acme", 2, False),
        ("C-3", "Globex", 3, False),
        ("C-4", "Hidden Ltd", 4, True),
    ):
        ids[code] = records.create_record(
            context,
            "account",
            {"code": code, "name": name, "number": number, "secret": secret},
        )["id"]
    return ids


def write(tenant: TenantHandle, bodies: list[Any], **options: Any) -> records.BatchResult:
    return records.bulk_write(tenant.context(), "deal", bodies, **options)


def accounts_of(tenant: TenantHandle) -> dict[str, str]:
    page = records.query_records(tenant.context(), "deal", records_query())
    return {record["title"]: record["account"] for record in page["data"]}


def records_query() -> Any:
    from engine.query import ListQuery

    return ListQuery(limit=200)


def test_a_unique_field_of_the_target_names_the_record(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    result = write(
        tenant,
        [
            {"title": "By code", "account.code": "C-3"},
            {"title": "By number", "account.number": 2},
            {"title": "By id key", "account.id": crm["C-1"]},
            {"title": "By id", "account": crm["C-1"]},
        ],
    )
    assert result.count("created") == 4
    assert accounts_of(tenant) == {
        "By code": crm["C-3"],
        "By number": crm["C-2"],
        "By id key": crm["C-1"],
        "By id": crm["C-1"],
    }


def test_a_plain_value_that_is_not_an_id_is_matched_against_the_name_field(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    write(
        tenant,
        [{"title": "Plain", "account": "Globex"}, {"title": "Path", "account.name": "Globex"}],
    )
    assert accounts_of(tenant) == {"Plain": crm["C-3"], "Path": crm["C-3"]}


def test_misses_and_ambiguous_names_are_errors_by_index_with_field_and_value(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    result = write(
        tenant,
        [
            {"title": "Fine", "account.code": "C-1"},
            {"title": "Twice", "account": "Acme"},
            {"title": "Nobody", "account.code": "C-404"},
            {"title": "Bad number", "account.number": "many"},
        ],
        is_partial=True,
    )
    problems = {
        outcome.index: [(p.pointer, p.code, p.detail) for p in outcome.errors]
        for outcome in result.outcomes
        if outcome.errors
    }
    assert problems == {
        1: [
            (
                "/1/account",
                "ambiguous-record",
                "2 account records have name 'Acme'; name one by its id or by a "
                "unique field (account.id, account.code, account.number)",
            )
        ],
        2: [("/2/account", "unknown-record", "no account record has code 'C-404'")],
        3: [("/3/account", "wrong-type", "account.number: expected a whole number, got 'many'")],
    }
    assert result.count("created") == 1


def test_a_record_with_an_unmatched_lookup_still_reports_its_other_problems(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    with pytest.raises(RecordValidationError) as refused:
        write(tenant, [{"account.code": "C-404", "colour": "red"}])
    assert {(p.pointer, p.code) for p in refused.value.problems} == {
        ("/0/account", "unknown-record"),
        ("/0/colour", "unknown-field"),
        ("/0/title", "required"),
    }


@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        ("account.nope", "unknown-field", "'account' has no field 'nope'"),
        ("acount.code", "unknown-field", "did you mean 'account'?"),
        ("account.city", "not-unique", "'city' is not a unique field of 'account'"),
        ("title.code", "not-a-lookup", "'title' in 'title.code' is not a lookup field"),
        ("account.owner.code", "path-too-long", "follows more than one lookup"),
    ],
)
def test_a_key_that_cannot_name_a_record_is_refused_at_the_key(
    tenant: TenantHandle, crm: dict[str, str], key: str, code: str, message: str
) -> None:
    with pytest.raises(RecordValidationError) as refused:
        write(tenant, [{"title": "T", key: "x"}])
    problem = next(p for p in refused.value.problems if p.pointer == f"/0/{key}")
    assert problem.code == code
    assert message in problem.detail


def test_a_lookup_given_twice_is_refused(tenant: TenantHandle, crm: dict[str, str]) -> None:
    with pytest.raises(RecordValidationError) as refused:
        write(tenant, [{"title": "T", "account": crm["C-1"], "account.code": "C-2"}])
    assert [(p.pointer, p.code) for p in refused.value.problems] == [("/0/account", "repeated-key")]


def test_a_lookup_given_three_times_is_refused_once_per_repetition(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    body = {"title": "T", "account.code": "C-1", "account.number": 2, "account": crm["C-3"]}
    with pytest.raises(RecordValidationError) as refused:
        write(tenant, [body])
    assert [(p.pointer, p.code) for p in refused.value.problems] == [
        ("/0/account", "repeated-key"),
        ("/0/account", "repeated-key"),
    ]


def test_a_target_without_a_name_field_asks_for_a_unique_key(tenant: TenantHandle) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "region",
                "fields": [{"api_name": "code", "type": "integer", "unique": True}],
            }
        ),
    )
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "shop",
                "fields": [{"api_name": "region", "type": "lookup", "target": "region"}],
            }
        ),
    )
    with pytest.raises(RecordValidationError) as refused:
        records.bulk_write(tenant.context(), "shop", [{"region": "North"}])
    (problem,) = refused.value.problems
    assert (problem.pointer, problem.code) == ("/0/region", "invalid-id")
    assert "region.id, region.code" in problem.detail


def test_without_a_name_field_a_targets_first_text_field_names_its_records(
    tenant: TenantHandle,
) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "region",
                "fields": [
                    {"api_name": "rank", "type": "integer"},
                    {"api_name": "title", "type": "text"},
                ],
            }
        ),
    )
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "shop",
                "fields": [{"api_name": "region", "type": "lookup", "target": "region"}],
            }
        ),
    )
    [north] = records.bulk_write(
        tenant.context(), "region", [{"rank": 1, "title": "North"}]
    ).outcomes
    [shop] = records.bulk_write(tenant.context(), "shop", [{"region": "North"}]).outcomes
    assert shop.status == "created"
    stored = records.get_record(tenant.context(), "shop", str(shop.id))
    assert stored["region"] == str(north.id)


def test_upserts_take_lookup_keys_too(tenant: TenantHandle, crm: dict[str, str]) -> None:
    write(tenant, [{"title": "Deal", "ref": "R-1", "account.code": "C-1"}])
    result = write(
        tenant,
        [
            {"ref": "R-1", "account.code": "C-3"},
            {"ref": "R-2", "title": "New", "account": "Globex"},
        ],
        upsert_on="ref",
    )
    assert (result.count("updated"), result.count("created")) == (1, 1)
    assert accounts_of(tenant) == {"Deal": crm["C-3"], "New": crm["C-3"]}


@contextmanager
def statements_on(tenant: TenantHandle, table: str) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        reads_table = re.search(rf"FROM \S*\b{table}\b", statement) is not None
        if statement.lstrip().upper().startswith("SELECT") and reads_table:
            seen.append(statement)

    engine = tenant.engine.db
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_keys_are_resolved_with_one_query_per_lookup_column_for_the_whole_batch(
    tenant: TenantHandle, crm: dict[str, str]
) -> None:
    bodies = [
        {"title": f"D{i}", "account.code": f"C-{1 + i % 3}" if i % 2 else "Globex"}
        for i in range(1200)
    ]
    for body in bodies[::2]:
        body["account"] = body.pop("account.code")
    with statements_on(tenant, "account") as seen:
        result = write(tenant, bodies)
    assert result.count("created") == 1200
    # One query for the codes, one for the names, and the pipeline's check of the ids.
    assert 1 <= len(seen) <= 3, seen


class PublicOnly:
    """A scope that hides secret accounts, as record sharing will hide rows."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        if "secret" not in obj.fields:
            return None
        return table.c[obj.fields["secret"].column.name].is_not(True)

    edit_predicate = predicate


def test_a_record_outside_the_callers_scope_is_not_found(
    tenant: TenantHandle, crm: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def scope(_: RequestContext) -> QueryScope:
        return PublicOnly()

    monkeypatch.setattr(bulk, "caller_scope", scope)
    with pytest.raises(RecordValidationError) as refused:
        write(
            tenant, [{"title": "T", "account.code": "C-4"}, {"title": "U", "account": "Hidden Ltd"}]
        )
    assert [(p.pointer, p.code) for p in refused.value.problems] == [
        ("/0/account", "unknown-record"),
        ("/1/account", "unknown-record"),
    ]
