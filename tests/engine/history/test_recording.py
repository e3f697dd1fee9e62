"""Field history is written in the save's transaction for tracked fields, and only for them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from engine import metadata_changes, records
from engine.context import Channel
from engine.errors import MetadataError
from engine.history import history_table
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle

CONTACT = {
    "api_name": "contact",
    "fields": [
        {"api_name": "name", "type": "text", "track_history": True},
        {"api_name": "budget", "type": "currency", "track_history": True},
        {"api_name": "birthday", "type": "date", "track_history": True},
        {"api_name": "note", "type": "text"},
    ],
}
NOTE = {"api_name": "memo", "fields": [{"api_name": "text", "type": "text"}]}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {
            "api_name": "contact",
            "type": "lookup",
            "target": "contact",
            "on_delete": "set_null",
            "track_history": True,
        },
    ],
}


def history_rows(tenant: TenantHandle, record_id: str | UUID | None = None) -> list[dict[str, Any]]:
    """Every history row of the tenant (of one record), oldest first."""
    context = tenant.context()
    table = history_table(context.tenant.schema_name)
    query = sa.select(table).order_by(table.c.id)
    if record_id is not None:
        query = query.where(table.c.record_id == UUID(str(record_id)))
    with tenant.engine.db.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def changes(rows: list[dict[str, Any]], fields: dict[UUID, str]) -> list[tuple[Any, ...]]:
    return [(fields[row["field_id"]], row["old_value"], row["new_value"]) for row in rows]


def field_ids(tenant: TenantHandle, object_name: str) -> dict[UUID, str]:
    """The names of the object's live fields, by field id."""
    _, obj = records.compiled_object(tenant.context(), object_name)
    return {compiled.state.id: name for name, compiled in obj.fields.items()}


@pytest.fixture
def crm(tenant: TenantHandle) -> TenantHandle:
    for body in (CONTACT, NOTE, DEAL):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    return tenant


def test_a_create_keeps_each_tracked_value_given_and_nothing_of_untracked_fields(
    crm: TenantHandle,
) -> None:
    created = records.create_record(
        crm.context(), "contact", {"name": "Ann", "budget": "12.50", "note": "vip"}
    )
    rows = history_rows(crm, created["id"])
    assert changes(rows, field_ids(crm, "contact")) == [
        ("budget", None, "12.50"),
        ("name", None, "Ann"),
    ]
    assert {row["channel"] for row in rows} == {"api"}
    assert {row["origin"] for row in rows} == {"save"}
    assert {row["actor"] for row in rows} == {str(crm.user_id)}


def test_an_update_keeps_old_and_new_values_as_json_and_skips_unchanged_fields(
    crm: TenantHandle,
) -> None:
    created = records.create_record(crm.context(), "contact", {"name": "Ann", "budget": "1.00"})
    records.update_record(
        crm.context(),
        "contact",
        created["id"],
        {"name": "Ann", "budget": "2.50", "birthday": "1990-04-01", "note": "x"},
    )
    rows = history_rows(crm, created["id"])[2:]
    assert changes(rows, field_ids(crm, "contact")) == [
        ("birthday", None, "1990-04-01"),
        ("budget", "1.00", "2.50"),
    ]
    # The time of the save, as the record's updated_at says it.
    updated_at = records.get_record(crm.context(), "contact", created["id"])["updated_at"]
    assert {row["at"].isoformat() for row in rows} == {updated_at}


def test_a_deleted_record_keeps_its_history(crm: TenantHandle) -> None:
    created = records.create_record(crm.context(), "contact", {"name": "Ann"})
    records.delete_record(crm.context(), "contact", created["id"])
    assert len(history_rows(crm, created["id"])) == 1


def test_purging_a_field_or_an_object_drops_its_history(crm: TenantHandle) -> None:
    created = records.create_record(crm.context(), "contact", {"name": "Ann", "budget": "3"})
    metadata_changes.delete_field(crm.context(), "contact", "budget")
    assert len(history_rows(crm, created["id"])) == 2  # deleted, restorable: kept
    metadata_changes.purge_field(crm.context(), "contact", "budget")
    assert changes(history_rows(crm, created["id"]), field_ids(crm, "contact")) == [
        ("name", None, "Ann")
    ]
    metadata_changes.delete_object(crm.context(), "deal")
    metadata_changes.purge_object(crm.context(), "deal")
    metadata_changes.delete_object(crm.context(), "contact")
    assert len(history_rows(crm, created["id"])) == 1
    metadata_changes.purge_object(crm.context(), "contact")
    assert history_rows(crm) == []


