"""Plan a schema change: compare two metadata states and return the ordered operations.

Planning is pure. It never touches the database; the data checks it returns are run
by the applier (or the dry run) against the current rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Select,
    Table,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import (
    SYSTEM_COLUMNS,
    build_tables,
    field_index_name,
    foreign_key_name,
    is_foreign_key,
    is_not_null,
    on_delete_sql,
    python_value,
)
from engine.errors import Conflict, MetadataError, Problem, SearchUnavailable
from engine.schema_sync.checks import CheckKind, DataCheck, RowsTouched, ValuesRewritten
from engine.schema_sync.column_slots import ColumnSlots
from engine.schema_sync.conversions import (
    ConversionRefused,
    plan_conversion,
    quote_identifier,
    render_type,
)
from engine.schema_sync.ops import (
    AddColumn,
    AddForeignKey,
    AlterColumnType,
    AnalyzeTable,
    CreateIndex,
    CreateSearchIndex,
    CreateTable,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropSearchIndex,
    DropTable,
    EnableSearchExtension,
    FillColumn,
    RebuildTable,
    RenameColumn,
    RenameTable,
    RestoreTableExtras,
    SchemaOp,
    SetNullable,
)
from engine.schema_sync.table_extras import TableExtras
from engine.search import (
    SearchSupport,
    database_names,
    is_same_index,
    search_index,
    search_indexes,
)
from metadata.models import FieldDef, FieldState, ObjectState, TenantMetadata, default_expression


class ChangeClass(StrEnum):
    """How risky a planned change is."""

    SAFE = "safe"
    BREAKING = "breaking"
    DESTRUCTIVE = "destructive"


@dataclass(frozen=True)
class PlanWarning:
    """Something about a change to know before applying it, whatever its classification.

    `slow-change`: the change rebuilds a table, which takes as long as copying its rows
    and building its indexes and keys again, while the tenant's writes wait.
    """

    code: str
    object_name: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the JSON shape used in plans."""
        return {"code": self.code, "object": self.object_name, "message": self.message}


@dataclass(frozen=True)
class SchemaPlan:
    """The ordered operations that turn one metadata state into another, with their checks."""

    dialect: str
    ops: tuple[SchemaOp, ...]
    checks: tuple[DataCheck, ...] = ()
    touches: tuple[RowsTouched, ...] = ()
    #: Rows whose stored values of existing fields the change replaces (with `force`,
    #: the values that do not convert; empty values a default fills).
    rewrites: tuple[ValuesRewritten, ...] = ()
    classification: ChangeClass = ChangeClass.SAFE
    warnings: tuple[PlanWarning, ...] = ()
    is_forced: bool = False
    new_metadata: MetaData = field(default_factory=MetaData)
    #: Tables the plan rebuilds without having been given their extras (by their current
    #: name): the plan must be made again with them before it can be applied.
    unread_extras: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        """One line per operation, in order."""
        return [op.describe() for op in self.ops]


