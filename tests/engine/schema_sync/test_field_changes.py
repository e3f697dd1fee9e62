"""The DDL matrix: field changes through the engine entry points, on SQLite and PostgreSQL.

Every test drives `engine.metadata_changes` and then looks at the database itself: the
rows (read through the compiled catalog) and the physical columns (read with
`sqlalchemy.inspect`), so a change that only updates metadata would fail here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from engine.errors import MetadataError, UnsafePlanError
from engine.history import HISTORY_TABLE
from engine.metadata_changes import (
    add_field,
    create_object,
    delete_field,
    delete_object,
    get_field,
    purge_field,
    purge_object,
    restore_field,
    restore_object,
    update_field,
)
from engine.tenancy import schema_name_for
from metadata.models import FieldDef, FieldType, ObjectDef
from tests.conftest import TenantHandle

D = Decimal

# -- helpers ------------------------------------------------------------------------------


def new_object(tenant: TenantHandle, api_name: str, *fields: dict[str, Any]) -> None:
    """Create an object with fields given as `FieldDef` keyword dictionaries."""
    create_object(
        tenant.context(),
        ObjectDef(api_name=api_name, fields=[FieldDef(**options) for options in fields]),
    )


def schema_of(tenant: TenantHandle) -> str:
    return schema_name_for(tenant.name)


def connect(tenant: TenantHandle) -> sa.Connection:
    """A plain tenant connection (on SQLite with foreign keys enforced)."""
    return tenant_connection(tenant.engine.db, schema_of(tenant))


def object_table(tenant: TenantHandle, object_name: str) -> sa.Table:
    """The object's table at the current revision (deleted fields' columns included)."""
    return tenant_catalog(tenant.context()).objects[object_name].table


def insert_rows(
    tenant: TenantHandle, object_name: str, rows: Sequence[dict[str, Any]]
) -> list[uuid.UUID]:
    """Insert rows with their system columns; return their ids in the order given."""
    table = object_table(tenant, object_name)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in rows]
    with connect(tenant) as conn, conn.begin():
        for record_id, row in zip(ids, rows, strict=True):
            system = {"id": record_id, "created_at": now, "updated_at": now, "version": 1}
            conn.execute(sa.insert(table).values({**system, **row}))
    return ids


def read_values(
    tenant: TenantHandle, object_name: str, column_name: str, ids: Sequence[uuid.UUID]
) -> list[Any]:
    """The values of one column for the given records, in the order of `ids`."""
    table = object_table(tenant, object_name)
    with connect(tenant) as conn, conn.begin():
        found = dict(conn.execute(sa.select(table.c.id, table.c[column_name])).all())
    return [found[record_id] for record_id in ids]


def count_rows(tenant: TenantHandle, object_name: str) -> int:
    table = object_table(tenant, object_name)
    with connect(tenant) as conn, conn.begin():
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def physical_columns(tenant: TenantHandle, table_name: str) -> dict[str, str]:
    """The table's columns as the database reports them: name -> "TYPE [NOT NULL]"."""
    with connect(tenant) as conn, conn.begin():
        columns = sa.inspect(conn).get_columns(table_name, schema=schema_of(tenant))
    return {
        column["name"]: f"{column['type']}{'' if column['nullable'] else ' NOT NULL'}"
        for column in columns
    }


def column_name_of(tenant: TenantHandle, object_name: str, field_name: str) -> str:
    """The column of a field, live or deleted (a deleted field's column is renamed aside)."""
    obj = tenant_catalog(tenant.context()).metadata_state.find_object(object_name)
    assert obj is not None
    found = obj.find_field(field_name, include_deleted=True)
    assert found is not None
    return found.column_name


def live_field_names(tenant: TenantHandle, object_name: str) -> set[str]:
    return set(tenant_catalog(tenant.context()).objects[object_name].fields)


def revision(tenant: TenantHandle) -> int:
    return tenant.context().tenant.revision


def typed(values: Sequence[Any]) -> list[tuple[str, Any]]:
    """Values with their types, so True never equals 1 and 1.5 never equals 1.50."""
    return [(type(v).__name__, str(v) if isinstance(v, Decimal) else v) for v in values]


def sorted_ids(ids: Sequence[uuid.UUID]) -> list[str]:
    """Record ids as a blocking report lists them: ordered by id, as strings."""
    return [str(record_id) for record_id in sorted(ids)]


def picklist(*values: str) -> list[dict[str, str]]:
    return [{"value": value} for value in values]


# -- 1. every field type: create, rename, delete, restore, purge -------------------------

PARENT = "<id of a company record>"

