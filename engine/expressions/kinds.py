"""The kinds of value an expression works with, for save-time type inference."""

from __future__ import annotations

from enum import StrEnum

from metadata.models import FieldType


class Kind(StrEnum):
    """What an expression (or one of its parts) evaluates to, as far as can be told."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"
    ID = "id"
    ANY = "any"


_KIND_OF_TYPE: dict[FieldType, Kind] = {
    FieldType.TEXT: Kind.TEXT,
    FieldType.LONG_TEXT: Kind.TEXT,
    FieldType.EMAIL: Kind.TEXT,
    FieldType.PHONE: Kind.TEXT,
    FieldType.URL: Kind.TEXT,
    FieldType.PICKLIST: Kind.TEXT,
    FieldType.AUTO_NUMBER: Kind.TEXT,
    FieldType.INTEGER: Kind.NUMBER,
    FieldType.DECIMAL: Kind.NUMBER,
    FieldType.CURRENCY: Kind.NUMBER,
    FieldType.PERCENT: Kind.NUMBER,
    FieldType.BOOLEAN: Kind.BOOLEAN,
    FieldType.DATE: Kind.DATE,
    FieldType.DATETIME: Kind.DATETIME,
    FieldType.MULTI_PICKLIST: Kind.LIST,
    FieldType.LOOKUP: Kind.ID,
    FieldType.MASTER_DETAIL: Kind.ID,
    FieldType.JSON: Kind.ANY,
    # Expressions read a file field as its file name (engine/catalog/file_values.py).
    FieldType.FILE: Kind.TEXT,
}


def kind_of_type(field_type: FieldType) -> Kind:
    """Return the kind of value a field of this (storage) type holds."""
    return _KIND_OF_TYPE.get(field_type, Kind.ANY)


def fits(actual: Kind, expected: Kind) -> bool:
    """Whether a value of kind `actual` can be stored where `expected` is declared.

    ANY fits everywhere (the kind could not be inferred); a date fits a date-time column.
    """
    if Kind.ANY in (actual, expected) or actual is expected:
        return True
    return actual is Kind.DATE and expected is Kind.DATETIME