def plan_schema_change(
    old: TenantMetadata,
    new: TenantMetadata,
    *,
    dialect: str,
    force: bool = False,
    column_slots: Mapping[str, ColumnSlots] | None = None,
    table_extras: Mapping[str, TableExtras] | None = None,
    search_support: SearchSupport | None = None,
) -> SchemaPlan:
    """Return the plan that turns the tables of `old` into those of `new`.

    `column_slots` (by table name, measured by the caller) are the slots PostgreSQL's
    tables have used up, dropped columns' included: a table the change would add columns
    past its limit to is rebuilt, which gives the slots of its dropped columns back.
    `table_extras` (by table name, read by the caller for the tables the plan names in
    `unread_extras`) are what such a table has beyond Tessera's making; the rebuild
    carries them over. `search_support` (measured by the caller; assumed complete when
    None) says whether the database can hold search indexes and what the first one needs.

    Raises:
        MetadataError: a field changes type in a way no conversion supports.
        Conflict: a table must be rebuilt and has something the rebuild cannot carry over.
        SearchUnavailable: the change builds a search index the database cannot hold.
    """
    _, old_tables = build_tables(old)
    new_metadata, new_tables = build_tables(new)
    planner = _Planner(
        dialect=dialect,
        force=force,
        old=old,
        new=new,
        column_slots=column_slots or {},
        table_extras=table_extras or {},
    )
    old_objects = {obj.id: obj for obj in old.objects}
    new_objects = {obj.id: obj for obj in new.objects}
    # Purges go first and creations before alterations, so a new object can be the
    # target of a lookup added in the same change.
    for object_id, obj in old_objects.items():
        if object_id not in new_objects:
            planner.ops.append(DropTable(old.schema_name, obj.table_name))
            planner.classify(ChangeClass.DESTRUCTIVE)
    for object_id in new_objects:
        if object_id not in old_objects:
            planner.create_table(new_tables[object_id])
    for object_id, obj in new_objects.items():
        if object_id in old_objects:
            planner.alter_table(
                old_objects[object_id], obj, old_tables[object_id], new_tables[object_id]
            )
    if planner.problems:
        raise MetadataError("the change cannot be planned", problems=planner.problems)
    if planner.blocked:
        object_name, blockers = planner.blocked[0]
        raise Conflict(
            f"adding to {object_name} needs its table rebuilt to reclaim the column slots "
            f"of purged fields, and the rebuild cannot carry over: {'; '.join(blockers)}. "
            "Remove them, make the change, then create them again",
            extra={"object": object_name, "blockers": list(blockers)},
        )
    # Slot-reclaiming rebuilds come last: by then every other table has the foreign keys
    # of the new state, which is what they drop around the rebuild and add back.
    planner.ops.extend(planner.reclaims)
    planner.plan_search_indexes(old_tables, search_support or SearchSupport())
    return SchemaPlan(
        dialect=dialect,
        ops=tuple(planner.ops),
        checks=tuple(planner.checks),
        touches=tuple(planner.touches),
        rewrites=tuple(planner.rewrites),
        classification=planner.classification,
        warnings=tuple(planner.warnings),
        is_forced=force,
        new_metadata=new_metadata,
        unread_extras=tuple(planner.unread_extras),
    )


_SEVERITY = [ChangeClass.SAFE, ChangeClass.BREAKING, ChangeClass.DESTRUCTIVE]


@dataclass
class _FieldChange:
    old: FieldState | None
    new: FieldState | None
    value: ColumnElement[Any] | None = None
    needs_rebuild: bool = False