#: The minimal options of each type, and a value to store (PARENT: a company record's id).
FIELD_SAMPLES: dict[FieldType, tuple[dict[str, Any], Any]] = {
    FieldType.TEXT: ({}, "Acme"),
    FieldType.LONG_TEXT: ({}, "A long story " * 40),
    FieldType.INTEGER: ({}, -42),
    FieldType.DECIMAL: ({}, D("12.34")),
    FieldType.CURRENCY: ({}, D("-99.95")),
    FieldType.PERCENT: ({}, D("12.50")),
    FieldType.BOOLEAN: ({}, True),
    FieldType.DATE: ({}, date(2024, 2, 29)),
    FieldType.DATETIME: ({}, datetime(2024, 2, 29, 13, 45, 30, tzinfo=UTC)),
    FieldType.EMAIL: ({}, "ada@example.com"),
    FieldType.PHONE: ({}, "+44 20 7946 0000"),
    FieldType.URL: ({}, "https://example.com/a?b=c"),
    FieldType.PICKLIST: ({"values": picklist("new", "won")}, "won"),
    FieldType.MULTI_PICKLIST: ({"values": picklist("new", "won")}, ["new", "won"]),
    FieldType.LOOKUP: ({"target": "company"}, PARENT),
    FieldType.MASTER_DETAIL: ({"target": "company"}, PARENT),
    FieldType.AUTO_NUMBER: ({"format": "INV-{YYYY}-{0000}"}, "INV-2024-0001"),
    FieldType.FORMULA: ({"expression": "1 + 1", "return_type": "integer"}, 2),
    FieldType.ROLLUP_SUMMARY: (
        {"rollup": {"child": "contact", "field": "amount", "function": "sum"}},
        D("5.00"),
    ),
    FieldType.JSON: ({}, {"tags": ["a", 1], "nested": {"ok": True}}),
    FieldType.FILE: (
        {"accept": ["application/pdf"]},
        {
            "name": "licence.pdf",
            "size": 1024,
            "content_type": "application/pdf",
            "sha256": "0" * 64,
            "uploaded_at": "2024-02-29T13:45:30+00:00",
            "blob": "a" * 32,
        },
    ),
}


@pytest.mark.parametrize("field_type", list(FieldType), ids=str)
def test_every_field_type_can_be_created_renamed_deleted_restored_and_purged(
    tenant: TenantHandle, field_type: FieldType
) -> None:
    options, sample = FIELD_SAMPLES[field_type]
    new_object(tenant, "company", {"api_name": "name", "type": "text"})
    new_object(tenant, "account")
    if field_type is FieldType.ROLLUP_SUMMARY:
        new_object(
            tenant,
            "contact",
            {"api_name": "account_ref", "type": "lookup", "target": "account"},
            {"api_name": "amount", "type": "decimal"},
        )
    if sample == PARENT:
        [sample] = insert_rows(tenant, "company", [{"name": "Parent"}])

    add_field(tenant.context(), "account", FieldDef(api_name="probe", type=field_type, **options))
    assert "probe" in live_field_names(tenant, "account")
    assert "probe" in physical_columns(tenant, "account")
    ids = insert_rows(tenant, "account", [{"probe": sample}])
    assert read_values(tenant, "account", "probe", ids) == [sample]
    if field_type is FieldType.ROLLUP_SUMMARY:
        # A restored roll-up is recomputed from the children: give it the child it sums.
        insert_rows(tenant, "contact", [{"account_ref": ids[0], "amount": sample}])

    update_field(tenant.context(), "account", "probe", {"api_name": "renamed"})
    assert "probe" not in live_field_names(tenant, "account")
    assert get_field(tenant.context(), "account", "renamed")["type"] == field_type
    assert "probe" not in physical_columns(tenant, "account")
    assert read_values(tenant, "account", "renamed", ids) == [sample]

    delete_field(tenant.context(), "account", "renamed")
    assert "renamed" not in live_field_names(tenant, "account")
    aside = column_name_of(tenant, "account", "renamed")
    assert aside != "renamed"
    assert "renamed" not in physical_columns(tenant, "account")
    assert read_values(tenant, "account", aside, ids) == [sample]

    restore_field(tenant.context(), "account", "renamed")
    assert "renamed" in live_field_names(tenant, "account")
    assert read_values(tenant, "account", "renamed", ids) == [sample]

    delete_field(tenant.context(), "account", "renamed")
    aside = column_name_of(tenant, "account", "renamed")
    purge_field(tenant.context(), "account", "renamed")
    remaining = physical_columns(tenant, "account")
    assert "renamed" not in remaining
    assert aside not in remaining
    assert "probe" not in remaining
    assert count_rows(tenant, "account") == 1


# -- 2. type conversions ------------------------------------------------------------------


class Outcome(StrEnum):
    """What a conversion does to the stored values."""

    #: Every value converts; the table holds `converted`.
    ALLOWED = "allowed"
    #: Values at `blocked` do not convert: refused unless forced, then they become NULL.
    REFUSED = "refused"
    #: No data path between the two types: refused whatever the data.
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Case:
    """One row of the conversion matrix: `account.value` declared as `definition`, then `patch`."""

    name: str
    definition: dict[str, Any]
    patch: dict[str, Any]
    stored: list[Any]
    outcome: Outcome
    #: The values after the change (after a forced change for REFUSED cases).
    converted: list[Any] = field(default_factory=list)
    #: Indexes in `stored` of the values that block the change.
    blocked: tuple[int, ...] = ()


