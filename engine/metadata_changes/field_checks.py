"""Check that a field's options fit its type and its references resolve."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Any

from engine.catalog import SYSTEM_COLUMNS, decimal_shape, python_value, storage_type
from engine.errors import Problem
from engine.files import media_range_problem
from engine.metadata_changes.expression_checks import Functions, check_field_expressions
from engine.metadata_changes.names import check_api_name
from engine.metadata_changes.storable_values import check_storable_values
from engine.query import filter_size_problems
from engine.suggestions import did_you_mean
from metadata.models import (
    ALLOWED_OPTIONS,
    DECIMAL_TYPES,
    DEFAULT_MAX_LENGTH,
    FORMULA_RETURN_TYPES,
    MAX_ACCEPT_ENTRIES,
    MAX_FILE_SIZE,
    MAX_PRECISION,
    NUMBER_TYPES,
    PII_TYPES,
    REFERENCE_TYPES,
    SEARCHABLE_TYPES,
    TEXT_TYPES,
    FieldDef,
    FieldType,
    ObjectState,
    OnDelete,
    RollupFunction,
    TenantMetadata,
    default_expression,
)

NO_FUNCTIONS: Functions = MappingProxyType({})

MAX_TEXT_LENGTH = 10_485_760
_COUNTER = re.compile(r"\{0+\}")
_FORMAT_TOKEN = re.compile(r"\{([^}]*)\}")
_DATE_TOKENS = frozenset({"YYYY", "YY", "MM", "DD"})
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1
#: Digits of the largest auto-number counter (a 64-bit integer).
_COUNTER_DIGITS = len(str(_BIGINT_MAX))
_SEARCHABLE_HINT = (
    "; search indexes "
    + ", ".join(sorted(field_type.value for field_type in SEARCHABLE_TYPES))
    + " fields (filter other fields in lists instead)"
)
_PII_HINT = (
    "; personal data is marked on "
    + ", ".join(sorted(field_type.value for field_type in PII_TYPES))
    + " fields (hide other fields with a permission set's field rights)"
)


def check_field(
    definition: FieldDef,
    *,
    obj: ObjectState,
    state: TenantMetadata,
    pointer: str,
    functions: Functions = NO_FUNCTIONS,
) -> list[Problem]:
    """Return every problem of one field definition, its expressions checked against `functions`."""
    problems = check_api_name(definition.api_name, pointer=f"{pointer}/api_name", is_field=True)
    allowed = ALLOWED_OPTIONS[definition.type]
    for option in sorted(definition.set_options() - allowed):
        reason = f"{option!r} does not apply to {_a(definition.type)} field"
        if option == "searchable":
            reason += _SEARCHABLE_HINT
        if option == "pii":
            reason += _PII_HINT
        if option == "track_history":
            reason += ": its values are computed, not written; track the fields it is computed from"
        if definition.type is FieldType.FILE:
            reason = _FILE_REFUSALS.get(option, reason)
        problems.append(Problem(f"{pointer}/{option}", "option-not-allowed", reason))
    if definition.type in REFERENCE_TYPES and not definition.indexed:
        problems.append(
            Problem(
                f"{pointer}/indexed",
                "invalid-value",
                f"{_a(definition.type)} field is always indexed (joins and delete rules read "
                "by it): leave `indexed` out or set it to true",
            )
        )
    problems += _check_sizes(definition, pointer)
    problems += _check_type_specifics(definition, obj=obj, state=state, pointer=pointer)
    unstorable = check_storable_values(definition, pointer)
    problems += unstorable
    is_literal_default = definition.default is not None and default_expression(definition) is None
    default = f"{pointer}/default"
    is_default_storable = not any(
        p.pointer == default or p.pointer.startswith(f"{default}/") for p in unstorable
    )
    if "default" in allowed and is_literal_default and is_default_storable:
        problems += _check_default(definition, pointer)
    if not problems:
        problems += check_field_expressions(
            definition, obj=obj, state=state, functions=functions, pointer=pointer
        )
    return problems


def _check_sizes(definition: FieldDef, pointer: str) -> list[Problem]:
    problems = []
    if definition.max_length is not None and definition.max_length > MAX_TEXT_LENGTH:
        problems.append(
            Problem(
                f"{pointer}/max_length", "out-of-range", f"max_length is at most {MAX_TEXT_LENGTH}"
            )
        )
    if definition.precision is not None and definition.precision > MAX_PRECISION:
        problems.append(
            Problem(
                f"{pointer}/precision",
                "out-of-range",
                f"precision is at most {MAX_PRECISION} digits",
            )
        )
    if (
        definition.precision is not None
        and definition.scale is not None
        and definition.scale > definition.precision
    ):
        problems.append(
            Problem(f"{pointer}/scale", "out-of-range", "scale cannot exceed precision")
        )
    bounds = {}
    for name in ("min", "max"):
        value = getattr(definition, name)
        if value is None or definition.type not in NUMBER_TYPES:
            continue
        try:
            bounds[name] = _number(definition, value)
        except ValueError as exc:
            problems.append(Problem(f"{pointer}/{name}", "invalid-value", f"{name}: {exc}"))
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problems.append(Problem(f"{pointer}/min", "out-of-range", "min is greater than max"))
    return problems


def _check_type_specifics(
    definition: FieldDef, *, obj: ObjectState, state: TenantMetadata, pointer: str
) -> list[Problem]:
    field_type = definition.type
    if field_type in (FieldType.PICKLIST, FieldType.MULTI_PICKLIST):
        return _check_picklist(definition, pointer)
    if field_type in REFERENCE_TYPES:
        return _check_reference(definition, state=state, pointer=pointer)
    if field_type is FieldType.AUTO_NUMBER:
        return _check_auto_number(definition, pointer)
    if field_type is FieldType.FORMULA:
        return _check_formula(definition, pointer)
    if field_type is FieldType.ROLLUP_SUMMARY:
        return _check_rollup(definition, obj=obj, state=state, pointer=pointer)
    if field_type is FieldType.FILE:
        return _check_file(definition, pointer)
    return []


#: Why a file field refuses the options other fields take.
_FILE_REFUSALS = {
    "required": (
        "a file field cannot be required: its file is uploaded after the record exists "
        "(POST /api/v1/data/{object}/{id}/files/{field}); to insist on a file at some stage, "
        "add a validation rule such as `stage == 'verified' and ISBLANK(licence_scan)`"
    ),
    "default": "a file field has no default: files are uploaded to each record",
    "unique": "a file field cannot be unique (compare files by their sha256 instead)",
    "indexed": "a file field cannot be indexed; filter it with is_null",
}


def _check_file(definition: FieldDef, pointer: str) -> list[Problem]:
    problems = []
    if definition.max_size is not None and definition.max_size > MAX_FILE_SIZE:
        problems.append(
            Problem(
                f"{pointer}/max_size",
                "out-of-range",
                f"max_size is at most {MAX_FILE_SIZE} bytes (5 GiB)",
            )
        )
    accept = definition.accept
    if accept is None:
        return problems
    if not accept:
        problems.append(
            Problem(
                f"{pointer}/accept",
                "invalid-value",
                "an empty accept list takes no file; leave accept out to take any type",
            )
        )
    if len(accept) > MAX_ACCEPT_ENTRIES:
        problems.append(
            Problem(
                f"{pointer}/accept",
                "out-of-range",
                f"accept names at most {MAX_ACCEPT_ENTRIES} content types",
            )
        )
    seen: set[str] = set()
    for index, entry in enumerate(accept):
        where = f"{pointer}/accept/{index}"
        problem = media_range_problem(entry)
        if problem is not None:
            problems.append(Problem(where, "invalid-content-type", problem))
        elif entry in seen:
            problems.append(Problem(where, "duplicate-value", f"{entry!r} is listed twice"))
        seen.add(entry)
    return problems


def _check_picklist(definition: FieldDef, pointer: str) -> list[Problem]:
    values = definition.values or []
    if not values:
        return [
            Problem(f"{pointer}/values", "missing-option", "a picklist needs at least one value")
        ]
    problems = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value.value in seen:
            problems.append(
                Problem(
                    f"{pointer}/values/{index}/value",
                    "duplicate-value",
                    f"{value.value!r} is listed twice",
                )
            )
        seen.add(value.value)
    limit = definition.max_length or 255
    for index, value in enumerate(values):
        if len(value.value) > limit:
            problems.append(
                Problem(
                    f"{pointer}/values/{index}/value",
                    "too-long",
                    f"values are at most {limit} characters",
                )
            )
    return problems


def _check_reference(definition: FieldDef, *, state: TenantMetadata, pointer: str) -> list[Problem]:
    if not definition.target:
        return [
            Problem(
                f"{pointer}/target",
                "missing-option",
                f"{_a(definition.type)} field needs a target object",
            )
        ]
    problems = []
    if state.find_object(definition.target) is None:
        problems.append(
            Problem(
                f"{pointer}/target",
                "unknown-object",
                _unknown_object_message(definition.target, state),
            )
        )
    if (
        definition.type is FieldType.LOOKUP
        and definition.required
        and definition.on_delete is OnDelete.SET_NULL
    ):
        problems.append(
            Problem(
                f"{pointer}/on_delete",
                "conflicting-options",
                "a required lookup cannot be set to null; use restrict or cascade",
            )
        )
    if definition.type is FieldType.MASTER_DETAIL and definition.on_delete not in (
        None,
        OnDelete.CASCADE,
    ):
        problems.append(
            Problem(
                f"{pointer}/on_delete",
                "conflicting-options",
                "master-detail children are always deleted with their parent",
            )
        )
    return problems


def _unknown_object_message(name: str, state: TenantMetadata) -> str:
    names = sorted(obj.api_name for obj in state.live_objects)
    known = ", ".join(names) or "none yet"
    return f"there is no object {name!r}{did_you_mean(name, names)} (objects: {known})"


def _check_auto_number(definition: FieldDef, pointer: str) -> list[Problem]:
    fmt = definition.format
    if not fmt:
        return [
            Problem(
                f"{pointer}/format",
                "missing-option",
                "an auto-number needs a format such as INV-{YYYY}-{0000}",
            )
        ]
    problems = []
    if len(_COUNTER.findall(fmt)) != 1:
        problems.append(
            Problem(
                f"{pointer}/format",
                "invalid-format",
                "the format needs exactly one counter such as {0000}",
            )
        )
    for token in _FORMAT_TOKEN.findall(fmt):
        if not _COUNTER.fullmatch("{" + token + "}") and token not in _DATE_TOKENS:
            problems.append(
                Problem(
                    f"{pointer}/format",
                    "invalid-format",
                    f"unknown token {{{token}}}; use {{0000}}, {{YYYY}}, {{YY}}, {{MM}} or {{DD}}",
                )
            )
    if not problems:
        problems += _check_auto_number_length(definition, fmt, pointer)
    return problems


def _check_auto_number_length(definition: FieldDef, fmt: str, pointer: str) -> list[Problem]:
    """Refuse a format whose numbers can outgrow the column: every save after that would fail.

    The counter is zero-padded to the token's width and grows past it, up to the 19 digits
    of its 64-bit counter.
    """
    longest = len(
        _FORMAT_TOKEN.sub(
            lambda token: (
                "9" * max(len(token.group(1)), _COUNTER_DIGITS)
                if _COUNTER.fullmatch(token.group(0))
                else "9" * len(token.group(1))
            ),
            fmt,
        )
    )
    limit = definition.max_length or DEFAULT_MAX_LENGTH[FieldType.AUTO_NUMBER]
    if longest <= limit:
        return []
    return [
        Problem(
            f"{pointer}/format",
            "format-too-long",
            f"the longest number this format gives is {longest} characters (the counter "
            f"grows to {_COUNTER_DIGITS} digits), more than max_length ({limit}) holds; "
            f"raise max_length to {longest} or shorten the format",
        )
    ]


def _check_formula(definition: FieldDef, pointer: str) -> list[Problem]:
    problems = []
    if not definition.expression or not definition.expression.strip():
        problems.append(
            Problem(f"{pointer}/expression", "missing-option", "a formula needs an expression")
        )
    if definition.return_type is None:
        problems.append(
            Problem(f"{pointer}/return_type", "missing-option", "a formula needs a return_type")
        )
    elif definition.return_type not in FORMULA_RETURN_TYPES:
        allowed = ", ".join(sorted(FORMULA_RETURN_TYPES))
        problems.append(
            Problem(
                f"{pointer}/return_type", "invalid-value", f"a formula returns one of: {allowed}"
            )
        )
    if definition.return_type not in DECIMAL_TYPES:
        for option in ("precision", "scale"):
            if getattr(definition, option) is not None:
                problems.append(
                    Problem(
                        f"{pointer}/{option}",
                        "option-not-allowed",
                        f"{option} applies to decimal results only",
                    )
                )
    return problems


def _check_rollup(
    definition: FieldDef, *, obj: ObjectState, state: TenantMetadata, pointer: str
) -> list[Problem]:
    rollup = definition.rollup
    if rollup is None:
        return [
            Problem(
                f"{pointer}/rollup", "missing-option", "a roll-up needs {child, field, function}"
            )
        ]
    child = state.find_object(rollup.child)
    if child is None:
        return [
            Problem(
                f"{pointer}/rollup/child",
                "unknown-object",
                _unknown_object_message(rollup.child, state),
            )
        ]
    problems = []
    links = [
        f
        for f in child.live_fields
        if f.definition.type in REFERENCE_TYPES and f.definition.target == obj.api_name
    ]
    if not links:
        problems.append(
            Problem(
                f"{pointer}/rollup/child",
                "not-a-child",
                f"{rollup.child!r} has no lookup or master-detail field to {obj.api_name!r}",
            )
        )
    elif rollup.link is not None and rollup.link not in {f.api_name for f in links}:
        problems.append(
            _link_problem(child, rollup.link, parent=obj.api_name, pointer=f"{pointer}/rollup/link")
        )
    if rollup.function is not RollupFunction.COUNT:
        if not rollup.field:
            problems.append(
                Problem(
                    f"{pointer}/rollup/field",
                    "missing-option",
                    f"{rollup.function} needs the child field to aggregate",
                )
            )
        elif child.find_field(rollup.field) is None:
            problems.append(
                Problem(
                    f"{pointer}/rollup/field",
                    "unknown-field",
                    f"{rollup.child!r} has no field {rollup.field!r}"
                    f"{did_you_mean(rollup.field, (f.api_name for f in child.live_fields))}",
                )
            )
    if definition.return_type is not None and definition.return_type not in FORMULA_RETURN_TYPES:
        problems.append(
            Problem(
                f"{pointer}/return_type", "invalid-value", "a roll-up returns a number or a date"
            )
        )
    elif not problems:
        problems += _check_rollup_types(definition, child=child, pointer=pointer)
    problems += _check_rollup_filter(rollup.filter or {}, child, f"{pointer}/rollup/filter")
    return problems


def _link_problem(child: ObjectState, link: str, *, parent: str, pointer: str) -> Problem:
    """The problem of a roll-up `link` that is not a lookup or master-detail to `parent`."""
    field = child.find_field(link)
    if field is None:
        return Problem(pointer, "unknown-field", f"{child.api_name!r} has no field {link!r}")
    return Problem(
        pointer,
        "not-a-link",
        f"{child.api_name}.{link} is not a lookup or master-detail to {parent!r}; name one "
        "that is, or leave link out to follow the first one",
    )


def check_rollups_over(
    state: TenantMetadata, *, child: str, field: str, pointer: str
) -> list[Problem]:
    """Re-check the roll-ups that aggregate `child.field` or follow it as their `link`,
    after a change of that field."""
    child_object = state.find_object(child)
    if child_object is None:
        return []
    problems = []
    for parent in state.live_objects:
        for rollup_field in parent.live_fields:
            rollup = rollup_field.definition.rollup
            if rollup is None or rollup.child != child:
                continue
            if rollup.link == field:
                problems += _check_followed_link(
                    child_object,
                    parent=parent.api_name,
                    rollup_field=rollup_field.api_name,
                    link=field,
                )
            if rollup.field != field:
                continue
            for problem in _check_rollup_types(
                rollup_field.definition, child=child_object, pointer=""
            ):
                problems.append(
                    Problem(
                        pointer,
                        problem.code,
                        f"roll-up {parent.api_name}.{rollup_field.api_name} aggregates this "
                        f"field and would fail: {problem.detail}; change or delete the "
                        "roll-up first",
                    )
                )
    return problems


def _check_followed_link(
    child: ObjectState, *, parent: str, rollup_field: str, link: str
) -> list[Problem]:
    """Refuse a change that makes a roll-up's named `link` stop leading to its parent."""
    field = child.find_field(link)
    if field is None or (
        field.definition.type in REFERENCE_TYPES and field.definition.target == parent
    ):
        return []
    option = "type" if field.definition.type not in REFERENCE_TYPES else "target"
    return [
        Problem(
            f"/{option}",
            "not-a-link",
            f"roll-up {parent}.{rollup_field} follows this field to {parent!r}, which it no "
            "longer would; point the roll-up's link at another field, or delete it, first",
        )
    ]


