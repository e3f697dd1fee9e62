"""The field types of the first set and the options each of them accepts."""

from __future__ import annotations

from enum import StrEnum


class FieldType(StrEnum):
    """Every field type an implementer can declare."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CURRENCY = "currency"
    PERCENT = "percent"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    PICKLIST = "picklist"
    MULTI_PICKLIST = "multi_picklist"
    LOOKUP = "lookup"
    MASTER_DETAIL = "master_detail"
    AUTO_NUMBER = "auto_number"
    FORMULA = "formula"
    ROLLUP_SUMMARY = "rollup_summary"
    JSON = "json"
    FILE = "file"


class OnDelete(StrEnum):
    """What happens to a referencing record when its lookup target is deleted."""

    RESTRICT = "restrict"
    SET_NULL = "set_null"
    CASCADE = "cascade"


class RollupFunction(StrEnum):
    """Aggregate functions of a roll-up summary."""

    COUNT = "count"
    SUM = "sum"
    MIN = "min"
    MAX = "max"


#: Types whose values are strings with a length limit.
BOUNDED_TEXT_TYPES = frozenset(
    {FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL, FieldType.PICKLIST}
)
TEXT_TYPES = BOUNDED_TEXT_TYPES | {FieldType.LONG_TEXT, FieldType.AUTO_NUMBER}
DECIMAL_TYPES = frozenset({FieldType.DECIMAL, FieldType.CURRENCY, FieldType.PERCENT})
NUMBER_TYPES = DECIMAL_TYPES | {FieldType.INTEGER}
REFERENCE_TYPES = frozenset({FieldType.LOOKUP, FieldType.MASTER_DETAIL})
#: Types whose value the engine computes; the API never accepts them as input.
COMPUTED_TYPES = frozenset({FieldType.FORMULA, FieldType.ROLLUP_SUMMARY, FieldType.AUTO_NUMBER})
#: The types a formula may return.
FORMULA_RETURN_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.CURRENCY,
        FieldType.PERCENT,
        FieldType.BOOLEAN,
        FieldType.DATE,
        FieldType.DATETIME,
    }
)

#: Types whose values global search can index: text a person types or reads as words.
#: Picklists store codes (their labels are what people read), so they are left out.
SEARCHABLE_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.AUTO_NUMBER,
    }
)

#: Types that may hold personal data (`pii: true`): what a person types about a person.
#: Their values are masked for callers without `view_pii` (engine/access/masking.py).
PII_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.DATE,
        FieldType.DATETIME,
    }
)

_COMMON = frozenset({"api_name", "label", "type", "help_text"})
_INPUT = frozenset({"required", "default"})
_INDEXABLE = frozenset({"unique", "indexed"})
_RANGE = frozenset({"min", "max"})
_DECIMAL = frozenset({"precision", "scale"})

_TYPE_OPTIONS: dict[FieldType, frozenset[str] | set[str]] = {
    FieldType.TEXT: _INPUT | _INDEXABLE | {"max_length"},
    FieldType.LONG_TEXT: _INPUT | {"max_length"},
    FieldType.INTEGER: _INPUT | _INDEXABLE | _RANGE,
    FieldType.DECIMAL: _INPUT | _INDEXABLE | _RANGE | _DECIMAL,
    FieldType.CURRENCY: _INPUT | _INDEXABLE | _RANGE | _DECIMAL,
    FieldType.PERCENT: _INPUT | _INDEXABLE | _RANGE | _DECIMAL,
    FieldType.BOOLEAN: _INPUT | {"indexed"},
    FieldType.DATE: _INPUT | _INDEXABLE,
    FieldType.DATETIME: _INPUT | _INDEXABLE,
    FieldType.EMAIL: _INPUT | _INDEXABLE | {"max_length"},
    FieldType.PHONE: _INPUT | _INDEXABLE | {"max_length"},
    FieldType.URL: _INPUT | _INDEXABLE | {"max_length"},
    FieldType.PICKLIST: _INPUT | {"indexed", "values", "max_length"},
    FieldType.MULTI_PICKLIST: _INPUT | {"values"},
    FieldType.LOOKUP: {"required", "unique", "indexed", "target", "on_delete"},
    FieldType.MASTER_DETAIL: {"required", "indexed", "target", "on_delete"},
    FieldType.AUTO_NUMBER: {"indexed", "format", "unique", "max_length"},
    FieldType.FORMULA: {"expression", "return_type", "precision", "scale", "indexed"},
    FieldType.ROLLUP_SUMMARY: {"rollup", "return_type", "precision", "scale", "indexed"},
    FieldType.JSON: {"required", "default"},
    # A file arrives through its own endpoint after the record exists: it has no default,
    # and is never required, unique or indexed (engine/metadata_changes/field_checks.py says why).
    FieldType.FILE: {"max_size", "accept"},
}
#: The options each type accepts. Field history tracks stored values a save writes, so
#: computed types (recomputed, never written) cannot be tracked.
ALLOWED_OPTIONS: dict[FieldType, frozenset[str]] = {
    field_type: frozenset(options)
    | _COMMON
    | ({"searchable"} if field_type in SEARCHABLE_TYPES else frozenset())
    | ({"pii"} if field_type in PII_TYPES else frozenset())
    | (frozenset() if field_type in COMPUTED_TYPES else {"track_history"})
    for field_type, options in _TYPE_OPTIONS.items()
}

#: Default length limits of the bounded text types.
DEFAULT_MAX_LENGTH: dict[FieldType, int] = {
    FieldType.TEXT: 255,
    FieldType.EMAIL: 254,
    FieldType.PHONE: 40,
    FieldType.URL: 2048,
    FieldType.PICKLIST: 255,
    FieldType.AUTO_NUMBER: 64,
}

#: Default (precision, scale) of the decimal types.
DEFAULT_DECIMAL: dict[FieldType, tuple[int, int]] = {
    FieldType.DECIMAL: (18, 2),
    FieldType.CURRENCY: (18, 2),
    FieldType.PERCENT: (7, 2),
}

#: The largest file a file field accepts when its `max_size` is not given (10 MiB).
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
#: The largest `max_size` a file field may declare (5 GiB, the largest object one S3 PUT
#: stores); what a server accepts is also capped by its own ceiling (TESSERA_MAX_FILE_BYTES).
MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024
#: How many content types one `accept` list names at most.
MAX_ACCEPT_ENTRIES = 50

#: Exact decimals are stored as 64-bit scaled integers where the database has no decimal type.
MAX_PRECISION = 18

#: What other platforms call Tessera's field types (lower case), for "did you mean" hints.
FIELD_TYPE_SYNONYMS: dict[str, FieldType] = {
    **dict.fromkeys(("string", "str", "varchar", "char", "data", "textfield"), FieldType.TEXT),
    **dict.fromkeys(("textarea", "longtext", "small_text", "note", "memo"), FieldType.LONG_TEXT),
    **dict.fromkeys(("int", "number", "bigint", "whole_number"), FieldType.INTEGER),
    **dict.fromkeys(("float", "double", "numeric", "real", "number_decimal"), FieldType.DECIMAL),
    **dict.fromkeys(("money", "amount"), FieldType.CURRENCY),
    **dict.fromkeys(("bool", "checkbox", "check", "flag", "yes_no"), FieldType.BOOLEAN),
    **dict.fromkeys(("timestamp", "date_time", "datetimetz"), FieldType.DATETIME),
    **dict.fromkeys(("select", "enum", "dropdown", "option", "choice"), FieldType.PICKLIST),
    **dict.fromkeys(
        ("multiselect", "multi_select", "multipicklist", "tags", "table_multiselect"),
        FieldType.MULTI_PICKLIST,
    ),
    **dict.fromkeys(
        ("reference", "relation", "link", "foreign_key", "fk", "relationship", "many_to_one"),
        FieldType.LOOKUP,
    ),
    **dict.fromkeys(("masterdetail", "parent", "child_of"), FieldType.MASTER_DETAIL),
    **dict.fromkeys(("autonumber", "sequence", "serial", "naming_series"), FieldType.AUTO_NUMBER),
    **dict.fromkeys(("calculated", "computed"), FieldType.FORMULA),
    **dict.fromkeys(("rollup", "summary", "roll_up_summary"), FieldType.ROLLUP_SUMMARY),
    **dict.fromkeys(("jsonb", "object", "raw"), FieldType.JSON),
    **dict.fromkeys(("mail", "e_mail"), FieldType.EMAIL),
    **dict.fromkeys(("tel", "telephone", "mobile"), FieldType.PHONE),
    **dict.fromkeys(("link_url", "website", "uri"), FieldType.URL),
}