A, R, U = Outcome.ALLOWED, Outcome.REFUSED, Outcome.UNSUPPORTED
TEXT: dict[str, Any] = {"type": "text"}
DECIMAL_12_2: dict[str, Any] = {"type": "decimal", "precision": 12, "scale": 2}
PICKLIST_ABC: dict[str, Any] = {"type": "picklist", "values": picklist("a", "b", "c")}
MIDNIGHT = datetime(2024, 1, 2, tzinfo=UTC)

# fmt: off
CASES = [
    Case("text->integer", TEXT, {"type": "integer"},
         ["42", " -7 ", "+5", None], A, [42, -7, 5, None]),
    Case("text->integer with words", TEXT, {"type": "integer"},
         ["12", "twelve", "1.5", None], R, [12, None, None, None], blocked=(1, 2)),
    Case("text(255)->text(20)", TEXT, {"max_length": 20},
         ["short", "x" * 20, None], A, ["short", "x" * 20, None]),
    Case("text(255)->text(20) with long values", TEXT, {"max_length": 20},
         ["short", "x" * 21, "y" * 200], R, ["short", None, None], blocked=(1, 2)),
    Case("decimal(12,2)->decimal(8,2)", DECIMAL_12_2, {"precision": 8},
         [D("123456.78"), D("-999999.99"), None], A, [D("123456.78"), D("-999999.99"), None]),
    Case("decimal(12,2)->decimal(8,2) with big values", DECIMAL_12_2, {"precision": 8},
         [D("123456.78"), D("1234567.89"), D("-1000000.00")], R,
         [D("123456.78"), None, None], blocked=(1, 2)),
    Case("decimal(12,2)->decimal(12,1)", DECIMAL_12_2, {"scale": 1},
         [D("1.50"), D("-2.30"), D("0.00"), None], A, [D("1.5"), D("-2.3"), D("0.0"), None]),
    Case("decimal(18,2)->decimal(18,1) with 16 digits", {"type": "decimal"}, {"scale": 1},
         [D("9007199254740993.10"), D("-9999999999999999.90")], A,
         [D("9007199254740993.1"), D("-9999999999999999.9")]),
    Case("decimal(12,2)->decimal(12,1) with extra decimals", DECIMAL_12_2, {"scale": 1},
         [D("1.50"), D("1.55"), D("-2.35")], R, [D("1.5"), None, None], blocked=(1, 2)),
    Case("integer->decimal", {"type": "integer"}, {"type": "decimal"},
         [5, -3, 0, None], A, [D("5.00"), D("-3.00"), D("0.00"), None]),
    Case("integer->decimal(4,2) with big values", {"type": "integer"},
         {"type": "decimal", "precision": 4, "scale": 2},
         [99, 100, -100], R, [D("99.00"), None, None], blocked=(1, 2)),
    Case("decimal->integer", DECIMAL_12_2, {"type": "integer"},
         [D("3.00"), D("-4.00"), None], A, [3, -4, None]),
    Case("decimal(18,2)->integer with 16 digits", {"type": "decimal"}, {"type": "integer"},
         [D("9007199254740993.00"), D("-9999999999999999.00")], A,
         [9007199254740993, -9999999999999999]),
    Case("decimal->integer with decimals", DECIMAL_12_2, {"type": "integer"},
         [D("3.00"), D("2.50"), D("-0.01")], R, [3, None, None], blocked=(1, 2)),
    Case("integer->text", {"type": "integer"}, TEXT,
         [42, -7, None], A, ["42", "-7", None]),
    Case("integer->text(3) with long numbers", {"type": "integer"},
         {"type": "text", "max_length": 3},
         [123, 1234, -12], R, ["123", None, "-12"], blocked=(1,)),
    Case("decimal->text", DECIMAL_12_2, TEXT,
         [D("12.30"), D("-0.05"), D("0.00"), None], A, ["12.30", "-0.05", "0.00", None]),
    Case("decimal(18,2)->text with 16 digits", {"type": "decimal"}, TEXT,
         [D("9007199254740993.25"), D("-9999999999999999.99")], A,
         ["9007199254740993.25", "-9999999999999999.99"]),
    Case("text->decimal", TEXT, {"type": "decimal"},
         [" 12.5 ", "-0.5", "3", "1.2300", None], A,
         [D("12.50"), D("-0.50"), D("3.00"), D("1.23"), None]),
    Case("text->decimal with words and extra decimals", TEXT, {"type": "decimal"},
         ["12.5", "1.234", "abc", "1e5", "\t7.5"], R, [D("12.50"), None, None, None, None],
         blocked=(1, 2, 3, 4)),
    Case("integer->boolean", {"type": "integer"}, {"type": "boolean"},
         [0, 1, None], A, [False, True, None]),
    Case("integer->boolean with other numbers", {"type": "integer"}, {"type": "boolean"},
         [1, 2, -1, None], R, [True, None, None, None], blocked=(1, 2)),
    Case("boolean->integer", {"type": "boolean"}, {"type": "integer"},
         [True, False, None], A, [1, 0, None]),
    Case("text->boolean", TEXT, {"type": "boolean"},
         ["yes", "FALSE", " 1 ", "n", None], A, [True, False, True, False, None]),
    Case("text->boolean with other words", TEXT, {"type": "boolean"},
         ["true", "maybe", None], R, [True, None, None], blocked=(1,)),
    Case("boolean->text", {"type": "boolean"}, TEXT,
         [True, False, None], A, ["true", "false", None]),
    Case("text->date", TEXT, {"type": "date"},
         ["2024-02-29", " 1999-12-31 ", None], A, [date(2024, 2, 29), date(1999, 12, 31), None]),
    Case("text->date with values that are not dates", TEXT, {"type": "date"},
         ["2024-02-29", "29/02/2024", "2023-02-29", "2024-13-01", "2024-04-31"], R,
         [date(2024, 2, 29), None, None, None, None], blocked=(1, 2, 3, 4)),
    Case("text->datetime", TEXT, {"type": "datetime"},
         ["2024-01-02T10:00:00+02:00", "2024-01-02 08:30", "2024-01-02", None], A,
         [datetime(2024, 1, 2, 8, tzinfo=UTC), datetime(2024, 1, 2, 8, 30, tzinfo=UTC),
          MIDNIGHT, None]),
    Case("text->datetime with values that are not date-times", TEXT, {"type": "datetime"},
         ["2024-01-02T10:00:00Z", "2024-01-02T10:00:00+0200", "2024-01-02T24:00",
          "2023-02-29T10:00", "next tuesday"], R,
         [datetime(2024, 1, 2, 10, tzinfo=UTC), None, None, None, None], blocked=(1, 2, 3, 4)),
    Case("date->text", {"type": "date"}, TEXT,
         [date(2024, 2, 29), None], A, ["2024-02-29", None]),
    Case("datetime->text", {"type": "datetime"}, TEXT,
         [datetime(2024, 1, 2, 8, 30, 5, tzinfo=UTC), None], A, ["2024-01-02T08:30:05Z", None]),
    Case("date->datetime", {"type": "date"}, {"type": "datetime"},
         [date(2024, 1, 2), None], A, [MIDNIGHT, None]),
    Case("datetime->date", {"type": "datetime"}, {"type": "date"},
         [MIDNIGHT, None], A, [date(2024, 1, 2), None]),
    Case("datetime->date with a time of day", {"type": "datetime"}, {"type": "date"},
         [MIDNIGHT, datetime(2024, 1, 2, 13, 30, tzinfo=UTC)], R,
         [date(2024, 1, 2), None], blocked=(1,)),
    Case("text->picklist", TEXT, {"type": "picklist", "values": picklist("a", "b")},
         ["a", "b", None], A, ["a", "b", None]),
    Case("text->picklist with values not in the list", TEXT,
         {"type": "picklist", "values": picklist("a", "b")},
         ["a", "z", "A"], R, ["a", None, None], blocked=(1, 2)),
    Case("picklist removing an unused value", PICKLIST_ABC,
         {"values": picklist("a", "b")}, ["a", None], A, ["a", None]),
    Case("picklist removing a used value", PICKLIST_ABC,
         {"values": picklist("a", "b")}, ["a", "c", None], R, ["a", None, None], blocked=(1,)),
    Case("picklist->multi_picklist", {"type": "picklist", "values": picklist("a", "b")},
         {"type": "multi_picklist"}, ["a", None], A, [["a"], None]),
    Case("text->multi_picklist with values not in the list", TEXT,
         {"type": "multi_picklist", "values": picklist("a", "b")},
         ["a", "z", None], R, [["a"], None, None], blocked=(1,)),
    Case("multi_picklist removing a used value",
         {"type": "multi_picklist", "values": picklist("a", "b", "c")},
         {"values": picklist("a", "b")}, [["a", "c"], ["b", "a"], None], R,
         [None, ["b", "a"], None], blocked=(0,)),
    Case("currency widening", {"type": "currency", "precision": 10, "scale": 2},
         {"precision": 14, "scale": 4},
         [D("12.34"), D("-99999999.99"), None], A, [D("12.3400"), D("-99999999.9900"), None]),
    Case("percent widening", {"type": "percent"}, {"precision": 9, "scale": 3},
         [D("12.50"), D("-99999.99"), None], A, [D("12.500"), D("-99999.990"), None]),
    Case("lookup->integer", {"type": "lookup", "target": "company"}, {"type": "integer"},
         [], U),
    Case("date->boolean", {"type": "date"}, {"type": "boolean"}, [date(2024, 1, 2)], U),
    Case("text->auto_number", TEXT, {"type": "auto_number", "format": "N-{0000}"}, ["x"], U),
    Case("lookup to another target", {"type": "lookup", "target": "company"},
         {"target": "account"}, [], U),
]
# fmt: on


