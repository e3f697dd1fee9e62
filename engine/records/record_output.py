"""Render stored rows as API records: system keys beside the field api names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import RowMapping

from engine.catalog import CompiledObject
from engine.records.values import render_value

SYSTEM_KEYS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner_id")


def render_record(
    obj: CompiledObject,
    row: Mapping[str, Any] | RowMapping,
    *,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    """Return a row (keyed by column name) as a flat JSON record."""
    record: dict[str, Any] = {
        "id": str(row["id"]),
        "version": row["version"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "created_by": _id(row["created_by"]),
        "updated_by": _id(row["updated_by"]),
        "owner_id": _id(row["owner_id"]),
    }
    for name in fields if fields is not None else obj.fields:
        compiled = obj.fields[name]
        record[name] = render_value(compiled.state.definition, row[compiled.state.column_name])
    return record


def _id(value: Any) -> str | None:
    return None if value is None else str(value)
