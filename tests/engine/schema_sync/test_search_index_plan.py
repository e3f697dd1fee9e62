"""Search indexes in schema plans: when they are built, dropped and rebuilt, and their DDL.

No database: states are built with the pure mutations, planned, and rendered offline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from uuid_utils.compat import uuid7

from engine.errors import SearchUnavailable
from engine.metadata_changes import mutations
from engine.schema_sync import SchemaPlan, plan_schema_change, render_sql
from engine.schema_sync.ops import (
    AddColumn,
    CreateSearchIndex,
    CreateTable,
    DropSearchIndex,
    EnableSearchExtension,
    RebuildTable,
    RenameColumn,
    RenameTable,
)
from engine.search import SearchSupport
from metadata.models import FieldDef, ObjectDef, ObjectPatch, TenantMetadata

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SCHEMA = "t_acme"
DIALECTS = pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])


def accounts(*extra: dict[str, Any]) -> TenantMetadata:
    state = TenantMetadata(tenant_id=uuid7(), schema_name=SCHEMA, revision=1)
    fields = [
        {"api_name": "name", "type": "text", "searchable": True},
        {"api_name": "notes", "type": "long_text", "searchable": True},
        {"api_name": "code", "type": "text"},
        *extra,
    ]
    definition = ObjectDef(api_name="account", fields=[FieldDef(**field) for field in fields])
    return mutations.create_object(state, definition, now=NOW)[0]


def changed(state: TenantMetadata, field: str, **patch: Any) -> TenantMetadata:
    return mutations.update_field(state, "account", field, patch)[0]


def op_types(plan: SchemaPlan) -> list[type]:
    return [type(op) for op in plan.ops]


def search_index_id(state: TenantMetadata) -> str:
    obj = state.find_object("account")
    assert obj is not None
    return obj.id.hex


@DIALECTS
def test_an_object_created_with_searchable_fields_gets_its_search_index_after_its_table(
    dialect: str,
) -> None:
    new = accounts()
    plan = plan_schema_change(
        TenantMetadata(tenant_id=uuid7(), schema_name=SCHEMA, revision=1), new, dialect=dialect
    )
    assert op_types(plan) == [CreateTable, CreateSearchIndex]
    assert plan.describe()[-1] == "create search index on account (name, notes)"
    # A new table has no rows to count.
    assert plan.touches == ()


def test_the_postgresql_search_index_is_a_words_and_a_trigram_index_over_the_searchable_text() -> (
    None
):
    old = accounts()
    new = changed(old, "code", searchable=True)
    plan = plan_schema_change(old, new, dialect="postgresql")
    name = f"ix_search_{search_index_id(new)}"
    document = (
        "left((((coalesce(name, '') || ' ') || coalesce(notes, '')) || ' ') "
        "|| coalesce(code, ''), 100000)"
    )
    assert render_sql(plan.ops, dialect="postgresql") == [
        f"DROP INDEX {SCHEMA}.{name}_words;",
        f"DROP INDEX {SCHEMA}.{name}_trigrams;",
        f"CREATE INDEX {name}_words ON {SCHEMA}.account "
        f"USING gin (to_tsvector('english'::regconfig, {document}));",
        f"CREATE INDEX {name}_trigrams ON {SCHEMA}.account "
        f"USING gin ({document} public.gin_trgm_ops);",
    ]


def test_the_sqlite_search_index_is_an_fts5_trigram_table_kept_by_triggers() -> None:
    new = accounts()
    statements = render_sql(
        plan_schema_change(accounts(), changed(new, "code", searchable=True), dialect="sqlite").ops,
        dialect="sqlite",
    )
    created = [
        s for s in statements if s.startswith(("CREATE VIRTUAL", "CREATE TRIGGER", "INSERT"))
    ]
    assert (
        'USING fts5("name", "notes", "code", '
        "content='account', content_rowid='rowid', tokenize='trigram')" in created[0]
    )
    assert [s.split()[2].split(".")[-1].strip('"') for s in created[1:4]] == [
        f"_search_{search_index_id(new)}_{event}" for event in ("insert", "update", "delete")
    ]
    assert created[-1].endswith("VALUES ('rebuild');")


@DIALECTS
def test_marking_a_field_searchable_rebuilds_the_index_and_counts_the_rows_it_indexes(
    dialect: str,
) -> None:
    old = accounts()
    plan = plan_schema_change(old, changed(old, "code", searchable=True), dialect=dialect)
    assert op_types(plan) == [DropSearchIndex, CreateSearchIndex]
    assert plan.describe() == [
        "drop search index on account (name, notes)",
        "create search index on account (name, notes, code)",
    ]
    (touch,) = plan.touches
    assert (touch.object_name, touch.field_name, touch.reason) == (
        "account",
        None,
        "indexed for search",
    )


@DIALECTS
def test_the_last_searchable_field_going_drops_the_index(dialect: str) -> None:
    old = changed(accounts(), "notes", searchable=False)
    plan = plan_schema_change(old, changed(old, "name", searchable=False), dialect=dialect)
    assert op_types(plan) == [DropSearchIndex]
    assert plan.touches == ()


@DIALECTS
def test_a_change_that_leaves_the_searchable_fields_alone_leaves_the_index(dialect: str) -> None:
    old = accounts()
    plan = plan_schema_change(old, changed(old, "code", indexed=True), dialect=dialect)
    assert not {CreateSearchIndex, DropSearchIndex} & set(op_types(plan))


def test_renaming_a_searchable_field_keeps_the_postgresql_index() -> None:
    old = accounts()
    plan = plan_schema_change(old, changed(old, "notes", api_name="remarks"), dialect="postgresql")
    assert op_types(plan) == [RenameColumn]


def test_renaming_a_searchable_field_rebuilds_the_sqlite_index_around_the_rename() -> None:
    old = accounts()
    plan = plan_schema_change(old, changed(old, "notes", api_name="remarks"), dialect="sqlite")
    assert op_types(plan) == [DropSearchIndex, RenameColumn, CreateSearchIndex]
    assert plan.describe()[-1] == "create search index on account (name, remarks)"


@DIALECTS
def test_renaming_an_object_keeps_its_index_on_postgresql_and_rebuilds_it_on_sqlite(
    dialect: str,
) -> None:
    old = accounts()
    new, _ = mutations.update_object(old, "account", ObjectPatch(api_name="customer"))
    plan = plan_schema_change(old, new, dialect=dialect)
    if dialect == "postgresql":
        assert op_types(plan) == [RenameTable]
    else:
        assert op_types(plan) == [DropSearchIndex, RenameTable, CreateSearchIndex]


@DIALECTS
def test_deleting_an_object_drops_its_index_and_restoring_it_builds_it_again(
    dialect: str,
) -> None:
    old = accounts()
    deleted, _ = mutations.delete_object(old, "account", now=NOW)
    assert op_types(plan_schema_change(old, deleted, dialect=dialect)) == [
        DropSearchIndex,
        RenameTable,
    ]
    restored, _ = mutations.restore_object(deleted, "account")
    plan = plan_schema_change(deleted, restored, dialect=dialect)
    assert op_types(plan) == [RenameTable, CreateSearchIndex]
    assert [touch.reason for touch in plan.touches] == ["indexed for search"]


@DIALECTS
def test_deleting_a_searchable_field_drops_it_from_the_index_before_its_column_moves_aside(
    dialect: str,
) -> None:
    old = accounts()
    new, _ = mutations.delete_field(old, "account", "notes", now=NOW)
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [DropSearchIndex, RenameColumn, CreateSearchIndex]
    assert plan.describe()[-1] == "create search index on account (name)"


def test_a_sqlite_table_rebuild_rebuilds_the_index_its_rowids_no_longer_match() -> None:
    old = accounts()
    plan = plan_schema_change(
        old,
        changed(
            old,
            "code",
            type="integer",
        ),
        dialect="sqlite",
        force=True,
    )
    assert op_types(plan) == [DropSearchIndex, RebuildTable, CreateSearchIndex]


def test_a_type_the_search_cannot_read_drops_the_option_and_the_field_from_the_index() -> None:
    old = accounts()
    new = changed(old, "notes", type="integer")
    obj = new.find_object("account")
    assert obj is not None and obj.find_field("notes") is not None
    assert obj.find_field("notes").definition.searchable is False  # type: ignore[union-attr]
    assert plan_schema_change(old, new, dialect="postgresql").describe()[-1] == (
        "create search index on account (name)"
    )


def test_the_first_search_index_of_a_postgresql_database_enables_pg_trgm_first() -> None:
    support = SearchSupport(needs_extension=True, extension_schema="public")
    plan = plan_schema_change(
        accounts(),
        changed(accounts(), "code", searchable=True),
        dialect="postgresql",
        search_support=support,
    )
    assert op_types(plan)[0] is EnableSearchExtension
    assert render_sql(plan.ops, dialect="postgresql")[0] == (
        'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "public";'
    )


def test_the_trigram_index_names_the_operator_class_where_the_extension_lives() -> None:
    support = SearchSupport(extension_schema="extensions")
    plan = plan_schema_change(
        accounts(),
        changed(accounts(), "code", searchable=True),
        dialect="postgresql",
        search_support=support,
    )
    assert "extensions.gin_trgm_ops" in render_sql(plan.ops, dialect="postgresql")[-1]


@DIALECTS
def test_a_search_index_the_database_cannot_hold_is_refused_with_how_to_fix_it(
    dialect: str,
) -> None:
    support = SearchSupport(can_index=False, reason="install postgresql-contrib")
    with pytest.raises(SearchUnavailable, match="postgresql-contrib"):
        plan_schema_change(
            accounts(),
            changed(accounts(), "code", searchable=True),
            dialect=dialect,
            search_support=support,
        )


@DIALECTS
def test_dropping_search_indexes_needs_nothing_of_the_database(dialect: str) -> None:
    old = changed(accounts(), "notes", searchable=False)
    support = SearchSupport(can_index=False, reason="no trigrams here")
    new = changed(old, "name", searchable=False)
    plan = plan_schema_change(old, new, dialect=dialect, search_support=support)
    assert op_types(plan) == [DropSearchIndex]


@DIALECTS
def test_adding_a_column_with_a_new_searchable_field_builds_the_index_after_the_column(
    dialect: str,
) -> None:
    old = accounts()
    new, _ = mutations.add_field(
        old, "account", FieldDef(api_name="email", type="email", searchable=True)
    )
    plan = plan_schema_change(old, new, dialect=dialect)
    assert op_types(plan) == [DropSearchIndex, AddColumn, CreateSearchIndex]