def _check_rollup_types(definition: FieldDef, *, child: ObjectState, pointer: str) -> list[Problem]:
    """Refuse a roll-up whose source or result type no aggregate or column can take.

    A sum adds numbers; a minimum or maximum compares numbers, dates or date-times; the
    result's column must hold what comes out. Anything else would fail (or store nonsense)
    on every save of a child.
    """
    rollup = definition.rollup
    assert rollup is not None
    source = child.find_field(rollup.field) if rollup.field else None
    source_type = (
        storage_type(source.definition.type, source.definition) if source is not None else None
    )
    function = rollup.function
    if source_type is not None and function is not RollupFunction.COUNT:
        comparable = NUMBER_TYPES | {FieldType.DATE, FieldType.DATETIME}
        allowed = NUMBER_TYPES if function is RollupFunction.SUM else comparable
        if source_type not in allowed:
            does = (
                "adds numbers"
                if function is RollupFunction.SUM
                else ("compares numbers, dates and date-times")
            )
            return [
                Problem(
                    f"{pointer}/rollup/field",
                    "invalid-rollup-source",
                    f"{function} {does}; {rollup.child}.{rollup.field} is {_a(source_type)} field",
                )
            ]
    result_types = (
        frozenset({source_type})
        if source_type in (FieldType.DATE, FieldType.DATETIME)
        else NUMBER_TYPES
    )
    return_type = definition.return_type
    if return_type is not None and return_type not in result_types:
        kinds = ", ".join(sorted(result_types))
        return [
            Problem(
                f"{pointer}/return_type",
                "invalid-value",
                f"a {function} roll-up gives {_a(kinds) if len(result_types) == 1 else kinds}"
                f" result; return_type {return_type} cannot hold it (use {kinds})",
            )
        ]
    return []


