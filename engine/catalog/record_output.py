"""Render stored rows as API records: system keys beside the field api names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from engine.catalog.compile import CompiledField, CompiledObject
from engine.catalog.renderers import Renderer
from engine.catalog.system_columns import SYSTEM_COLUMNS_BY_NAME, SYSTEM_KEYS

#: Each system key with the renderer of its stored values (a blank stays None), in order.
_SYSTEM_RENDERERS: tuple[tuple[str, Renderer | None], ...] = tuple(
    (name, SYSTEM_COLUMNS_BY_NAME[name].render) for name in SYSTEM_KEYS
)

#: Turns one positional row into a record (see `row_renderer`).
RowRenderer = Callable[[Sequence[Any]], dict[str, Any]]
#: The masks of the fields a caller sees masked (personal data), by api name.
Masks = Mapping[str, Callable[[Any], Any]]


def _masked(render: Renderer | None, mask: Callable[[Any], Any]) -> Renderer:
    """A renderer of a field shown masked: the value as rendered, then masked."""
    if render is None:
        return mask
    return lambda stored: mask(render(stored))


def _renderer(compiled: CompiledField, name: str, masks: Masks | None) -> Renderer | None:
    mask = masks.get(name) if masks else None
    return compiled.render if mask is None else _masked(compiled.render, mask)


def render_record(
    obj: CompiledObject,
    row: Mapping[str, Any] | RowMapping,
    *,
    fields: Iterable[str] | None = None,
    labels: Mapping[str, str] | None = None,
    masks: Masks | None = None,
) -> dict[str, Any]:
    """Return a row as a flat JSON record: `fields` (default: all), those in `masks` masked.

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
        render = _renderer(compiled, name, masks)
        record[name] = stored if render is None or stored is None else render(stored)
    return record


def row_renderer(
    obj: CompiledObject,
    positions: Mapping[str, int],
    *,
    fields: Iterable[str] | None = None,
    masks: Masks | None = None,
) -> RowRenderer:
    """Return the function that renders a positional row as a flat JSON record.

    `positions` gives the index in the row of each column, by column name. The record has
    the keys `render_record` gives, in the same order, with the same values. Lists render
    every row of a page with it: where each key's value sits and how it renders is worked
    out here, once, so a row costs one call and the renderers' own work. Fields in
    `masks` render masked.
    """
    compiled_fields = obj.fields
    cells = tuple((key, positions[key], render) for key, render in _SYSTEM_RENDERERS) + tuple(
        (name, positions[compiled.state.column_name], _renderer(compiled, name, masks))
        for name in (fields if fields is not None else compiled_fields)
        for compiled in (compiled_fields[name],)
    )

    def render_row(row: Sequence[Any]) -> dict[str, Any]:
        return {
            key: stored if (stored := row[index]) is None or render is None else render(stored)
            for key, index, render in cells
        }

    return render_row
