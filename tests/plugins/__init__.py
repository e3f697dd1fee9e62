"""Tests of the built-in function library, and helpers they share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.expressions.evaluation_context import EvaluationContext

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


def make_context(**overrides: Any) -> EvaluationContext:
    """The context the unit tests evaluate in: 2026-03-15 10:30 UTC, a user of tenant demo."""
    values: dict[str, Any] = {
        "now": NOW,
        "user": "01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d",
        "tenant": "demo",
    }
    values.update(overrides)
    return EvaluationContext(**values)


_OPERATORS = {
    "eq": lambda value, operand: value == operand,
    "gt": lambda value, operand: value is not None and value > operand,
    "gte": lambda value, operand: value is not None and value >= operand,
    "lt": lambda value, operand: value is not None and value < operand,
    "lte": lambda value, operand: value is not None and value <= operand,
    "in": lambda value, operand: value in operand,
}


class MemoryRecords:
    """A RecordSource over lists of dicts, oldest first (the SQL one is tested elsewhere)."""

    def __init__(self, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.records = records
        self.calls: list[tuple[str, str]] = []

    def _matching(self, object_name: str, filter: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        if object_name not in self.records:
            raise ValueError(f"there is no object {object_name!r}")
        return [r for r in self.records[object_name] if _matches(r, filter)]

    def count(self, object_name: str, filter: Mapping[str, Any]) -> int:
        self.calls.append(("count", object_name))
        return len(self._matching(object_name, filter))

    def total(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        self.calls.append(("total", object_name))
        values = [r.get(field) for r in self._matching(object_name, filter)]
        present = [v for v in values if v is not None]
        if not present:
            return None
        # Like SQLite, hand floats back as floats when that is what is stored.
        if all(isinstance(v, float) for v in present):
            return sum(present)
        return sum(present, Decimal(0))

    def first_value(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        self.calls.append(("first_value", object_name))
        matching = self._matching(object_name, filter)
        return matching[0].get(field) if matching else None


def _matches(record: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for name, spec in filter.items():
        conditions = spec if isinstance(spec, Mapping) else {"eq": spec}
        for operator, operand in conditions.items():
            if not _OPERATORS[operator](record.get(name), operand):
                return False
    return True