def _check_rollup_filter(document: Any, child: ObjectState, pointer: str) -> list[Problem]:
    """A roll-up filter reads the child's own fields: a path through a lookup would change
    with the looked-up record, which does not recount its parents' children."""
    if not isinstance(document, dict):
        return [Problem(pointer, "invalid-filter", "a filter is an object of field conditions")]
    # The list API's own limits, so a filter saved here compiles on every database.
    problems = filter_size_problems(document, pointer=pointer)
    if problems:
        return problems
    for key, value in document.items():
        where = f"{pointer}/{key}"
        if key in ("and", "or") and isinstance(value, list):
            for index, item in enumerate(value):
                problems += _check_rollup_filter(item, child, f"{where}/{index}")
        elif key == "not":
            problems += _check_rollup_filter(value, child, where)
        elif "." in key:
            problems.append(
                Problem(
                    where,
                    "path-in-roll-up-filter",
                    f"a roll-up filter uses the child's own fields, not {key!r}; add a formula "
                    f"field to {child.api_name!r} that reads it and filter on that",
                )
            )
        elif child.find_field(key) is None and key not in SYSTEM_COLUMNS:
            problems.append(
                Problem(
                    where,
                    "unknown-field",
                    f"{child.api_name!r} has no field {key!r}"
                    f"{did_you_mean(key, (f.api_name for f in child.live_fields))}",
                )
            )
    return problems


