"""What a read returns: the chosen fields and the expanded lookups, for lists and single records.

`fields=` and `expand=` mean the same and fail the same way on a list and on one record:
both reads build their columns and renderers here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import SYSTEM_COLUMNS, Catalog, CompiledObject, PicklistLabels
from engine.catalog.record_output import RowRenderer, row_renderer
from engine.query.errors import invalid
from engine.query.paths import JoinPlan
from engine.query.scope import QueryScope
from engine.suggestions import did_you_mean
from metadata.models import REFERENCE_TYPES

#: Columns one read may select (fields, sort keys, expanded records together): PostgreSQL
#: takes at most 1,664 in a result, SQLite 2,000.
MAX_RESULT_COLUMNS = 1664


@dataclass(frozen=True)
class Expansion:
    """A lookup embedded in a read: its name, where its record's id is, how it renders."""

    name: str
    id_index: int
    render: RowRenderer
    target: CompiledObject


@dataclass
class Projection:
    """The columns a read selects, by position, and how a row becomes a record.

    Attributes:
        columns: the selected columns; callers may append their own (sort keys) after them.
        positions: the index of each of the record's own columns, by column name.
        fields: the field api names the record shows (system keys always come).
        expansions: the embedded lookups, in the order `expand=` names them.
    """

    columns: list[Any]
    positions: dict[str, int]
    fields: list[str]
    expansions: list[Expansion] = field(default_factory=list)

    def check_size(self) -> None:
        """Refuse a read of more columns than a result holds.

        Raises:
            InvalidQuery: too many columns (`too-many-columns`).
        """
        if len(self.columns) > MAX_RESULT_COLUMNS:
            raise invalid(
                "/expand" if self.expansions else "/fields",
                "too-many-columns",
                f"the read would select {len(self.columns)} columns; at most "
                f"{MAX_RESULT_COLUMNS} fit in one result: choose fewer fields with fields=, "
                "or expand fewer lookups",
            )

    def render(
        self, obj: CompiledObject, rows: Sequence[Sequence[Any]], *, labels: bool = False
    ) -> list[dict[str, Any]]:
        """Return the records of `rows`, each expanded lookup in place of its id.

        With `labels`, each record (and each expanded one) carries its picklist labels.
        """
        render = row_renderer(obj, self.positions, fields=self.fields)
        records = [render(row) for row in rows]
        for expansion in self.expansions:
            for record, row in zip(records, rows, strict=True):
                is_blank = row[expansion.id_index] is None
                record[expansion.name] = None if is_blank else expansion.render(row)
        if labels:
            self._add_labels(obj, records)
        return records

    def _add_labels(self, obj: CompiledObject, records: list[dict[str, Any]]) -> None:
        own = PicklistLabels.of(obj)
        expanded = [(e.name, PicklistLabels.of(e.target)) for e in self.expansions]
        for record in records:
            own.add_to(record, self.fields)
            for name, target_labels in expanded:
                if record[name] is not None:
                    target_labels.add_to(record[name])


def project(
    plan: JoinPlan, obj: CompiledObject, *, fields: list[str] | None, expand: list[str] | None
) -> Projection:
    """Return the projection of `fields=` and `expand=`, adding the joins expansions need.

    Raises:
        InvalidQuery: an unknown or repeated field, or an expand that is not a lookup.
    """
    chosen = _selected_fields(obj, fields)
    _refuse_repeats(expand, pointer="/expand")
    table = obj.table
    columns: list[Any] = [table.c[name] for name in SYSTEM_COLUMNS]
    columns += [table.c[obj.fields[name].state.column_name] for name in chosen]
    positions = {column.name: index for index, column in enumerate(columns)}
    projection = Projection(columns=columns, positions=positions, fields=chosen)
    for name in expand or ():
        target, labels = _expand(plan, obj, name)
        alias = plan.joins[(name,)][1]
        start = len(columns)
        columns += [alias.c[column].label(label) for column, label in labels.items()]
        expanded = {column: start + i for i, column in enumerate(labels)}
        projection.expansions.append(
            Expansion(name, expanded["id"], row_renderer(target, expanded), target)
        )
    return projection


def read_one(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    key: UUID,
    fields: list[str] | None,
    expand: list[str] | None,
    scope: QueryScope,
    labels: bool = False,
) -> dict[str, Any] | None:
    """Return one record with `fields=` and `expand=` applied, or None if the scope hides it.

    With `labels`, it (and each expanded record) carries its picklist labels.

    Raises:
        InvalidQuery: as for a list's `fields` and `expand`.
    """
    plan = JoinPlan(
        catalog=catalog, base=obj, scope=scope, root=obj.table, dialect=connection.dialect.name
    )
    projection = project(plan, obj, fields=fields, expand=expand)
    projection.check_size()
    conditions = [obj.table.c.id == key]
    visible = scope.predicate(obj, obj.table)
    if visible is not None:
        conditions.append(visible)
    statement = select(*projection.columns).select_from(plan.apply(obj.table)).where(*conditions)
    row = connection.execute(statement).first()
    return None if row is None else projection.render(obj, [row], labels=labels)[0]


def _refuse_repeats(names: list[str] | None, *, pointer: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names or ()):
        if name in seen:
            raise invalid(
                f"{pointer}/{index}", "repeated-name", f"{name!r} is named more than once"
            )
        seen.add(name)


def _selected_fields(obj: CompiledObject, requested: list[str] | None) -> list[str]:
    if requested is None:
        return list(obj.fields)
    _refuse_repeats(requested, pointer="/fields")
    unknown = [name for name in requested if name not in obj.fields and name not in SYSTEM_COLUMNS]
    if unknown:
        known = [*obj.fields, *SYSTEM_COLUMNS]
        hints = "".join(did_you_mean(name, known) for name in unknown[:1])
        raise invalid(
            "/fields",
            "unknown-field",
            f"{obj.state.api_name!r} has no field(s) {', '.join(unknown)}{hints}",
        )
    return [name for name in requested if name in obj.fields]


def _expand(
    plan: JoinPlan, obj: CompiledObject, name: str
) -> tuple[CompiledObject, dict[str, str]]:
    """The target of lookup `name` and the labels of its columns in the read."""
    compiled = obj.fields.get(name)
    if compiled is None or compiled.state.definition.type not in REFERENCE_TYPES:
        lookups = [
            field_name
            for field_name, other in obj.fields.items()
            if other.state.definition.type in REFERENCE_TYPES
        ]
        raise invalid(
            "/expand",
            "not-a-lookup",
            f"{name!r} is not a lookup field of {obj.state.api_name!r}"
            f"{did_you_mean(name, lookups)}",
        )
    plan.resolve(f"{name}.id", pointer="/expand")
    target = plan.joins[(name,)][0]
    labels = {column: f"_e_{name}__{column}" for column in SYSTEM_COLUMNS}
    for target_field in target.fields.values():
        column = target_field.state.column_name
        labels[column] = f"_e_{name}__{column}"
    return target, labels
