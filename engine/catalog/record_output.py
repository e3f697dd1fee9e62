"""Render stored rows as API records: system keys beside the field api names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from engine.catalog.compile import CompiledObject
from engine.catalog.renderers import Renderer
from engine.catalog.system_columns import SYSTEM_COLUMNS_BY_NAME, SYSTEM_KEYS

#: Each system key with the renderer of its stored values (a blank stays None), in order.
_SYSTEM_RENDERERS: tuple[tuple[str, Renderer | None], ...] = tuple(
    (name, SYSTEM_COLUMNS_BY_NAME[name].render) for name in SYSTEM_KEYS
)

#: Turns one positional row into a record (see `row_renderer`).
RowRenderer = Callable[[Sequence[Any]], dict[str, Any]]


def render_record(
    obj: CompiledObject,
    row: Mapping[str, Any] | RowMapping,
    *,
    fields: Iterable[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return a row as a flat JSON record.

    The row is keyed by column name, or by `labels[column]` where a query renamed them.
    """

    def value(column: str) -> Any:
        return row[labels[column]] if labels is not None else row[column]

    record: dict[str, Any] = {}
    for key, render in _SYSTEM_RENDERERS:
        stored = value(key)
        record[key] = stored if render is None or stored is None else render(stored)
    compiled_fields = obj.fields
    for name in fields if fields is not None else compiled_fields:
        compiled = compiled_fields[name]
        stored = value(compiled.state.column_name)
        record[name] = (
            stored if compiled.render is None or stored is None else compiled.render(stored)
        )
    return record


def row_renderer(
    obj: CompiledObject, positions: Mapping[str, int], *, fields: Iterable[str] | None = None
) -> RowRenderer:
    """Return the function that renders a positional row as a flat JSON record.

    `positions` gives the index in the row of each column, by column name. The record has
    the keys `render_record` gives, in the same order, with the same values. Lists render
    every row of a page with it: where each key's value sits and how it renders is worked
    out here, once, so a row costs one call and the renderers' own work.
    """
    compiled_fields = obj.fields
    cells = tuple((key, positions[key], render) for key, render in _SYSTEM_RENDERERS) + tuple(
        (name, positions[compiled.state.column_name], compiled.render)
        for name in (fields if fields is not None else compiled_fields)
        for compiled in (compiled_fields[name],)
    )

    def render_row(row: Sequence[Any]) -> dict[str, Any]:
        return {
            key: stored if (stored := row[index]) is None or render is None else render(stored)
            for key, index, render in cells
        }

    return render_row