def _number(definition: FieldDef, value: Any) -> Any:
    """Return a number option or default as its column value; refuse what no column holds."""
    number = python_value(definition, value)
    if isinstance(number, Decimal) and not number.is_finite():
        raise ValueError("expected a finite number")
    return number


def _column_overflow(definition: FieldDef, value: Any) -> str | None:
    """Say what the column holds when a number is too large for it (BIGINT or NUMERIC(p, s))."""
    if definition.type is FieldType.INTEGER:
        fits = _BIGINT_MIN <= value <= _BIGINT_MAX
        return None if fits else "a 64-bit whole number"
    precision, scale = decimal_shape(definition)
    if precision > MAX_PRECISION or scale > precision:
        return None  # reported with precision and scale
    digits = precision - scale
    # Values are rounded to the scale when stored, so 999.999 needs a fourth digit at scale 2.
    # Exponents are compared, not values: abs() of 1e999999999 overflows the decimal context.
    if not value or (
        value.adjusted() < digits
        and _adjusted(value.quantize(Decimal(1).scaleb(-scale), ROUND_HALF_EVEN)) < digits
    ):
        return None
    return f"at most {precision - scale} digits before the decimal point"


def _adjusted(value: Decimal) -> int:
    """The exponent of a number's leading digit (zero has none that counts)."""
    return value.adjusted() if value else 0