def cases(outcome: Outcome) -> list[Any]:
    return [pytest.param(case, id=case.name) for case in CASES if case.outcome is outcome]


def prepare(tenant: TenantHandle, case: Case) -> list[uuid.UUID]:
    """Create `account.value` as the case's definition and store the case's values."""
    if "target" in case.definition:
        new_object(tenant, "company")
    new_object(tenant, "account", {"api_name": "value", **case.definition})
    return insert_rows(tenant, "account", [{"value": value} for value in case.stored])


def snapshot_of(tenant: TenantHandle, field_name: str, ids: Sequence[uuid.UUID]) -> tuple[Any, ...]:
    """Everything a refused change must leave alone: revision, metadata, columns, rows."""
    return (
        revision(tenant),
        get_field(tenant.context(), "account", field_name),
        physical_columns(tenant, "account"),
        typed(read_values(tenant, "account", field_name, ids)),
    )


def snapshot(tenant: TenantHandle, ids: Sequence[uuid.UUID]) -> tuple[Any, ...]:
    return snapshot_of(tenant, "value", ids)


@pytest.mark.parametrize("case", cases(Outcome.ALLOWED))
def test_allowed_conversions_convert_every_value(tenant: TenantHandle, case: Case) -> None:
    ids = prepare(tenant, case)
    result = update_field(tenant.context(), "account", "value", case.patch)
    assert result.impact.blocking == []
    assert typed(read_values(tenant, "account", "value", ids)) == typed(case.converted)
    changed = get_field(tenant.context(), "account", "value")
    assert {key: changed[key] for key in case.patch} == {
        key: [{**value, "active": True} for value in option] if key == "values" else option
        for key, option in case.patch.items()
    }