@dataclass
class _Planner:
    dialect: str
    force: bool
    old: TenantMetadata
    new: TenantMetadata
    ops: list[SchemaOp] = field(default_factory=list)
    checks: list[DataCheck] = field(default_factory=list)
    touches: list[RowsTouched] = field(default_factory=list)
    rewrites: list[ValuesRewritten] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    classification: ChangeClass = ChangeClass.SAFE
    column_slots: Mapping[str, ColumnSlots] = field(default_factory=dict)
    table_extras: Mapping[str, TableExtras] = field(default_factory=dict)
    reclaims: list[SchemaOp] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    unread_extras: list[str] = field(default_factory=list)
    #: (object, what stops its rebuild)
    blocked: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return self.new.schema_name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def classify(self, level: ChangeClass) -> None:
        if _SEVERITY.index(level) > _SEVERITY.index(self.classification):
            self.classification = level

    def create_table(self, table: Table) -> None:
        self.ops.append(CreateTable(table))
        self.ops.extend(CreateIndex(index) for index in sorted(table.indexes, key=_index_key))

    def alter_table(
        self, old_obj: ObjectState, new_obj: ObjectState, old_table: Table, new_table: Table
    ) -> None:
        if old_obj.table_name != new_obj.table_name:
            self.ops.append(RenameTable(self.schema, old_obj.table_name, new_obj.table_name))
            if not old_obj.is_deleted and not new_obj.is_deleted:
                self.classify(ChangeClass.BREAKING)
        changes = self._field_changes(old_obj, new_obj, old_table)
        # Only PostgreSQL keeps the slots of dropped columns (SQLite measures none).
        slots = None if self.is_sqlite else self.column_slots.get(old_obj.table_name)
        added = sum(1 for change in changes if change.old is None)
        if self.is_sqlite and any(change.needs_rebuild for change in changes):
            self._rebuild(new_obj, old_table, new_table, changes)
        elif slots is not None and not slots.can_add(added):
            self._reclaim_slots(old_obj, new_obj, old_table, new_table, changes, slots)
        else:
            self._alter_in_place(new_obj, old_table, new_table, changes)

    # -- search indexes -----------------------------------------------------------------

    def plan_search_indexes(self, old_tables: Mapping[Any, Table], support: SearchSupport) -> None:
        """Drop the search indexes that change before any other op, build them after all.

        An index changes with its fields, and (on SQLite) with its table's or columns'
        names; a rebuilt table loses it. Dropping first frees the columns and tables the
        other ops rename or drop; building last indexes the rows as the change leaves them.
        """
        before = search_indexes(self.old)
        after = search_indexes(self.new)
        rebuilt = {op.new_table.name for op in self.ops if isinstance(op, RebuildTable)}
        old_objects = {obj.id: obj for obj in self.old.objects}
        drops: list[SchemaOp] = []
        creations: list[SchemaOp] = []
        for object_id in [*before, *(key for key in after if key not in before)]:
            old_index, new_index = before.get(object_id), after.get(object_id)
            if (
                old_index is not None
                and new_index is not None
                and is_same_index(old_index, new_index, dialect=self.dialect)
                and new_index.table_name not in rebuilt
            ):
                continue
            if old_index is not None:
                drops.append(DropSearchIndex(old_index))
            if new_index is None:
                continue
            creations.append(CreateSearchIndex(new_index, support))
            old_obj = old_objects.get(object_id)
            if old_obj is not None:
                self.touches.append(
                    RowsTouched(old_obj.api_name, None, "indexed for search", old_tables[object_id])
                )
        if creations and not support.can_index:
            raise SearchUnavailable(support.reason)
        if creations and support.needs_extension:
            drops.insert(0, EnableSearchExtension(support))
        self.ops[:0] = drops
        self.ops.extend(creations)

    # -- per-field analysis -------------------------------------------------------------

    def _field_changes(
        self, old_obj: ObjectState, new_obj: ObjectState, old_table: Table
    ) -> list[_FieldChange]:
        old_fields = {f.id: f for f in old_obj.fields}
        changes: list[_FieldChange] = []
        for new_field in new_obj.fields:
            change = _FieldChange(old=old_fields.pop(new_field.id, None), new=new_field)
            self._analyse(new_obj, change, old_table)
            changes.append(change)
        for purged in old_fields.values():
            change = _FieldChange(old=purged, new=None)
            # SQLite cannot drop a column that carries a foreign key.
            change.needs_rebuild = purged.definition.type.value in ("lookup", "master_detail")
            changes.append(change)
            self.classify(ChangeClass.DESTRUCTIVE)
        return changes

    def _analyse(self, obj: ObjectState, change: _FieldChange, old_table: Table) -> None:
        old, new = change.old, change.new
        assert new is not None
        if old is None:
            self._analyse_added(obj, change, old_table)
            return
        if old.column_name != new.column_name and not old.is_deleted and not new.is_deleted:
            self.classify(ChangeClass.BREAKING)
        try:
            conversion = plan_conversion(
                old.definition,
                self._same_target_spelled_as_before(old, new),
                column_name=old.column_name,
                dialect=self.dialect,
            )
        except ConversionRefused as refused:
            self.problems.append(
                Problem(f"/fields/{new.api_name}/type", "unsupported-conversion", str(refused))
            )
            return
        if conversion is not None:
            change.value = conversion.value(forced=self.force)
            change.needs_rebuild = True
            self.touches.append(
                RowsTouched(
                    obj.api_name,
                    new.api_name,
                    "values converted",
                    old_table,
                    literal_column(_quote(old.column_name, self.dialect)).is_not(None),
                )
            )
            if conversion.blocking is not None:
                self.classify(ChangeClass.BREAKING)
                # Forcing empties the offending values, which a required field can only
                # take when a default fills them.
                can_empty = not is_not_null(new) or _literal_default(new) is not None
                self.checks.append(
                    DataCheck(
                        object_name=obj.api_name,
                        field_name=new.api_name,
                        code="lossy-conversion",
                        message=f"values that would not convert: {conversion.reason}"
                        + ("" if can_empty else "; the field is required and has no default"),
                        table=old_table,
                        predicate=conversion.blocking,
                        is_forceable=can_empty,
                    )
                )
                if self.force and can_empty:
                    self.rewrites.append(
                        ValuesRewritten(obj.api_name, new.api_name, old_table, conversion.blocking)
                    )
        if is_not_null(new) and not is_not_null(old):
            self._require_values(obj, change, old_table, column_name=old.column_name)
        if is_not_null(new) != is_not_null(old) or is_foreign_key(new) != is_foreign_key(old):
            change.needs_rebuild = True
        if is_foreign_key(new) and is_foreign_key(old) and on_delete_sql(new) != on_delete_sql(old):
            change.needs_rebuild = True
        # Distinct values can collide once converted ("01" and "1" both become 1), so a
        # converted column's check groups the converted values (unconvertible ones as NULL).
        converted = conversion.value(forced=True) if conversion is not None else None
        was_unique = old.definition.unique and not old.is_deleted
        if (
            new.definition.unique
            and not new.is_deleted
            and (converted is not None or not was_unique)
        ):
            self.checks.append(
                DataCheck(
                    object_name=obj.api_name,
                    field_name=new.api_name,
                    code="duplicate-values",
                    message="values that occur more than once",
                    table=old_table,
                    column=(
                        converted
                        if converted is not None
                        else literal_column(_quote(old.column_name, self.dialect))
                    ),
                    kind=CheckKind.DUPLICATES,
                )
            )
        if is_foreign_key(new) and not is_foreign_key(old):
            self._check_orphans(obj, change, old_table)

    def _same_target_spelled_as_before(self, old: FieldState, new: FieldState) -> FieldDef:
        """`new`'s definition, its lookup target named as in `old` when it is the same object.

        Renaming an object rewrites the `target` of lookups to it; that is no target change.
        """
        old_target = self.old.find_object(old.definition.target or "", include_deleted=True)
        new_target = self.new.find_object(new.definition.target or "", include_deleted=True)
        if old_target is not None and new_target is not None and old_target.id == new_target.id:
            return new.definition.model_copy(update={"target": old.definition.target})
        return new.definition

    def _analyse_added(self, obj: ObjectState, change: _FieldChange, old_table: Table) -> None:
        new = change.new
        assert new is not None
        if is_not_null(new) or is_foreign_key(new):
            change.needs_rebuild = True
        if is_not_null(new):
            if _literal_default(new) is None:
                self.checks.append(
                    DataCheck(
                        object_name=obj.api_name,
                        field_name=new.api_name,
                        code="rows-without-value",
                        message="existing records would have no value for this required field; "
                        "give the field a default, or add it as optional and make it required "
                        "once every record has a value",
                        table=old_table,
                        predicate=true(),
                    )
                )
            else:
                self.touches.append(
                    RowsTouched(obj.api_name, new.api_name, "filled with the default", old_table)
                )

    def _require_values(
        self, obj: ObjectState, change: _FieldChange, old_table: Table, *, column_name: str
    ) -> None:
        new = change.new
        assert new is not None
        empty = literal_column(_quote(column_name, self.dialect)).is_(None)
        if _literal_default(new) is None:
            is_restore = change.old is not None and change.old.is_deleted
            self.checks.append(
                DataCheck(
                    object_name=obj.api_name,
                    field_name=new.api_name,
                    code="null-values",
                    # A deleted field can be neither filled nor given a default, so a
                    # restore says how to bring it back instead.
                    message=(
                        "records created while the field was deleted have no value; "
                        'restore it with a default that fills them ({"default": …} in the '
                        'body; the field keeps it), or as optional ({"required": false}) '
                        "and make it required once they have values"
                        if is_restore
                        else "records without a value; fill them, "
                        "or give the field a default to fill them with"
                    ),
                    table=old_table,
                    predicate=empty,
                )
            )
        else:
            self.touches.append(
                RowsTouched(
                    obj.api_name,
                    new.api_name,
                    "empty values filled with the default",
                    old_table,
                    empty,
                )
            )
            self.rewrites.append(ValuesRewritten(obj.api_name, new.api_name, old_table, empty))

    def _check_orphans(self, obj: ObjectState, change: _FieldChange, old_table: Table) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        target = self.new.find_object(new.definition.target or "")
        if target is None:
            return
        column: ColumnElement[Any] = literal_column(_quote(old.column_name, self.dialect))
        target_ids: Select[Any] = select(literal_column("id")).select_from(
            Table(target.table_name, MetaData(), Column("id"), schema=self.schema)
        )
        self.checks.append(
            DataCheck(
                object_name=obj.api_name,
                field_name=new.api_name,
                code="orphan-references",
                message=f"values that point at {target.api_name} records that no longer exist",
                table=old_table,
                predicate=column.is_not(None) & column.not_in(target_ids.scalar_subquery()),
            )
        )

    # -- SQLite copy-and-swap ---------------------------------------------------------------

    def _rebuild(
        self, obj: ObjectState, old_table: Table, new_table: Table, changes: list[_FieldChange]
    ) -> None:
        self.ops.append(
            RebuildTable(
                new_table=new_table,
                old_table_name=obj.table_name,
                values=self._copied_values(new_table, changes),
            )
        )
        self.touches.append(RowsTouched(obj.api_name, None, "table rebuilt", old_table))

    def _copied_values(
        self, new_table: Table, changes: list[_FieldChange]
    ) -> tuple[tuple[str, ColumnElement[Any]], ...]:
        """Each column of the rebuilt table, with the value a copied row gets."""
        values: list[tuple[str, ColumnElement[Any]]] = [
            (column.name, literal_column(_quote(column.name, self.dialect)))
            for column in new_table.columns
            if column.name in SYSTEM_COLUMNS
        ]
        for change in changes:
            new = change.new
            if new is None:
                continue
            column = new_table.c[new.column_name]
            if change.old is None:
                value: ColumnElement[Any] = (
                    self._default_literal(new, column) if is_not_null(new) else literal(None)
                )
            else:
                value = (
                    change.value
                    if change.value is not None
                    else literal_column(_quote(change.old.column_name, self.dialect))
                )
                if is_not_null(new) and _literal_default(new) is not None:
                    value = func.coalesce(value, self._default_literal(new, column))
            values.append((new.column_name, value))
        return tuple(values)

    # -- PostgreSQL rebuild that gives dropped columns' slots back ---------------------------

    def _reclaim_slots(
        self,
        old_obj: ObjectState,
        obj: ObjectState,
        old_table: Table,
        new_table: Table,
        changes: list[_FieldChange],
        slots: ColumnSlots,
    ) -> None:
        """Rebuild a table the change would add columns past its slots to.

        The copy carries every row with its id, version and stamps; the indexes come back
        under their names, and so does the primary key. Foreign keys, into the table and
        out of it, are dropped and added back as their own ops, so the database checks
        them against the copied rows. What the table has beyond Tessera's making (its
        extras) is carried over, and the new table's statistics gathered.
        """
        incoming = _keys_into(new_table)
        extras = self._extras_to_carry(old_obj, obj, old_table, new_table, changes)
        self.reclaims.extend(
            DropForeignKey(self.schema, key.table.name, str(key.name)) for key in incoming
        )
        self.reclaims.append(
            RebuildTable(
                new_table=new_table,
                old_table_name=obj.table_name,
                values=self._copied_values(new_table, changes),
                has_inline_foreign_keys=False,
                reason=f"reclaim the {slots.dropped} column slots its dropped columns hold",
                primary_key_name=None if extras is None else extras.primary_key_name,
            )
        )
        outgoing = sorted(new_table.foreign_key_constraints, key=_constraint_key)
        self.reclaims.extend(self._add_foreign_key(key) for key in [*outgoing, *incoming])
        if extras is not None and not extras.is_empty:
            self.reclaims.append(RestoreTableExtras(self.schema, obj.table_name, extras))
        self.reclaims.append(AnalyzeTable(self.schema, obj.table_name))
        self.touches.append(
            RowsTouched(obj.api_name, None, "table rebuilt to reclaim column slots", old_table)
        )
        self.warnings.append(
            PlanWarning(
                "slow-change",
                obj.api_name,
                f"the table of {obj.api_name} is rebuilt: every row is copied and the "
                "indexes and keys are built again, while the tenant's writes wait for the "
                "change",
            )
        )

    def _extras_to_carry(
        self,
        old_obj: ObjectState,
        obj: ObjectState,
        old_table: Table,
        new_table: Table,
        changes: list[_FieldChange],
    ) -> TableExtras | None:
        """The extras the rebuild of `obj`'s table carries over; what stops it is noted.

        None when the caller has not read them yet (`SchemaPlan.unread_extras`).
        """
        extras = self.table_extras.get(old_obj.table_name)
        if extras is None:
            self.unread_extras.append(old_obj.table_name)
            return None
        # The indexes and keys of fields, before the change and after it, are Tessera's.
        tables = (old_table, new_table)
        own = {str(index.name) for table in tables for index in table.indexes}
        own |= {str(key.name) for table in tables for key in table.foreign_key_constraints}
        own |= {str(key.name) for table in tables for key in _keys_into(table)}
        # So are its search indexes, which the plan drops before the rebuild and builds after.
        own |= {
            name
            for state, searched in ((self.old, old_obj), (self.new, obj))
            if (index := search_index(searched, schema=state.schema_name)) is not None
            for name in database_names(index, dialect=self.dialect)
        }
        extras = extras.without(own)
        blockers = list(extras.blockers)
        blockers.extend(
            f"foreign key {key.name} of {key.table} points at it"
            for key in extras.foreign_keys_in
            if key.name not in own
        )
        # Extras name the table and its columns as they are before the change.
        is_renamed = old_obj.table_name != obj.table_name or any(
            change.old is not None
            and (change.new is None or change.new.column_name != change.old.column_name)
            for change in changes
        )
        if is_renamed and not extras.is_empty:
            blockers.append("the change also renames the table or its columns; make it apart")
        if blockers:
            self.blocked.append((obj.api_name, tuple(blockers)))
        return extras

    def _add_foreign_key(self, key: ForeignKeyConstraint) -> AddForeignKey:
        column = key.elements[0]
        return AddForeignKey(
            self.schema,
            key.table.name,
            str(key.name),
            column.parent.name,
            column.column.table.name,
            # Every lookup's key says its rule (`on_delete_sql`); PostgreSQL's default else.
            key.ondelete or "NO ACTION",
        )

    def _default_literal(self, field_state: FieldState, column: Column[Any]) -> ColumnElement[Any]:
        value = python_value(field_state.definition, _literal_default(field_state))
        if isinstance(column.type, JSON):
            # SQLAlchemy renders no JSON literal (the plan's SQL is rendered with literal
            # binds): write the JSON text, typed as the column where the database has a type.
            text = literal(json.dumps(value, ensure_ascii=False), Text())
            return cast(text, column.type) if self.dialect == "postgresql" else text
        return literal(value, column.type)

    # -- in place (PostgreSQL, and simple SQLite changes) -------------------------------------

    def _alter_in_place(
        self, obj: ObjectState, old_table: Table, new_table: Table, changes: list[_FieldChange]
    ) -> None:
        table_name = obj.table_name
        drops: list[SchemaOp] = []
        conversions: list[SchemaOp] = []
        renames: list[SchemaOp] = []
        columns: list[SchemaOp] = []
        finishing: list[SchemaOp] = []
        for change in changes:
            old, new = change.old, change.new
            old_indexes = _indexes_of(old, old_table)
            new_indexes = _indexes_of(new, new_table)
            drops.extend(
                DropIndex(self.schema, table_name, name)
                for name in sorted(old_indexes.keys() - new_indexes.keys())
            )
            finishing.extend(
                CreateIndex(new_indexes[name])
                for name in sorted(new_indexes.keys() - old_indexes.keys())
            )
            had_fk = old is not None and is_foreign_key(old)
            has_fk = new is not None and is_foreign_key(new)
            fk_changed = had_fk and has_fk and on_delete_sql(old) != on_delete_sql(new)  # type: ignore[arg-type]
            if had_fk and (not has_fk or fk_changed):
                drops.append(DropForeignKey(self.schema, table_name, foreign_key_name(old.id)))  # type: ignore[union-attr]
            if new is None:
                assert old is not None
                columns.append(DropColumn(self.schema, table_name, old.column_name))
                continue
            column = new_table.c[new.column_name]
            if old is None:
                columns.append(AddColumn(self.schema, table_name, _detached(column)))
                if is_not_null(new):
                    finishing.insert(
                        0, SetNullable(self.schema, table_name, new.column_name, nullable=False)
                    )
                    if _literal_default(new) is not None:
                        finishing.insert(
                            0,
                            FillColumn(
                                self.schema,
                                new_table,
                                new.column_name,
                                self._default_literal(new, column),
                            ),
                        )
            else:
                if old.column_name != new.column_name:
                    renames.append(
                        RenameColumn(self.schema, table_name, old.column_name, new.column_name)
                    )
                if change.value is not None:
                    using = change.value
                    if is_not_null(new) and _literal_default(new) is not None:
                        # As in `_rebuild`: forced values of a required field take the default.
                        using = func.coalesce(using, self._default_literal(new, column))
                    # The USING expression reads the column by its old name (as the data
                    # checks do), so values convert before the column is renamed.
                    conversions.append(
                        AlterColumnType(
                            self.schema, table_name, old.column_name, column.type, using
                        )
                    )
                if is_not_null(new) != is_not_null(old):
                    if is_not_null(new) and _literal_default(new) is not None:
                        finishing.insert(
                            0,
                            FillColumn(
                                self.schema,
                                new_table,
                                new.column_name,
                                self._default_literal(new, column),
                            ),
                        )
                    finishing.insert(
                        len([op for op in finishing if isinstance(op, FillColumn)]),
                        SetNullable(
                            self.schema, table_name, new.column_name, nullable=not is_not_null(new)
                        ),
                    )
            if has_fk and (not had_fk or fk_changed):
                target = self.new.find_object(new.definition.target or "")
                assert target is not None
                finishing.append(
                    AddForeignKey(
                        self.schema,
                        table_name,
                        foreign_key_name(new.id),
                        new.column_name,
                        target.table_name,
                        on_delete_sql(new),
                    )
                )
        self.ops.extend([*drops, *conversions, *renames, *columns, *finishing])