def _check_default(definition: FieldDef, pointer: str) -> list[Problem]:
    where = f"{pointer}/default"
    try:
        value: Any = (
            _number(definition, definition.default)
            if definition.type in NUMBER_TYPES
            else python_value(definition, definition.default)
        )
    except ValueError as exc:
        return [
            Problem(
                where,
                "invalid-default",
                f"the default does not fit {_a(definition.type)} field: {exc}",
            )
        ]
    limit = definition.max_length or DEFAULT_MAX_LENGTH.get(definition.type)
    if definition.type in TEXT_TYPES and limit is not None and len(value) > limit:
        return [
            Problem(where, "invalid-default", f"the default is longer than max_length ({limit})")
        ]
    if definition.type is FieldType.PICKLIST:
        active = {v.value for v in definition.values or () if v.active}
        if value not in active:
            return [
                Problem(
                    where,
                    "invalid-default",
                    f"the default {value!r} is not an active picklist value",
                )
            ]
    if definition.type is FieldType.MULTI_PICKLIST:
        active = {v.value for v in definition.values or () if v.active}
        unknown = [item for item in value if item not in active]
        if unknown:
            return [Problem(where, "invalid-default", f"{unknown} are not active picklist values")]
    if definition.type in NUMBER_TYPES:
        overflow = _column_overflow(definition, value)
        if overflow is not None:
            return [
                Problem(
                    where,
                    "invalid-default",
                    f"the default {definition.default} is too large: the column holds {overflow}",
                )
            ]
        bounds: tuple[tuple[str, Callable[[Any], bool]], ...] = (
            ("min", lambda bound_value: value < bound_value),
            ("max", lambda bound_value: value > bound_value),
        )
        for bound, fails in bounds:
            try:
                bound_value = _number(definition, getattr(definition, bound))
            except ValueError:
                continue  # reported with the bound itself
            if bound_value is not None and fails(bound_value):
                return [Problem(where, "invalid-default", f"the default is outside {bound}")]
    return []


def _a(word: str) -> str:
    """`word` with its indefinite article: "an integer", "a picklist"."""
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"