@pytest.mark.parametrize("case", cases(Outcome.REFUSED))
def test_lossy_conversions_are_refused_with_the_blocking_ids(
    tenant: TenantHandle, case: Case
) -> None:
    ids = prepare(tenant, case)
    before = snapshot(tenant, ids)
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "value", case.patch)
    [blocking] = refused.value.extra["blocking"]
    assert blocking["code"] == "lossy-conversion"
    assert blocking["field"] == "value"
    assert blocking["rows"] == len(case.blocked)
    assert blocking["record_ids"] == sorted_ids([ids[index] for index in case.blocked])
    assert blocking["forceable"] is True
    assert snapshot(tenant, ids) == before


@pytest.mark.parametrize("case", cases(Outcome.REFUSED))
def test_forced_conversions_empty_only_the_offending_values(
    tenant: TenantHandle, case: Case
) -> None:
    ids = prepare(tenant, case)
    result = update_field(tenant.context(), "account", "value", case.patch, force=True)
    assert result.is_forced
    assert [rows.rows for rows in result.impact.blocking] == [len(case.blocked)]
    assert typed(read_values(tenant, "account", "value", ids)) == typed(case.converted)
    assert all(case.converted[index] is None for index in case.blocked)


@pytest.mark.parametrize("case", cases(Outcome.UNSUPPORTED))
def test_conversions_without_a_data_path_are_unsupported(tenant: TenantHandle, case: Case) -> None:
    ids = prepare(tenant, case)
    before = snapshot(tenant, ids)
    for force in (False, True):
        with pytest.raises(MetadataError) as refused:
            update_field(tenant.context(), "account", "value", case.patch, force=force)
        assert [problem.code for problem in refused.value.problems] == ["unsupported-conversion"]
    assert snapshot(tenant, ids) == before


def test_a_refusal_counts_every_offending_record_and_lists_the_first_ten(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "value", "type": "text"})
    ids = insert_rows(tenant, "account", [{"value": f"n{i}"} for i in range(12)] + [{"value": "7"}])
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "value", {"type": "integer"})
    [blocking] = refused.value.extra["blocking"]
    assert blocking["rows"] == 12
    assert blocking["record_ids"] == sorted_ids(ids[:12])[:10]
    assert "12 record(s) of account" in refused.value.detail


def test_renaming_converting_and_requiring_in_one_change_keeps_the_values(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "value", "type": "text"})
    ids = insert_rows(tenant, "account", [{"value": v} for v in ("1", " 22 ", None)])
    update_field(
        tenant.context(),
        "account",
        "value",
        {"api_name": "amount", "type": "integer", "required": True, "default": 0},
    )
    assert typed(read_values(tenant, "account", "amount", ids)) == typed([1, 22, 0])
    columns = physical_columns(tenant, "account")
    assert "value" not in columns
    assert columns["amount"].endswith("NOT NULL")


def test_forcing_a_conversion_of_a_required_field_gives_the_offending_records_the_default(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "value", "type": "text", "required": True})
    ids = insert_rows(tenant, "account", [{"value": v} for v in ("1", "abc")])
    update_field(
        tenant.context(), "account", "value", {"type": "integer", "default": -1}, force=True
    )
    assert typed(read_values(tenant, "account", "value", ids)) == typed([1, -1])