def _index_key(index: Any) -> str:
    return str(index.name)


def _constraint_key(constraint: ForeignKeyConstraint) -> str:
    return str(constraint.name)


def _keys_into(table: Table) -> list[ForeignKeyConstraint]:
    """The foreign keys of the other tables of `table`'s state that point at it."""
    return sorted(
        (
            key
            for other in table.metadata.tables.values()
            if other is not table
            for key in other.foreign_key_constraints
            if key.referred_table is table
        ),
        key=lambda key: (key.table.name, _constraint_key(key)),
    )


def _indexes_of(field_state: FieldState | None, table: Table) -> dict[str, Index]:
    name = field_index_name(field_state) if field_state is not None else None
    # Every index of a field table is named (`field_indexes`), so the None check only narrows.
    return {
        index.name: index
        for index in table.indexes
        if index.name is not None and index.name == name
    }


def _detached(column: Column[Any]) -> Column[Any]:
    """A nullable copy of a column with no foreign key (constraints come as their own ops)."""
    return Column(column.name, column.type, nullable=True)


def _quote(name: str, dialect: str) -> str:
    return quote_identifier(name, dialect)


__all__ = ["ChangeClass", "PlanWarning", "SchemaPlan", "plan_schema_change", "render_type"]


def _literal_default(field: FieldState) -> Any:
    """The field's default when it is a literal; an expression default fills no column."""
    definition = field.definition
    return None if default_expression(definition) is not None else definition.default
