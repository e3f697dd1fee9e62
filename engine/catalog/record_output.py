"""Render stored rows as API records: system keys beside the field api names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import RowMapping

from engine.catalog.compile import CompiledObject

SYSTEM_KEYS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner_id")


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

    record: dict[str, Any] = {
        "id": str(value("id")),
        "version": value("version"),
        "created_at": value("created_at").isoformat(),
        "updated_at": value("updated_at").isoformat(),
        "created_by": _id(value("created_by")),
        "updated_by": _id(value("updated_by")),
        "owner_id": _id(value("owner_id")),
    }
    compiled_fields = obj.fields
    for name in fields if fields is not None else compiled_fields:
        compiled = compiled_fields[name]
        stored = value(compiled.state.column_name)
        record[name] = (
            stored if compiled.render is None or stored is None else compiled.render(stored)
        )
    return record


def _id(value: Any) -> str | None:
    return None if value is None else str(value)