def test_forcing_a_conversion_of_a_required_field_without_default_is_refused(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "value", "type": "text", "required": True})
    ids = insert_rows(tenant, "account", [{"value": v} for v in ("1", "abc")])
    before = snapshot(tenant, ids)
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "value", {"type": "integer"}, force=True)
    [blocking] = refused.value.extra["blocking"]
    assert (blocking["code"], blocking["forceable"]) == ("lossy-conversion", False)
    assert blocking["record_ids"] == [str(ids[1])]
    assert snapshot(tenant, ids) == before


# -- 3. required and unique ---------------------------------------------------------------


def test_making_a_field_with_empty_values_required_is_refused_with_the_count(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "nickname", "type": "text"})
    ids = insert_rows(tenant, "account", [{"nickname": v} for v in ("Al", None, None)])
    before = (revision(tenant), physical_columns(tenant, "account"))
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "nickname", {"required": True})
    [blocking] = refused.value.extra["blocking"]
    assert blocking["code"] == "null-values"
    assert blocking["rows"] == 2
    assert blocking["record_ids"] == sorted_ids(ids[1:])
    assert blocking["forceable"] is False
    with pytest.raises(UnsafePlanError):
        update_field(tenant.context(), "account", "nickname", {"required": True}, force=True)
    assert (revision(tenant), physical_columns(tenant, "account")) == before
    assert read_values(tenant, "account", "nickname", ids) == ["Al", None, None]


def test_making_a_field_required_with_a_default_fills_the_empty_values(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "nickname", "type": "text"})
    ids = insert_rows(tenant, "account", [{"nickname": v} for v in ("Al", None, None)])
    update_field(tenant.context(), "account", "nickname", {"required": True, "default": "unknown"})
    assert read_values(tenant, "account", "nickname", ids) == ["Al", "unknown", "unknown"]
    assert physical_columns(tenant, "account")["nickname"].endswith("NOT NULL")
    with pytest.raises(IntegrityError):
        insert_rows(tenant, "account", [{"nickname": None}])


def test_making_a_required_field_optional_accepts_empty_values(tenant: TenantHandle) -> None:
    new_object(tenant, "account", {"api_name": "name", "type": "text", "required": True})
    ids = insert_rows(tenant, "account", [{"name": "Acme"}])
    update_field(tenant.context(), "account", "name", {"required": False})
    assert not physical_columns(tenant, "account")["name"].endswith("NOT NULL")
    ids += insert_rows(tenant, "account", [{"name": None}])
    assert read_values(tenant, "account", "name", ids) == ["Acme", None]


def test_adding_unique_is_refused_while_values_repeat(tenant: TenantHandle) -> None:
    new_object(tenant, "account", {"api_name": "code", "type": "text"})
    values = ["x", "y", "x", "z", "y", "x", None, None]
    ids = insert_rows(tenant, "account", [{"code": value} for value in values])
    before = (revision(tenant), get_field(tenant.context(), "account", "code"))
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "code", {"unique": True}, force=True)
    [blocking] = refused.value.extra["blocking"]
    assert blocking["code"] == "duplicate-values"
    assert blocking["rows"] == 5
    assert blocking["duplicates"] == [
        {"value": "x", "rows": 3, "record_ids": sorted_ids([ids[0], ids[2], ids[5]])},
        {"value": "y", "rows": 2, "record_ids": sorted_ids([ids[1], ids[4]])},
    ]
    assert (revision(tenant), get_field(tenant.context(), "account", "code")) == before


def test_converting_a_unique_field_is_refused_when_converted_values_collide(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "code", "type": "text", "unique": True})
    ids = insert_rows(tenant, "account", [{"code": v} for v in ("1", "01", "2", "x")])
    before = snapshot_of(tenant, "code", ids)
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "account", "code", {"type": "integer"}, force=True)
    [blocking] = refused.value.extra["blocking"]
    assert blocking["code"] == "duplicate-values"
    assert blocking["duplicates"] == [
        {"value": 1, "rows": 2, "record_ids": sorted_ids(ids[:2])},
    ]
    assert snapshot_of(tenant, "code", ids) == before


def test_adding_unique_to_distinct_values_makes_a_real_unique_index(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "code", "type": "text"})
    insert_rows(tenant, "account", [{"code": value} for value in ("x", "y", None, None)])
    update_field(tenant.context(), "account", "code", {"unique": True})
    with pytest.raises(IntegrityError):
        insert_rows(tenant, "account", [{"code": "x"}])