def test_a_lookup_a_deletion_empties_is_kept_with_its_origin(crm: TenantHandle) -> None:
    contact = records.create_record(crm.context(), "contact", {"name": "Ann"})
    deal = records.create_record(crm.context(), "deal", {"name": "D", "contact": contact["id"]})
    records.delete_record(crm.context(), "contact", contact["id"])
    rows = history_rows(crm, deal["id"])
    assert [(row["old_value"], row["new_value"], row["origin"]) for row in rows] == [
        (None, contact["id"], "save"),
        (contact["id"], None, "reference-cleared"),
    ]


def test_values_a_metadata_change_fills_in_are_kept_with_its_origin(crm: TenantHandle) -> None:
    created = records.create_record(crm.context(), "contact", {"name": "Ann"})
    metadata_changes.update_field(
        crm.context(), "contact", "birthday", {"required": True, "default": "2000-01-01"}
    )
    [row] = history_rows(crm, created["id"])[1:]
    assert (row["old_value"], row["new_value"], row["origin"]) == (
        None,
        "2000-01-01",
        "metadata-change",
    )


def test_writes_inside_a_transaction_keep_the_channel_of_their_context(crm: TenantHandle) -> None:
    context = crm.context().through(Channel.WORKFLOW)
    with crm.writer() as writer:
        assert writer.context.channel is Channel.API
        workflow = records.RecordWriter(writer.connection, context, writer.scope)
        created = workflow.create("contact", {"name": "Bot"})
    assert [row["channel"] for row in history_rows(crm, created["id"])] == ["workflow"]


def test_a_field_turned_tracked_starts_its_history_at_the_next_change(crm: TenantHandle) -> None:
    created = records.create_record(crm.context(), "contact", {"name": "Ann", "note": "a"})
    metadata_changes.update_field(crm.context(), "contact", "note", {"track_history": True})
    records.update_record(crm.context(), "contact", created["id"], {"note": "b"})
    assert changes(history_rows(crm, created["id"])[1:], field_ids(crm, "contact")) == [
        ("note", "a", "b")
    ]


def test_computed_fields_cannot_be_tracked(crm: TenantHandle) -> None:
    with pytest.raises(MetadataError) as refused:
        metadata_changes.add_field(
            crm.context(),
            "contact",
            FieldDef(
                api_name="label",
                type="formula",
                return_type="text",
                expression="name",
                track_history=True,
            ),
        )
    [problem] = refused.value.problems
    assert problem.pointer == "/track_history" and problem.code == "option-not-allowed"
    assert "computed" in problem.detail


@contextmanager
def counted(tenant: TenantHandle) -> Iterator[list[str]]:
    """Collect the SQL statements the engine runs meanwhile."""
    statements: list[str] = []

    def collect(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(tenant.engine.db, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(tenant.engine.db, "before_cursor_execute", collect)


def memo_saves(tenant: TenantHandle) -> list[str]:
    """The statements of one create, one update and one delete of a memo."""
    with counted(tenant) as statements:
        created = records.create_record(tenant.context(), "memo", {"text": "a"})
        records.update_record(tenant.context(), "memo", created["id"], {"text": "b"})
        records.delete_record(tenant.context(), "memo", created["id"])
    return statements


def test_saving_an_untracked_object_runs_no_statement_more(tenant: TenantHandle) -> None:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(NOTE))
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate({**CONTACT, "fields": [{"api_name": "name", "type": "text"}]}),
    )
    untracked_tenant = memo_saves(tenant)
    metadata_changes.update_field(tenant.context(), "contact", "name", {"track_history": True})
    with_tracking_elsewhere = memo_saves(tenant)
    assert len(with_tracking_elsewhere) == len(untracked_tenant)
    assert not any("_field_history" in statement for statement in with_tracking_elsewhere)
    # The tracked object's update reads the record before and writes a history row.
    with counted(tenant) as tracked:
        created = records.create_record(tenant.context(), "contact", {"name": "a"})
        records.update_record(tenant.context(), "contact", created["id"], {"name": "b"})
    assert sum("_field_history" in statement for statement in tracked) == 2
