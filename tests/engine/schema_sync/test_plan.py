"""Schema plans on in-memory states: the ops chosen and the SQL they render, per dialect.

No database: states are built with the pure mutations, planned, and rendered offline.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy.engine import Connection
from uuid_utils.compat import uuid7

from engine.errors import Conflict, MetadataError
from engine.metadata_changes import mutations
from engine.schema_sync import (
    ChangeClass,
    ColumnSlots,
    SchemaPlan,
    TableExtras,
    apply_plan,
    plan_schema_change,
    render_sql,
)
from engine.schema_sync.ops import (
    AddColumn,
    AddForeignKey,
    AlterColumnType,
    AnalyzeTable,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropForeignKey,
    DropTable,
    FillColumn,
    RebuildTable,
    RenameColumn,
    RenameTable,
    RestoreTableExtras,
    SetNullable,
)
from engine.schema_sync.table_extras import (
    Definition,
    IncomingForeignKey,
    Privilege,
    PublicationMembership,
    RowPolicy,
    Trigger,
)
from metadata.models import FieldDef, FieldState, ObjectDef, ObjectPatch, TenantMetadata

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SCHEMA = "t_acme"
SYSTEM_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owner_id",
    "version",
]
DIALECTS = pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])


def empty_state() -> TenantMetadata:
    return TenantMetadata(tenant_id=uuid7(), schema_name=SCHEMA, revision=1)


def with_object(state: TenantMetadata, api_name: str, *fields: dict[str, Any]) -> TenantMetadata:
    definition = ObjectDef(api_name=api_name, fields=[FieldDef(**field) for field in fields])
    new_state, _ = mutations.create_object(state, definition, now=NOW)
    return new_state


def with_field(state: TenantMetadata, object_name: str, **definition: Any) -> TenantMetadata:
    new_state, _ = mutations.add_field(state, object_name, FieldDef(**definition))
    return new_state


def field_of(state: TenantMetadata, object_name: str, field_name: str) -> FieldState:
    obj = state.find_object(object_name, include_deleted=True)
    assert obj is not None
    field = obj.find_field(field_name, include_deleted=True)
    assert field is not None
    return field


def accounts() -> TenantMetadata:
    return with_object(
        empty_state(),
        "account",
        {"api_name": "name", "type": "text"},
        {"api_name": "code", "type": "text", "max_length": 20},
    )


def sql_of(plan: SchemaPlan) -> list[str]:
    """The rendered statements, on one line each, without the final semicolon."""
    return [
        re.sub(r"\s+", " ", statement).rstrip(";").strip()
        for statement in render_sql(plan.ops, dialect=plan.dialect)
    ]


def op_types(plan: SchemaPlan) -> list[type]:
    return [type(op) for op in plan.ops]


# -- creating objects ----------------------------------------------------------------------


@DIALECTS
def test_creating_an_object_creates_its_table_with_system_columns_then_fields(
    dialect: str,
) -> None:
    new = with_object(
        empty_state(),
        "account",
        {"api_name": "name", "type": "text", "required": True},
        {"api_name": "balance", "type": "currency"},
    )
    plan = plan_schema_change(empty_state(), new, dialect=dialect)
    assert op_types(plan) == [CreateTable]
    assert plan.classification is ChangeClass.SAFE
    (statement,) = sql_of(plan)
    assert statement.startswith(f"CREATE TABLE {SCHEMA}.account (")
    columns = re.findall(r"[(,] (\w+) [A-Z]", statement.removesuffix(", PRIMARY KEY (id) )"))
    assert columns == [*SYSTEM_COLUMNS, "name", "balance"]
    assert "PRIMARY KEY (id)" in statement
    assert "name VARCHAR(255) NOT NULL" in statement
    assert "version BIGINT NOT NULL" in statement


def test_system_columns_are_uuids_and_utc_timestamps_on_postgresql() -> None:
    plan = plan_schema_change(empty_state(), accounts(), dialect="postgresql")
    (statement, *_) = sql_of(plan)
    assert "id UUID NOT NULL" in statement
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in statement
    assert "owner_id UUID," in statement
    assert "code VARCHAR(20)" in statement


def test_a_currency_is_numeric_on_postgresql_and_a_scaled_integer_on_sqlite() -> None:
    new = with_object(empty_state(), "deal", {"api_name": "amount", "type": "currency"})
    assert (
        "amount NUMERIC(18, 2)"
        in sql_of(plan_schema_change(empty_state(), new, dialect="postgresql"))[0]
    )
    assert "amount BIGINT" in sql_of(plan_schema_change(empty_state(), new, dialect="sqlite"))[0]


@DIALECTS
def test_creating_an_object_with_unique_and_lookup_fields_creates_their_indexes(
    dialect: str,
) -> None:
    old = accounts()
    new = with_object(
        old,
        "contact",
        {"api_name": "account", "type": "lookup", "target": "account", "on_delete": "cascade"},
        {"api_name": "email", "type": "email", "unique": True},
    )
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [CreateTable, CreateIndex, CreateIndex]
    account_id = field_of(new, "contact", "account").id.hex
    email_id = field_of(new, "contact", "email").id.hex
    create, *indexes = sql_of(plan)
    target = "account" if dialect == "sqlite" else f"{SCHEMA}.account"
    assert (
        f"CONSTRAINT fk_{account_id} FOREIGN KEY(account) REFERENCES {target} (id) "
        "ON DELETE CASCADE" in create
    )
    if dialect == "postgresql":
        assert sorted(indexes) == sorted(
            [
                f"CREATE INDEX ix_{account_id} ON {SCHEMA}.contact (account)",
                f"CREATE UNIQUE INDEX uq_{email_id} ON {SCHEMA}.contact (email)",
            ]
        )
    else:
        assert sorted(indexes) == sorted(
            [
                f"CREATE INDEX {SCHEMA}.ix_{account_id} ON contact (account)",
                f"CREATE UNIQUE INDEX {SCHEMA}.uq_{email_id} ON contact (email)",
            ]
        )


def test_an_unchanged_state_plans_nothing() -> None:
    state = accounts()
    for dialect in ("sqlite", "postgresql"):
        plan = plan_schema_change(state, state, dialect=dialect)
        assert plan.ops == ()
        assert plan.classification is ChangeClass.SAFE


# -- adding fields -------------------------------------------------------------------------


@DIALECTS
def test_adding_an_optional_field_is_one_add_column(dialect: str) -> None:
    old = accounts()
    new = with_field(old, "account", api_name="nickname", type="text", max_length=40)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [AddColumn]
    assert sql_of(plan) == [f"ALTER TABLE {SCHEMA}.account ADD COLUMN nickname VARCHAR(40)"]
    assert plan.classification is ChangeClass.SAFE
    assert plan.checks == ()
    assert plan.describe() == ["add column account.nickname"]


def test_adding_a_required_field_with_a_default_fills_then_sets_not_null_on_postgresql() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="integer", required=True, default=3)
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert op_types(plan) == [AddColumn, FillColumn, SetNullable]
    assert sql_of(plan) == [
        f"ALTER TABLE {SCHEMA}.account ADD COLUMN tier BIGINT",
        f"UPDATE {SCHEMA}.account SET tier=3 WHERE {SCHEMA}.account.tier IS NULL",
        f"ALTER TABLE {SCHEMA}.account ALTER COLUMN tier SET NOT NULL",
    ]
    assert plan.checks == ()
    assert [(touch.field_name, touch.reason) for touch in plan.touches] == [
        ("tier", "filled with the default")
    ]


@DIALECTS
def test_the_sql_of_a_plan_shows_a_percent_sign_as_it_runs(dialect: str) -> None:
    old = accounts()
    new = with_field(old, "account", api_name="share", type="text", required=True, default="50%")
    assert "'50%'" in " ".join(sql_of(plan_schema_change(old, new, dialect=dialect)))


def test_adding_a_required_field_with_a_default_rebuilds_the_table_on_sqlite() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="integer", required=True, default=3)
    plan = plan_schema_change(old, new, dialect="sqlite")
    assert op_types(plan) == [RebuildTable]
    create, copy, drop, rename = sql_of(plan)
    assert create.startswith(f"CREATE TABLE {SCHEMA}._tessera_rebuild_account (")
    assert "tier BIGINT NOT NULL" in create
    assert copy.startswith(f"INSERT INTO {SCHEMA}._tessera_rebuild_account (id, created_at")
    assert "3 AS tier" in copy
    assert copy.endswith(f"FROM {SCHEMA}.account")
    assert drop == f"DROP TABLE {SCHEMA}.account"
    assert rename == f"ALTER TABLE {SCHEMA}._tessera_rebuild_account RENAME TO account"


@DIALECTS
def test_adding_a_required_field_without_default_checks_for_existing_rows(dialect: str) -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="integer", required=True)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert [check.code for check in plan.checks] == ["rows-without-value"]


@DIALECTS
def test_adding_a_unique_field_creates_a_unique_index_named_after_its_id(dialect: str) -> None:
    old = accounts()
    new = with_field(old, "account", api_name="vat_number", type="text", unique=True)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [AddColumn, CreateIndex]
    field_id = field_of(new, "account", "vat_number").id.hex
    add, index = sql_of(plan)
    assert add == f"ALTER TABLE {SCHEMA}.account ADD COLUMN vat_number VARCHAR(255)"
    if dialect == "postgresql":
        assert index == f"CREATE UNIQUE INDEX uq_{field_id} ON {SCHEMA}.account (vat_number)"
    else:
        assert index == f"CREATE UNIQUE INDEX {SCHEMA}.uq_{field_id} ON account (vat_number)"


@DIALECTS
def test_making_a_field_unique_checks_for_duplicates_and_creates_the_index(dialect: str) -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "code", {"unique": True})
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [CreateIndex]
    assert [check.code for check in plan.checks] == ["duplicate-values"]
    field_id = field_of(new, "account", "code").id.hex
    assert "CREATE UNIQUE INDEX" in sql_of(plan)[0]
    assert f"uq_{field_id}" in sql_of(plan)[0]


@pytest.mark.parametrize(
    ("on_delete", "rule"),
    [("restrict", "RESTRICT"), ("set_null", "SET NULL"), ("cascade", "CASCADE")],
)
def test_adding_a_lookup_adds_a_foreign_key_with_its_delete_rule_on_postgresql(
    on_delete: str, rule: str
) -> None:
    old = with_object(accounts(), "contact")
    new = with_field(
        old, "contact", api_name="account", type="lookup", target="account", on_delete=on_delete
    )
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert op_types(plan) == [AddColumn, CreateIndex, AddForeignKey]
    field_id = field_of(new, "contact", "account").id.hex
    assert sql_of(plan) == [
        f"ALTER TABLE {SCHEMA}.contact ADD COLUMN account UUID",
        f"CREATE INDEX ix_{field_id} ON {SCHEMA}.contact (account)",
        f"ALTER TABLE {SCHEMA}.contact ADD CONSTRAINT fk_{field_id} FOREIGN KEY(account) "
        f"REFERENCES {SCHEMA}.account (id) ON DELETE {rule}",
    ]


@pytest.mark.parametrize(
    ("on_delete", "rule"),
    [("restrict", "RESTRICT"), ("set_null", "SET NULL"), ("cascade", "CASCADE")],
)
def test_adding_a_lookup_rebuilds_the_table_with_its_foreign_key_on_sqlite(
    on_delete: str, rule: str
) -> None:
    old = with_object(accounts(), "contact")
    new = with_field(
        old, "contact", api_name="account", type="lookup", target="account", on_delete=on_delete
    )
    plan = plan_schema_change(old, new, dialect="sqlite")
    assert op_types(plan) == [RebuildTable]
    field_id = field_of(new, "contact", "account").id.hex
    create, copy, _, _, index = sql_of(plan)
    assert (
        f"CONSTRAINT fk_{field_id} FOREIGN KEY(account) REFERENCES account (id) "
        f"ON DELETE {rule}" in create
    )
    assert "NULL AS account" in copy
    assert index == f"CREATE INDEX {SCHEMA}.ix_{field_id} ON contact (account)"


def test_a_master_detail_foreign_key_cascades() -> None:
    old = with_object(accounts(), "line_item")
    new = with_field(old, "line_item", api_name="account", type="master_detail", target="account")
    plan = plan_schema_change(old, new, dialect="postgresql")
    foreign_key = next(op for op in plan.ops if isinstance(op, AddForeignKey))
    assert foreign_key.on_delete == "CASCADE"
    assert sql_of(plan)[-1].endswith("ON DELETE CASCADE")


# -- changing fields -----------------------------------------------------------------------


@DIALECTS
def test_renaming_a_field_renames_its_column(dialect: str) -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "name", {"api_name": "full_name"})
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [RenameColumn]
    (statement,) = sql_of(plan)
    assert re.fullmatch(
        rf"ALTER TABLE {SCHEMA}\.account RENAME (COLUMN )?name TO full_name", statement
    )
    assert plan.classification is ChangeClass.BREAKING


@DIALECTS
def test_relabelling_a_field_plans_nothing(dialect: str) -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "name", {"label": "Account name"})
    assert plan_schema_change(old, new, dialect=dialect).ops == ()


def test_a_type_change_is_alter_column_type_using_on_postgresql() -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "code", {"type": "integer"})
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert op_types(plan) == [AlterColumnType]
    assert sql_of(plan) == [
        f"ALTER TABLE {SCHEMA}.account ALTER COLUMN code TYPE BIGINT "
        "USING CAST(trim(code) AS BIGINT)"
    ]


def test_a_type_change_rebuilds_the_table_on_sqlite() -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "code", {"type": "integer"})
    plan = plan_schema_change(old, new, dialect="sqlite")
    assert op_types(plan) == [RebuildTable]
    create, copy, drop, rename = sql_of(plan)
    assert "code BIGINT" in create
    assert "CAST(trim(code) AS BIGINT) AS code" in copy
    assert "name AS name" in copy
    assert drop == f"DROP TABLE {SCHEMA}.account"
    assert rename == f"ALTER TABLE {SCHEMA}._tessera_rebuild_account RENAME TO account"


@DIALECTS
def test_a_lossy_type_change_is_breaking_and_checks_the_values(dialect: str) -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "code", {"type": "integer"})
    plan = plan_schema_change(old, new, dialect=dialect)
    assert plan.classification is ChangeClass.BREAKING
    assert [check.code for check in plan.checks] == ["lossy-conversion"]
    assert [check.is_forceable for check in plan.checks] == [True]


@DIALECTS
def test_widening_a_text_field_is_safe(dialect: str) -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "code", {"max_length": 40})
    plan = plan_schema_change(old, new, dialect=dialect)
    assert plan.classification is ChangeClass.SAFE
    assert plan.checks == ()


def test_renaming_and_retyping_a_field_at_once_converts_before_renaming_on_postgresql() -> None:
    old = accounts()
    new, _ = mutations.update_field(
        old, "account", "code", {"api_name": "code_number", "type": "integer"}
    )
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert op_types(plan) == [AlterColumnType, RenameColumn]
    assert sql_of(plan) == [
        f"ALTER TABLE {SCHEMA}.account ALTER COLUMN code TYPE BIGINT "
        "USING CAST(trim(code) AS BIGINT)",
        f"ALTER TABLE {SCHEMA}.account RENAME code TO code_number",
    ]


def test_renaming_and_retyping_a_field_at_once_copies_the_old_column_on_sqlite() -> None:
    old = accounts()
    new, _ = mutations.update_field(
        old, "account", "code", {"api_name": "code_number", "type": "integer"}
    )
    plan = plan_schema_change(old, new, dialect="sqlite")
    assert op_types(plan) == [RebuildTable]
    assert "CAST(trim(code) AS BIGINT) AS code_number" in sql_of(plan)[1]


@DIALECTS
def test_a_conversion_no_type_supports_is_refused_with_its_field(dialect: str) -> None:
    old = with_object(empty_state(), "task", {"api_name": "done", "type": "boolean"})
    new, _ = mutations.update_field(old, "task", "done", {"type": "date"})
    with pytest.raises(MetadataError) as error:
        plan_schema_change(old, new, dialect=dialect)
    assert [problem.code for problem in error.value.problems] == ["unsupported-conversion"]
    assert "add a new field" in error.value.problems[0].detail


def test_making_a_field_required_with_a_default_fills_then_sets_not_null_on_postgresql() -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "name", {"required": True, "default": "?"})
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert op_types(plan) == [FillColumn, SetNullable]
    assert sql_of(plan) == [
        f"UPDATE {SCHEMA}.account SET name='?' WHERE {SCHEMA}.account.name IS NULL",
        f"ALTER TABLE {SCHEMA}.account ALTER COLUMN name SET NOT NULL",
    ]


def test_making_a_field_required_with_a_default_coalesces_in_the_copy_on_sqlite() -> None:
    old = accounts()
    new, _ = mutations.update_field(old, "account", "name", {"required": True, "default": "?"})
    plan = plan_schema_change(old, new, dialect="sqlite")
    assert op_types(plan) == [RebuildTable]
    create, copy, *_ = sql_of(plan)
    assert "name VARCHAR(255) NOT NULL" in create
    assert "coalesce(name, '?') AS name" in copy


# -- deleting, restoring and purging ---------------------------------------------------------


@DIALECTS
def test_deleting_an_object_renames_its_table_aside(dialect: str) -> None:
    old = with_object(accounts(), "contact")
    new, deleted = mutations.delete_object(old, "contact", now=NOW)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [RenameTable]
    assert deleted.table_name.startswith("_deleted_contact_")
    assert sql_of(plan) == [f"ALTER TABLE {SCHEMA}.contact RENAME TO {deleted.table_name}"]
    assert plan.classification is ChangeClass.SAFE


@DIALECTS
def test_restoring_an_object_renames_its_table_back(dialect: str) -> None:
    old, deleted = mutations.delete_object(with_object(accounts(), "contact"), "contact", now=NOW)
    new, _ = mutations.restore_object(old, "contact")
    plan = plan_schema_change(old, new, dialect=dialect)
    assert sql_of(plan) == [f"ALTER TABLE {SCHEMA}.{deleted.table_name} RENAME TO contact"]
    assert plan.classification is ChangeClass.SAFE


@DIALECTS
def test_purging_an_object_drops_its_table_and_is_destructive(dialect: str) -> None:
    old, deleted = mutations.delete_object(with_object(accounts(), "contact"), "contact", now=NOW)
    new, _ = mutations.purge_object(old, "contact")
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [DropTable]
    assert sql_of(plan) == [f"DROP TABLE {SCHEMA}.{deleted.table_name}"]
    assert plan.classification is ChangeClass.DESTRUCTIVE


@DIALECTS
def test_renaming_an_object_renames_its_table_and_is_breaking(dialect: str) -> None:
    old = with_object(accounts(), "contact")
    new, _ = mutations.update_object(old, "contact", ObjectPatch(api_name="person"))
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [RenameTable]
    assert sql_of(plan) == [f"ALTER TABLE {SCHEMA}.contact RENAME TO person"]
    assert plan.classification is ChangeClass.BREAKING


@DIALECTS
def test_deleting_a_field_renames_its_column_aside(dialect: str) -> None:
    old = accounts()
    new, deleted = mutations.delete_field(old, "account", "code", now=NOW)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [RenameColumn]
    (statement,) = sql_of(plan)
    assert re.fullmatch(
        rf"ALTER TABLE {SCHEMA}\.account RENAME (COLUMN )?code TO {deleted.column_name}",
        statement,
    )
    assert plan.classification is ChangeClass.SAFE


def test_deleting_a_required_unique_field_drops_its_index_and_not_null_on_postgresql() -> None:
    old = with_object(
        empty_state(),
        "account",
        {"api_name": "code", "type": "text", "required": True, "unique": True},
    )
    new, deleted = mutations.delete_field(old, "account", "code", now=NOW)
    plan = plan_schema_change(old, new, dialect="postgresql")
    field_id = deleted.id.hex
    assert sql_of(plan) == [
        f"DROP INDEX {SCHEMA}.uq_{field_id}",
        f"ALTER TABLE {SCHEMA}.account RENAME code TO {deleted.column_name}",
        f"ALTER TABLE {SCHEMA}.account ALTER COLUMN {deleted.column_name} DROP NOT NULL",
    ]


def test_deleting_a_lookup_drops_its_foreign_key_on_postgresql() -> None:
    old = with_object(
        accounts(), "contact", {"api_name": "account", "type": "lookup", "target": "account"}
    )
    new, deleted = mutations.delete_field(old, "contact", "account", now=NOW)
    plan = plan_schema_change(old, new, dialect="postgresql")
    assert f"ALTER TABLE {SCHEMA}.contact DROP CONSTRAINT fk_{deleted.id.hex}" in sql_of(plan)


@DIALECTS
def test_purging_a_field_drops_its_column_and_is_destructive(dialect: str) -> None:
    old, deleted = mutations.delete_field(accounts(), "account", "code", now=NOW)
    new, _ = mutations.purge_field(old, "account", "code")
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [DropColumn]
    assert sql_of(plan) == [f"ALTER TABLE {SCHEMA}.account DROP COLUMN {deleted.column_name}"]
    assert plan.classification is ChangeClass.DESTRUCTIVE


# -- every statement is schema-qualified ---------------------------------------------------


@DIALECTS
def test_every_statement_names_the_tenant_schema(dialect: str) -> None:
    old = accounts()
    new = with_object(
        old,
        "contact",
        {"api_name": "account", "type": "lookup", "target": "account"},
        {"api_name": "email", "type": "email", "unique": True},
    )
    new = with_field(new, "account", api_name="tier", type="integer", required=True, default=1)
    new, _ = mutations.update_field(new, "account", "code", {"type": "integer"})
    plan = plan_schema_change(old, new, dialect=dialect)
    statements = sql_of(plan)
    assert len(statements) >= 4
    for statement in statements:
        assert f"{SCHEMA}." in statement


# -- column slots (PostgreSQL keeps those of dropped columns) -------------------------------


def slots(used: int, *, dropped: int = 0, limit: int = 1600) -> ColumnSlots:
    return ColumnSlots(used=used, dropped=dropped, limit=limit)


@DIALECTS
def test_adding_a_field_the_column_slots_have_room_for_adds_it_in_place(dialect: str) -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="text")
    plan = plan_schema_change(
        old, new, dialect=dialect, column_slots={"account": slots(1599, dropped=1500)}
    )
    assert op_types(plan) == [AddColumn]


def extras(primary_key_name: str = "account_pkey", **found: Any) -> TableExtras:
    return TableExtras(primary_key_name=primary_key_name, **found)


def reclaim(old: TenantMetadata, new: TenantMetadata, **found: Any) -> SchemaPlan:
    """The PostgreSQL plan of a change that adds to `account` past its column slots."""
    return plan_schema_change(
        old,
        new,
        dialect="postgresql",
        column_slots={"account": slots(1600, dropped=3)},
        table_extras={"account": extras(**found)},
    )


def test_adding_a_field_past_the_column_slots_rebuilds_the_table_on_postgresql() -> None:
    old = with_object(
        accounts(), "contact", {"api_name": "account", "type": "lookup", "target": "account"}
    )
    new = with_field(old, "account", api_name="tier", type="text")
    plan = plan_schema_change(
        old,
        new,
        dialect="postgresql",
        column_slots={"account": slots(1600, dropped=1591)},
        table_extras={"account": extras()},
    )
    assert op_types(plan) == [DropForeignKey, RebuildTable, AddForeignKey, AnalyzeTable]
    assert plan.describe()[1] == (
        "rebuild table account to reclaim the 1591 column slots its dropped columns hold"
    )
    assert plan.describe()[-1] == "analyze table account"
    assert plan.classification is ChangeClass.SAFE
    assert plan.unread_extras == ()
    key = f"fk_{field_of(new, 'contact', 'account').id.hex}"
    drop, create, copy, drop_old, rename, rename_key, add_key, analyze = sql_of(plan)
    assert drop == f"ALTER TABLE {SCHEMA}.contact DROP CONSTRAINT {key}"
    assert create.startswith(f"CREATE TABLE {SCHEMA}._tessera_rebuild_account ( id UUID NOT NULL")
    assert create.endswith("CONSTRAINT _tessera_rebuild_account_pk PRIMARY KEY (id) )")
    assert copy.startswith(
        f"INSERT INTO {SCHEMA}._tessera_rebuild_account (id, created_at, updated_at"
    )
    assert copy.endswith(f"name AS name, code AS code, NULL AS tier FROM {SCHEMA}.account")
    assert drop_old == f"DROP TABLE {SCHEMA}.account"
    assert rename == f"ALTER TABLE {SCHEMA}._tessera_rebuild_account RENAME TO account"
    assert rename_key == (
        f"ALTER TABLE {SCHEMA}.account RENAME CONSTRAINT _tessera_rebuild_account_pk "
        "TO account_pkey"
    )
    assert add_key == (
        f"ALTER TABLE {SCHEMA}.contact ADD CONSTRAINT {key} FOREIGN KEY(account) "
        f"REFERENCES {SCHEMA}.account (id) ON DELETE SET NULL"
    )
    assert analyze == f"ANALYZE {SCHEMA}.account"


def test_a_rebuild_planned_without_the_tables_extras_asks_for_them_and_cannot_be_applied() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="text")
    plan = plan_schema_change(
        old, new, dialect="postgresql", column_slots={"account": slots(1600, dropped=3)}
    )
    assert plan.unread_extras == ("account",)
    assert "RENAME CONSTRAINT" not in " ".join(sql_of(plan))
    with pytest.raises(ValueError, match="extras of account"):
        apply_plan(cast(Connection, None), plan)


def test_a_slot_reclaiming_rebuild_warns_that_it_is_a_slow_change() -> None:
    old = accounts()
    plan = reclaim(old, with_field(old, "account", api_name="tier", type="text"))
    assert [warning.as_dict() for warning in plan.warnings] == [
        {
            "code": "slow-change",
            "object": "account",
            "message": "the table of account is rebuilt: every row is copied and the indexes "
            "and keys are built again, while the tenant's writes wait for the change",
        }
    ]
    in_place = plan_schema_change(
        old, with_field(old, "account", api_name="tier", type="text"), dialect="postgresql"
    )
    assert in_place.warnings == ()


def test_a_primary_key_an_earlier_rebuild_named_keeps_the_name_read_for_it() -> None:
    old = accounts()
    plan = reclaim(
        old,
        with_field(old, "account", api_name="tier", type="text"),
        primary_key_name="account_pkey1",
    )
    assert sql_of(plan)[4] == (
        f"ALTER TABLE {SCHEMA}.account RENAME CONSTRAINT _tessera_rebuild_account_pk "
        "TO account_pkey1"
    )


def test_a_slot_reclaiming_rebuild_carries_the_tables_extras_over_in_order() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="text")
    plan = reclaim(
        old,
        new,
        owner="CRM Owner",
        privileges=(
            Privilege("SELECT", "BI Readers", is_grantable=True),
            Privilege("UPDATE", "BI Readers", column="name"),
            Privilege("INSERT", None, column="code"),
        ),
        revoked_from_owner=("TRUNCATE",),
        default_grantees=(None,),
        comment="it's 100% ours: see wiki",
        column_comments=(("name", "the name"),),
        statistics_targets=(("code", 500),),
        column_options=(("code", "n_distinct", -0.5),),
        has_row_security=True,
        forces_row_security=True,
        policies=(
            RowPolicy("north only", "SELECT", False, ("BI Readers", None), "(code <> 'x')", None),
            RowPolicy("p2", "INSERT", True, (None,), None, "(code IS NOT NULL)"),
        ),
        triggers=(
            Trigger(
                "stamp",
                f"CREATE TRIGGER stamp BEFORE UPDATE ON {SCHEMA}.account FOR EACH "
                f"ROW EXECUTE FUNCTION {SCHEMA}.stamp()",
                "DISABLE",
            ),
        ),
        definitions=(
            Definition(
                "index",
                "by_lower_name",
                f"CREATE INDEX by_lower_name ON {SCHEMA}.account USING btree (lower((name)::text))",
            ),
            Definition("constraint", "short_code", "CHECK ((length((code)::text) < 10))"),
        ),
        replica_identity="FULL",
        publications=(
            PublicationMembership("everything"),
            PublicationMembership("Names", ("id", "name"), "(name IS NOT NULL)"),
        ),
    )
    assert op_types(plan)[-2:] == [RestoreTableExtras, AnalyzeTable]
    assert plan.describe()[-2] == (
        "carry over to table account: the owner's privileges, 3 privileges, 2 comments, "
        "1 statistics target, 1 column option, 1 index, 1 constraint, "
        "2 row-level security policies, 1 trigger, 2 publications, row-level security, "
        "the replica identity, the owner CRM Owner"
    )
    table = f"{SCHEMA}.account"
    statements = sql_of(plan)
    first = statements.index(f"REVOKE ALL ON TABLE {table} FROM PUBLIC")
    assert statements[first:] == [
        f"REVOKE ALL ON TABLE {table} FROM PUBLIC",
        f"REVOKE TRUNCATE ON TABLE {table} FROM CURRENT_USER",
        f'GRANT SELECT ON TABLE {table} TO "BI Readers" WITH GRANT OPTION',
        f'GRANT UPDATE (name) ON TABLE {table} TO "BI Readers"',
        f"GRANT INSERT (code) ON TABLE {table} TO PUBLIC",
        f"COMMENT ON TABLE {table} IS 'it''s 100% ours: see wiki'",
        f"COMMENT ON COLUMN {table}.name IS 'the name'",
        f"ALTER TABLE {table} ALTER COLUMN code SET STATISTICS 500",
        f"ALTER TABLE {table} ALTER COLUMN code SET (n_distinct = -0.5)",
        f"CREATE INDEX by_lower_name ON {table} USING btree (lower((name)::text))",
        f"ALTER TABLE {table} ADD CONSTRAINT short_code CHECK ((length((code)::text) < 10))",
        f"ALTER TABLE {table} REPLICA IDENTITY FULL",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f'CREATE POLICY "north only" ON {table} AS RESTRICTIVE FOR SELECT '
        f"TO \"BI Readers\", PUBLIC USING ((code <> 'x'))",
        f"CREATE POLICY p2 ON {table} AS PERMISSIVE FOR INSERT TO PUBLIC "
        "WITH CHECK ((code IS NOT NULL))",
        f"CREATE TRIGGER stamp BEFORE UPDATE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION {SCHEMA}.stamp()",
        f"ALTER TABLE {table} DISABLE TRIGGER stamp",
        f"ALTER PUBLICATION everything ADD TABLE {table}",
        f'ALTER PUBLICATION "Names" ADD TABLE {table} (id, name) WHERE ((name IS NOT NULL))',
        f'ALTER TABLE {table} OWNER TO "CRM Owner"',
        f"ANALYZE {table}",
    ]


def test_a_rebuilt_tables_own_indexes_and_keys_are_not_carried_as_extras() -> None:
    old = with_field(accounts(), "account", api_name="parent", type="lookup", target="account")
    new = with_field(old, "account", api_name="tier", type="text", indexed=True)
    parent = field_of(new, "account", "parent").id.hex
    tier = field_of(new, "account", "tier").id.hex
    plan = reclaim(
        old,
        new,
        definitions=(
            Definition("index", f"ix_{parent}", f"CREATE INDEX ix_{parent} ON account (parent)"),
            Definition("constraint", f"fk_{parent}", "FOREIGN KEY (parent) REFERENCES account"),
            Definition("index", f"ix_{tier}", f"CREATE INDEX ix_{tier} ON account (tier)"),
        ),
    )
    assert RestoreTableExtras not in op_types(plan)


def test_what_a_rebuild_cannot_carry_over_refuses_the_change_and_names_it() -> None:
    old = with_object(
        accounts(), "contact", {"api_name": "account", "type": "lookup", "target": "account"}
    )
    new = with_field(old, "account", api_name="tier", type="text")
    tessera_key = f"fk_{field_of(new, 'contact', 'account').id.hex}"
    with pytest.raises(Conflict) as refused:
        reclaim(
            old,
            new,
            blockers=("rule no_delete on it",),
            foreign_keys_in=(
                IncomingForeignKey(tessera_key, f"{SCHEMA}.contact"),
                IncomingForeignKey("audit_account", "reports.audit"),
            ),
        )
    assert refused.value.extra == {
        "object": "account",
        "blockers": [
            "rule no_delete on it",
            "foreign key audit_account of reports.audit points at it",
        ],
    }
    assert "rule no_delete on it" in refused.value.detail


def test_a_slot_reclaiming_rebuild_keeps_the_tables_own_keys_and_indexes() -> None:
    old = with_field(accounts(), "account", api_name="email", type="email", unique=True)
    old = with_field(old, "account", api_name="parent", type="lookup", target="account")
    new = with_field(old, "account", api_name="tier", type="text", indexed=True)
    plan = reclaim(old, new)
    assert op_types(plan) == [RebuildTable, AddForeignKey, AnalyzeTable]
    statements = sql_of(plan)
    assert "REFERENCES" not in statements[0]
    indexes = [statement for statement in statements if statement.startswith("CREATE")][1:]
    assert sorted(indexes) == sorted(
        [
            f"CREATE UNIQUE INDEX uq_{field_of(new, 'account', 'email').id.hex} "
            f"ON {SCHEMA}.account (email)",
            f"CREATE INDEX ix_{field_of(new, 'account', 'parent').id.hex} "
            f"ON {SCHEMA}.account (parent)",
            f"CREATE INDEX ix_{field_of(new, 'account', 'tier').id.hex} ON {SCHEMA}.account (tier)",
        ]
    )
    assert statements[-2].endswith(
        f"FOREIGN KEY(parent) REFERENCES {SCHEMA}.account (id) ON DELETE SET NULL"
    )


def test_a_slot_reclaiming_rebuild_runs_after_the_tables_that_point_at_it_are_made() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="text")
    new = with_object(
        new, "invoice", {"api_name": "account", "type": "lookup", "target": "account"}
    )
    plan = reclaim(old, new)
    assert op_types(plan) == [
        CreateTable,
        CreateIndex,
        DropForeignKey,
        RebuildTable,
        AddForeignKey,
        AnalyzeTable,
    ]
    key = f"fk_{field_of(new, 'invoice', 'account').id.hex}"
    assert sql_of(plan)[2] == f"ALTER TABLE {SCHEMA}.invoice DROP CONSTRAINT {key}"


def test_column_slots_never_rebuild_a_table_on_sqlite() -> None:
    old = accounts()
    new = with_field(old, "account", api_name="tier", type="text")
    plan = plan_schema_change(
        old, new, dialect="sqlite", column_slots={"account": slots(1600, dropped=1500)}
    )
    assert op_types(plan) == [AddColumn]


def test_the_table_a_rebuild_copies_into_has_a_name_the_database_keeps_whole() -> None:
    name = "a" * 63
    old = with_object(empty_state(), name, {"api_name": "label", "type": "text"})
    new = with_field(old, name, api_name="tier", type="text")
    plan = plan_schema_change(
        old, new, dialect="postgresql", column_slots={name: slots(1600, dropped=1)}
    )
    temporary = ("_tessera_rebuild_" + name)[:63]
    assert sql_of(plan)[0].startswith(f"CREATE TABLE {SCHEMA}.{temporary} (")
    assert sql_of(plan)[3] == f"ALTER TABLE {SCHEMA}.{temporary} RENAME TO {name}"
