"""Compile a tenant's metadata, once per revision, into what requests use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Insert, MetaData, Select, Table, bindparam, insert, select

from engine.catalog.computed_values import computed_value_converter
from engine.catalog.display_names import name_field
from engine.catalog.literals import python_value
from engine.catalog.renderers import Renderer, value_renderer
from engine.catalog.rules import ObjectRules, compile_rules
from engine.catalog.statement_cache import StatementCache
from engine.catalog.tables import build_tables
from engine.catalog.values import Coercer, value_coercer
from engine.expressions import ExpressionCompiler
from metadata.models import (
    COMPUTED_TYPES,
    FieldState,
    FieldType,
    ObjectState,
    RollupFunction,
    TenantMetadata,
    default_expression,
)


@dataclass(frozen=True)
class CompiledField:
    """A live field, its column, and how its stored values render as JSON."""

    state: FieldState
    column: Column[object]
    render: Renderer | None
    coerce: Coercer


@dataclass(frozen=True)
class InputShape:
    """What writes of an object need, worked out once per revision.

    Attributes:
        defaults: (field, Python value) of the literal defaults applied on create.
        required: the writable fields that must have a value (`required_fields.py` checks).
        expression_defaults: the fields whose default is an expression, filled on create
            after coercion (stage 3).
        columns: each live field's column name, by api name.
    """

    defaults: tuple[tuple[str, Any], ...]
    required: tuple[str, ...]
    expression_defaults: frozenset[str]
    columns: Mapping[str, str]


@dataclass(frozen=True)
class RecordStatements:
    """The statements every single-record request runs, built once per revision."""

    insert_returning: Insert
    select_by_id: Select[Any]


def _record_statements(table: Table) -> RecordStatements:
    return RecordStatements(
        insert_returning=insert(table).returning(*table.c),
        select_by_id=select(table).where(table.c.id == bindparam("record_id")),
    )


@dataclass(frozen=True)
class CompiledObject:
    """A live object: its table, live fields by api name, input shape, statements and rules.

    Attributes:
        file_fields: every file field of the object, deleted ones too: their columns
            still name blobs, which go when the record goes.
        name_field: the api name of the field that names its records (`display_names.py`).
        tracked_fields: the live fields with `track_history`, whose changes field history
            keeps (empty: saves of the object cost nothing more).
    """

    state: ObjectState
    table: Table
    fields: Mapping[str, CompiledField]
    input: InputShape
    statements: RecordStatements
    rules: ObjectRules
    file_fields: tuple[FieldState, ...] = ()
    name_field: str | None = None
    tracked_fields: frozenset[str] = frozenset()


def _input_shape(obj: ObjectState) -> InputShape:
    writable = [f for f in obj.live_fields if f.definition.type not in COMPUTED_TYPES]
    # A new parent has no children: its counts and sums start at zero, not blank.
    zeros = [
        (f.api_name, computed_value_converter(f.definition)(0))
        for f in obj.live_fields
        if f.definition.rollup is not None
        and f.definition.type is FieldType.ROLLUP_SUMMARY
        and f.definition.rollup.function in (RollupFunction.COUNT, RollupFunction.SUM)
    ]
    return InputShape(
        defaults=tuple(
            (f.api_name, python_value(f.definition, f.definition.default))
            for f in writable
            if f.definition.default is not None and default_expression(f.definition) is None
        )
        + tuple(zeros),
        required=tuple(f.api_name for f in writable if f.definition.required),
        expression_defaults=frozenset(
            f.api_name for f in writable if default_expression(f.definition) is not None
        ),
        columns=MappingProxyType({f.api_name: f.column_name for f in obj.live_fields}),
    )


@dataclass(frozen=True)
class Catalog:
    """A tenant's metadata at one revision, compiled: tables of every object, live ones by name."""

    metadata_state: TenantMetadata
    sql_metadata: MetaData
    tables_by_id: Mapping[UUID, Table]
    objects: Mapping[str, CompiledObject]
    #: Statements built on first use (roll-up folds, lookup-path reads), kept with this revision.
    statements: StatementCache = field(default_factory=StatementCache, compare=False, repr=False)
    #: Each user's record-sharing predicates, apart so that many users never crowd out the
    #: statements above.
    sharing_predicates: StatementCache = field(
        default_factory=lambda: StatementCache(max_statements=4096), compare=False, repr=False
    )

    @property
    def revision(self) -> int:
        """The revision this catalog was compiled from."""
        return self.metadata_state.revision

    @property
    def has_files(self) -> bool:
        """Whether any live object has a file field (live or deleted)."""
        return any(obj.file_fields for obj in self.objects.values())


def compile_catalog(state: TenantMetadata, compiler: ExpressionCompiler) -> Catalog:
    """Return the catalog of `state`, its expressions compiled by `compiler` (pure: no I/O)."""
    sql_metadata, tables = build_tables(state)
    rules = compile_rules(state, compiler)
    compiled: dict[str, CompiledObject] = {}
    for obj in state.live_objects:
        table = tables[obj.id]
        compiled[obj.api_name] = CompiledObject(
            state=obj,
            table=table,
            fields=MappingProxyType(
                {
                    live.api_name: CompiledField(
                        state=live,
                        column=table.c[live.column_name],
                        render=value_renderer(live.definition),
                        coerce=value_coercer(live.definition),
                    )
                    for live in obj.live_fields
                }
            ),
            input=_input_shape(obj),
            statements=_record_statements(table),
            rules=rules[obj.api_name],
            file_fields=tuple(f for f in obj.fields if f.definition.type is FieldType.FILE),
            name_field=named.api_name if (named := name_field(obj)) is not None else None,
            tracked_fields=frozenset(
                live.api_name for live in obj.live_fields if live.definition.track_history
            ),
        )
    return Catalog(
        metadata_state=state,
        sql_metadata=sql_metadata,
        tables_by_id=MappingProxyType(tables),
        objects=MappingProxyType(compiled),
    )
