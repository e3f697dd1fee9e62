"""Labels of picklist values: shown beside records, written by exports, read by imports.

A picklist value's label is the label stored with it (the value itself when it has none).
Records read with labels carry them under `_labels`, a key no field can have (api names
start with a letter), so labels never collide with field values:
`{"stage": "won", "_labels": {"stage": "Won"}}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.catalog.compile import CompiledObject
from metadata.models import FieldType

#: The key of a record's labels: field api names start with a letter, system keys too.
LABELS_KEY = "_labels"
_PICKLISTS = frozenset({FieldType.PICKLIST, FieldType.MULTI_PICKLIST})


@dataclass(frozen=True)
class PicklistLabels:
    """The labels of an object's picklist values, and the values of its labels.

    Attributes:
        labels: label by value, for each picklist and multi-picklist field.
        values: value by label, for each such field; a label several values share is left
            out (it names no one value).
        multi: the multi-picklist fields among them.
    """

    labels: Mapping[str, Mapping[str, str]]
    values: Mapping[str, Mapping[str, str]]
    multi: frozenset[str]

    @classmethod
    def of(cls, obj: CompiledObject) -> PicklistLabels:
        """The labels of `obj`'s picklists (inactive values included: old records hold them)."""
        labels: dict[str, dict[str, str]] = {}
        values: dict[str, dict[str, str]] = {}
        multi = set()
        for name, compiled in obj.fields.items():
            definition = compiled.state.definition
            if definition.type not in _PICKLISTS:
                continue
            if definition.type is FieldType.MULTI_PICKLIST:
                multi.add(name)
            by_value = {
                entry.value: entry.label or entry.value for entry in definition.values or ()
            }
            labels[name] = by_value
            counts: dict[str, int] = {}
            for label in by_value.values():
                counts[label] = counts.get(label, 0) + 1
            values[name] = {label: value for value, label in by_value.items() if counts[label] == 1}
        return cls(labels=labels, values=values, multi=frozenset(multi))

    def label(self, field: str, value: Any) -> Any:
        """The label of a stored value (a list of labels for a multi-picklist).

        A value that is not in the field's list (anymore) is its own label.
        """
        by_value = self.labels.get(field)
        if by_value is None or value is None:
            return value
        if isinstance(value, list):
            return [by_value.get(item, item) for item in value]
        return by_value.get(value, value)

    def add_to(self, record: dict[str, Any], fields: Iterable[str] | None = None) -> None:
        """Add `_labels` to a rendered record: one entry per picklist field it holds."""
        record[LABELS_KEY] = {
            name: self.label(name, record[name])
            for name in (self.labels if fields is None else fields)
            if name in self.labels and name in record
        }

    def value(self, field: str, given: Any, *, from_text: bool) -> Any:
        """The value `given` means: itself when it is a value, else the value of its label.

        Labels are matched exactly (case-sensitive) and only when no value matches; a
        multi-picklist cell (`A;B`) is matched item by item.
        """
        by_label = self.values.get(field)
        if not by_label:
            return given
        is_value = self.labels[field]
        if field in self.multi:
            items = given
            if from_text and isinstance(given, str):
                items = [item.strip() for item in given.split(";") if item.strip()]
            if not isinstance(items, list):
                return given
            return [
                by_label.get(item, item) if isinstance(item, str) and item not in is_value else item
                for item in items
            ]
        if isinstance(given, str) and given not in is_value:
            return by_label.get(given, given)
        return given