def test_adding_a_required_field_without_default_to_a_table_with_rows_is_refused(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "name", "type": "text"})
    ids = insert_rows(tenant, "account", [{"name": "a"}, {"name": "b"}])
    before = (revision(tenant), physical_columns(tenant, "account"))
    with pytest.raises(UnsafePlanError) as refused:
        add_field(
            tenant.context(), "account", FieldDef(api_name="tier", type="integer", required=True)
        )
    [blocking] = refused.value.extra["blocking"]
    assert blocking["code"] == "rows-without-value"
    assert blocking["rows"] == 2
    assert blocking["record_ids"] == sorted_ids(ids)
    assert (revision(tenant), physical_columns(tenant, "account")) == before
    assert "tier" not in live_field_names(tenant, "account")


def test_adding_a_required_field_with_a_default_gives_every_row_the_default(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account", {"api_name": "name", "type": "text"})
    ids = insert_rows(tenant, "account", [{"name": "a"}, {"name": "b"}])
    add_field(
        tenant.context(),
        "account",
        FieldDef(api_name="tier", type="decimal", required=True, default="1.5"),
    )
    assert typed(read_values(tenant, "account", "tier", ids)) == typed([D("1.50"), D("1.50")])
    assert physical_columns(tenant, "account")["tier"].endswith("NOT NULL")


def test_adding_a_required_field_to_an_empty_table_needs_no_default(
    tenant: TenantHandle,
) -> None:
    new_object(tenant, "account")
    add_field(tenant.context(), "account", FieldDef(api_name="tier", type="text", required=True))
    assert physical_columns(tenant, "account")["tier"].endswith("NOT NULL")


# -- 4. dry runs --------------------------------------------------------------------------


def test_a_dry_run_returns_the_ddl_and_impact_and_changes_nothing(tenant: TenantHandle) -> None:
    new_object(tenant, "account", {"api_name": "value", "type": "text"})
    ids = insert_rows(tenant, "account", [{"value": v} for v in ("1", "2", "x", None)])
    before = snapshot(tenant, ids)
    plan = update_field(tenant.context(), "account", "value", {"type": "integer"}, dry_run=True)
    assert plan.is_dry_run
    assert plan.revision == before[0]
    assert plan.ddl and all(isinstance(statement, str) for statement in plan.ddl)
    if tenant.engine.dialect_name == "postgresql":
        assert any("ALTER TABLE" in s and "TYPE BIGINT" in s for s in plan.ddl), plan.ddl
    else:
        assert any("CREATE TABLE" in s for s in plan.ddl), plan.ddl
        assert any(s.startswith("INSERT INTO") for s in plan.ddl), plan.ddl
    assert [(t["field"], t["rows"]) for t in plan.impact.rows_touched if t["field"]] == [
        ("value", 3)
    ]
    [blocking] = plan.impact.blocking
    assert (blocking.code, blocking.rows, blocking.record_ids) == (
        "lossy-conversion",
        1,
        [str(ids[2])],
    )
    assert snapshot(tenant, ids) == before


def test_a_dry_run_of_a_new_field_adds_no_column(tenant: TenantHandle) -> None:
    new_object(tenant, "account")
    before = (revision(tenant), physical_columns(tenant, "account"))
    plan = add_field(
        tenant.context(), "account", FieldDef(api_name="score", type="integer"), dry_run=True
    )
    assert any("score" in statement for statement in plan.ddl), plan.ddl
    assert plan.result["api_name"] == "score"
    assert (revision(tenant), physical_columns(tenant, "account")) == before
    assert "score" not in live_field_names(tenant, "account")


# -- 5. lookups are foreign keys ------------------------------------------------------------


class LookupMade(StrEnum):
    """How the lookup came to have its delete rule (each path plans different DDL)."""

    WITH_THE_OBJECT = "created with its object"
    ADDED_LATER = "added to an existing object"
    CHANGED_LATER = "delete rule changed afterwards"


def make_lookup(tenant: TenantHandle, on_delete: str, made: LookupMade) -> None:
    new_object(tenant, "company", {"api_name": "name", "type": "text"})
    lookup = {"api_name": "company", "type": "lookup", "target": "company"}
    if made is LookupMade.WITH_THE_OBJECT:
        new_object(tenant, "contact", {**lookup, "on_delete": on_delete})
        return
    new_object(tenant, "contact", {"api_name": "name", "type": "text"})
    first_rule = on_delete if made is LookupMade.ADDED_LATER else "set_null"
    if made is LookupMade.CHANGED_LATER and on_delete == "set_null":
        first_rule = "restrict"
    add_field(tenant.context(), "contact", FieldDef(**lookup, on_delete=first_rule))
    if made is LookupMade.CHANGED_LATER:
        update_field(tenant.context(), "contact", "company", {"on_delete": on_delete})


def delete_company(tenant: TenantHandle, company_id: uuid.UUID) -> None:
    table = object_table(tenant, "company")
    with connect(tenant) as conn, conn.begin():
        conn.execute(sa.delete(table).where(table.c.id == company_id))


@pytest.mark.parametrize("made", list(LookupMade), ids=str)
@pytest.mark.parametrize("on_delete", ["cascade", "set_null", "restrict"])
def test_lookups_are_foreign_keys_with_their_delete_rule(
    tenant: TenantHandle, on_delete: str, made: LookupMade
) -> None:
    make_lookup(tenant, on_delete, made)
    doomed, kept = insert_rows(tenant, "company", [{"name": "Doomed"}, {"name": "Kept"}])
    children = insert_rows(tenant, "contact", [{"company": doomed}, {"company": kept}])
    with pytest.raises(IntegrityError):
        insert_rows(tenant, "contact", [{"company": uuid.uuid4()}])

    if on_delete == "restrict":
        with pytest.raises(IntegrityError):
            delete_company(tenant, doomed)
        assert count_rows(tenant, "company") == 2
        assert read_values(tenant, "contact", "company", children) == [doomed, kept]
        return
    delete_company(tenant, doomed)
    assert count_rows(tenant, "company") == 1
    if on_delete == "cascade":
        assert count_rows(tenant, "contact") == 1
        assert read_values(tenant, "contact", "company", children[1:]) == [kept]
    else:
        assert read_values(tenant, "contact", "company", children) == [None, kept]


def test_master_detail_children_go_with_their_parent(tenant: TenantHandle) -> None:
    new_object(tenant, "company")
    new_object(tenant, "invoice")
    add_field(
        tenant.context(),
        "invoice",
        FieldDef(api_name="company", type="master_detail", target="company"),
    )
    doomed, kept = insert_rows(tenant, "company", [{}, {}])
    insert_rows(tenant, "invoice", [{"company": doomed}, {"company": doomed}, {"company": kept}])
    with pytest.raises(IntegrityError):
        insert_rows(tenant, "invoice", [{"company": None}])
    delete_company(tenant, doomed)
    assert count_rows(tenant, "invoice") == 1


def test_a_lookup_becomes_master_detail_only_when_every_record_has_a_parent(
    tenant: TenantHandle,
) -> None:
    make_lookup(tenant, "set_null", LookupMade.WITH_THE_OBJECT)
    doomed, kept = insert_rows(tenant, "company", [{"name": "Doomed"}, {"name": "Kept"}])
    children = insert_rows(tenant, "contact", [{"company": doomed}, {"company": None}])
    with pytest.raises(UnsafePlanError) as refused:
        update_field(tenant.context(), "contact", "company", {"type": "master_detail"})
    [blocking] = refused.value.extra["blocking"]
    assert (blocking["code"], blocking["record_ids"]) == ("null-values", [str(children[1])])
    with connect(tenant) as conn, conn.begin():
        table = object_table(tenant, "contact")
        conn.execute(sa.update(table).where(table.c.id == children[1]).values(company=kept))
    update_field(tenant.context(), "contact", "company", {"type": "master_detail"})
    assert get_field(tenant.context(), "contact", "company")["on_delete"] == "cascade"
    delete_company(tenant, doomed)
    assert read_values(tenant, "contact", "company", children[1:]) == [kept]
    assert count_rows(tenant, "contact") == 1


def test_restoring_a_lookup_whose_records_are_gone_is_refused(tenant: TenantHandle) -> None:
    make_lookup(tenant, "restrict", LookupMade.WITH_THE_OBJECT)
    doomed, kept = insert_rows(tenant, "company", [{"name": "Doomed"}, {"name": "Kept"}])
    children = insert_rows(tenant, "contact", [{"company": doomed}, {"company": kept}])
    delete_field(tenant.context(), "contact", "company")
    delete_company(tenant, doomed)  # the deleted lookup has no foreign key any more
    with pytest.raises(UnsafePlanError) as refused:
        restore_field(tenant.context(), "contact", "company")
    [blocking] = refused.value.extra["blocking"]
    assert (blocking["code"], blocking["record_ids"]) == ("orphan-references", [str(children[0])])
    assert "company" not in live_field_names(tenant, "contact")


# -- objects -----------------------------------------------------------------------------


def table_names(tenant: TenantHandle) -> set[str]:
    """The tables of the tenant's objects (its field history and record-sharing tables
    aside)."""
    with connect(tenant) as conn, conn.begin():
        names = sa.inspect(conn).get_table_names(schema=schema_of(tenant))
    return {name for name in names if not name.startswith("_access_")} - {HISTORY_TABLE}


def test_a_deleted_object_keeps_its_rows_until_it_is_purged(tenant: TenantHandle) -> None:
    new_object(tenant, "account", {"api_name": "name", "type": "text"})
    ids = insert_rows(tenant, "account", [{"name": "Acme"}])
    delete_object(tenant.context(), "account")
    assert "account" not in tenant_catalog(tenant.context()).objects
    [aside] = table_names(tenant)
    assert aside != "account"
    restore_object(tenant.context(), "account")
    assert table_names(tenant) == {"account"}
    assert read_values(tenant, "account", "name", ids) == ["Acme"]
    delete_object(tenant.context(), "account")
    purge_object(tenant.context(), "account")
    assert table_names(tenant) == set()
