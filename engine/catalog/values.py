"""Coerce API input to the values a field's column stores, and render stored values as JSON.

Input is validated per field type: ranges, precision and scale, ISO 8601 dates and
date-times, e-mail addresses, phone numbers, URLs, picklist membership (inactive values
are refused on write and still readable), lengths. Every problem raises `ValueProblem`
with a code and a message that says how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from pydantic import AnyUrl, TypeAdapter, ValidationError

from engine.catalog.column_types import decimal_shape
from engine.catalog.literals import DECIMAL_TEXT
from engine.errors import InvalidRequest
from engine.json_input import decode_json
from engine.storable_json import find_unstorable
from metadata.models import FieldDef, FieldType


class ValueProblem(ValueError):
    """A value that does not fit its field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{1,38}[0-9]$")
# ASCII digits only, as for decimals (see DECIMAL_TEXT).
_INTEGER_TEXT = re.compile(r"\s*[-+]?[0-9]+\s*")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URL = TypeAdapter(AnyUrl)
_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


Coercer = Callable[[Any, bool], Any]
_Value = TypeVar("_Value")


def value_coercer(definition: FieldDef) -> Coercer:
    """Return the function that coerces input for this field: `coerce(value, from_text)`.

    Everything the checks need (limits, picklist values, decimal shape) is worked out
    here, once; the catalog keeps one coercer per field and revision. With `from_text`,
    strings are parsed as a CSV cell holds them ("12", "true", "a;b"); None (and, from
    text, "") stays None: required fields are checked by the caller.
    """
    if definition.type is FieldType.FILE:
        return _refuse_file
    factory = _FACTORIES.get(definition.type)
    if factory is None:
        message = f"{definition.type} values are computed by Tessera and cannot be written"

        def refuse(value: Any, from_text: bool = False) -> Any:
            raise ValueProblem("read-only", message)

        return refuse
    check = factory(definition)

    def coerce(value: Any, from_text: bool = False) -> Any:
        if value is None or (from_text and value == ""):
            return None
        return check(value, from_text)

    return coerce


def files_endpoint_hint(object_name: str = "{object}", field: str = "{field}") -> str:
    """Say how a file reaches a file field: through its endpoint, never the record's body."""
    return (
        f"upload the file with POST /api/v1/data/{object_name}/{{id}}/files/{field} "
        "(multipart/form-data, one part named file); DELETE on that path removes it"
    )


def _refuse_file(value: Any, from_text: bool = False) -> Any:
    raise ValueProblem(
        "read-only", f"file fields are not written in the record; {files_endpoint_hint()}"
    )


def coerce_value(definition: FieldDef, value: Any, *, from_text: bool = False) -> Any:
    """Coerce one value for a field (for callers without a compiled field at hand)."""
    return value_coercer(definition)(value, from_text)


def _text_check(definition: FieldDef) -> Coercer:
    limit = definition.max_length

    def check(value: Any, from_text: bool) -> str:
        text = _expect_string(value)
        if limit is not None and len(text) > limit:
            raise ValueProblem("too-long", f"at most {limit} characters (got {len(text)})")
        return text

    return check


def _email_check(definition: FieldDef) -> Coercer:
    text = _text_check(definition)

    def check(value: Any, from_text: bool) -> str:
        address = str(text(value, from_text)).strip()
        try:
            return str(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ValueProblem("invalid-email", f"not an e-mail address: {exc}") from exc

    return check


def _phone_check(definition: FieldDef) -> Coercer:
    text = _text_check(definition)

    def check(value: Any, from_text: bool) -> str:
        number = str(text(value, from_text)).strip()
        if not _PHONE.match(number) or sum(ch.isdigit() for ch in number) < 3:
            raise ValueProblem(
                "invalid-phone",
                "not a phone number: use digits, spaces, ()-./ and an optional leading +",
            )
        return number

    return check


def _url_check(definition: FieldDef) -> Coercer:
    text = _text_check(definition)

    def check(value: Any, from_text: bool) -> str:
        address = str(text(value, from_text)).strip()
        try:
            parsed = _URL.validate_python(address)
        except ValidationError as exc:
            raise ValueProblem("invalid-url", "not a URL such as https://example.com/page") from exc
        if parsed.scheme not in ("http", "https", "ftp", "mailto"):
            raise ValueProblem(
                "invalid-url", f"URL scheme {parsed.scheme!r} is not allowed; use http or https"
            )
        return address

    return check


def _bounds(definition: FieldDef) -> Callable[[int | Decimal], int | Decimal]:
    low = Decimal(str(definition.min)) if definition.min is not None else None
    high = Decimal(str(definition.max)) if definition.max is not None else None

    def bounded(number: int | Decimal) -> int | Decimal:
        if low is not None and number < low:
            raise ValueProblem("out-of-range", f"must be at least {definition.min}")
        if high is not None and number > high:
            raise ValueProblem("out-of-range", f"must be at most {definition.max}")
        return number

    return bounded


def _integer_check(definition: FieldDef) -> Coercer:
    bounded = _bounds(definition)

    def check(value: Any, from_text: bool) -> int | Decimal:
        return bounded(_integer(value, from_text=from_text))

    return check


def _decimal_check(definition: FieldDef) -> Coercer:
    precision, scale = decimal_shape(definition)
    quantum = Decimal(1).scaleb(-scale)
    bounded = _bounds(definition)

    def check(value: Any, from_text: bool) -> int | Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueProblem("wrong-type", f"expected a number, got {_json_type(value)}")
        text = str(value).strip()
        if not DECIMAL_TEXT.fullmatch(text):
            if isinstance(value, float):
                raise ValueProblem("wrong-type", "expected a finite number")
            raise ValueProblem(
                "wrong-type",
                f"expected a number written with ASCII digits, an optional sign, one '.' "
                f"and an optional exponent, such as -1234.50, got {value!r}",
            )
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueProblem("wrong-type", f"expected a number, got {value!r}") from exc
        # The range check comes first, on the exponent alone: quantizing, or even abs() of,
        # a number such as 1e999999999 overflows the decimal context.
        if number and number.adjusted() >= precision - scale:
            raise ValueProblem(
                "out-of-range", f"at most {precision - scale} digits before the decimal point"
            )
        exact = number.quantize(quantum)
        if exact != number:
            raise ValueProblem("too-precise", f"at most {scale} decimal places")
        return bounded(exact)

    return check


def _boolean_check(definition: FieldDef) -> Coercer:
    return lambda value, from_text: _boolean(value, from_text=from_text)


def _date_check(definition: FieldDef) -> Coercer:
    return lambda value, from_text: _date(value)


def _datetime_check(definition: FieldDef) -> Coercer:
    return lambda value, from_text: _datetime(value)


def _picklist_check(definition: FieldDef) -> Coercer:
    active = {entry.value: entry.active for entry in definition.values or ()}
    allowed = ", ".join(entry.value for entry in definition.values or () if entry.active)
    # A label sent in place of its value is the usual mistake: the message names the value.
    by_label: dict[str, str] = {}
    for entry in definition.values or ():
        if entry.active and entry.label:
            by_label.setdefault(entry.label.casefold(), entry.value)

    def check(value: Any, from_text: bool) -> str:
        text = _expect_string(value)
        is_active = active.get(text)
        if is_active is None:
            labelled = by_label.get(text.casefold())
            hint = f"; {text!r} is the label of {labelled!r}" if labelled is not None else ""
            raise ValueProblem(
                "not-in-picklist",
                f"{text!r} is not a value of this picklist (allowed: {allowed}){hint}",
            )
        if not is_active:
            raise ValueProblem(
                "inactive-value", f"{text!r} is no longer active; choose an active value"
            )
        return text

    return check


def _multi_picklist_check(definition: FieldDef) -> Coercer:
    one = _picklist_check(definition)

    def check(value: Any, from_text: bool) -> list[str]:
        if from_text and isinstance(value, str):
            value = [item.strip() for item in value.split(";") if item.strip()]
        if not isinstance(value, list):
            raise ValueProblem("wrong-type", f"expected a list of values, got {_json_type(value)}")
        chosen = [one(item, from_text) for item in value]
        if len(set(chosen)) != len(chosen):
            raise ValueProblem("duplicate-value", "each value may be chosen once")
        return chosen

    return check


def _reference_check(definition: FieldDef) -> Coercer:
    return lambda value, from_text: coerce_record_id(value)


def _json_check(definition: FieldDef) -> Coercer:
    def check(value: Any, from_text: bool) -> Any:
        return _storable(_json(value) if from_text and isinstance(value, str) else value)

    return check


_FACTORIES: dict[FieldType, Callable[[FieldDef], Coercer]] = {
    FieldType.TEXT: _text_check,
    FieldType.LONG_TEXT: _text_check,
    FieldType.EMAIL: _email_check,
    FieldType.PHONE: _phone_check,
    FieldType.URL: _url_check,
    FieldType.INTEGER: _integer_check,
    FieldType.DECIMAL: _decimal_check,
    FieldType.CURRENCY: _decimal_check,
    FieldType.PERCENT: _decimal_check,
    FieldType.BOOLEAN: _boolean_check,
    FieldType.DATE: _date_check,
    FieldType.DATETIME: _datetime_check,
    FieldType.PICKLIST: _picklist_check,
    FieldType.MULTI_PICKLIST: _multi_picklist_check,
    FieldType.LOOKUP: _reference_check,
    FieldType.MASTER_DETAIL: _reference_check,
    FieldType.JSON: _json_check,
}


def _expect_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem("wrong-type", f"expected a string, got {_json_type(value)}")
    return _storable(value)


def _storable(value: _Value) -> _Value:
    """Return `value` (text, or a json field's value), refusing what no database stores.

    HTTP bodies are refused earlier, when they are decoded; this keeps every other caller
    (imports, workflows, bundle seed data) to the same rule, with the same codes and
    messages (`invalid-character`, `invalid-number`, `too-deep`; see `storable_json`).
    """
    found = find_unstorable(value)
    if found is not None:
        raise ValueProblem(found.flaw.code, found.reason)
    return value


def _integer(value: Any, *, from_text: bool) -> int:
    if isinstance(value, bool):
        raise ValueProblem("wrong-type", "expected a whole number, got a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    elif isinstance(value, str) and from_text and _INTEGER_TEXT.fullmatch(value):
        # Past 20 digits no text fits 64 bits; int() of thousands of digits would raise.
        if len(value.strip().lstrip("+-").lstrip("0")) > 19:
            raise ValueProblem("out-of-range", "the number is too large for a 64-bit integer")
        result = int(value)
    else:
        raise ValueProblem("wrong-type", f"expected a whole number, got {value!r}")
    if not -(2**63) <= result < 2**63:
        raise ValueProblem("out-of-range", "the number is too large for a 64-bit integer")
    return result


def _boolean(value: Any, *, from_text: bool) -> bool:
    if isinstance(value, bool):
        return value
    if from_text and isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValueProblem("wrong-type", f"expected true or false, got {value!r}")


def _date(value: Any) -> date:
    text = _expect_string(value)
    if not _DATE_TEXT.fullmatch(text):
        raise ValueProblem("invalid-date", f"expected a date written YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueProblem("invalid-date", f"{text!r} is not a calendar date") from exc


def _datetime(value: Any) -> datetime:
    text = _expect_string(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueProblem(
            "invalid-datetime",
            f"expected an ISO 8601 date-time such as 2025-03-01T09:30:00+08:00, got {text!r}",
        ) from exc
    if parsed.tzinfo is None:
        # A date-time without an offset is taken as UTC.
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueProblem(
            "out-of-range",
            f"{text!r} is outside the years 1 to 9999 in UTC; send a date-time within them",
        ) from exc


def coerce_record_id(value: Any) -> UUID:
    """Return a record id from its string form, or raise `ValueProblem`."""
    text = _expect_string(value)
    try:
        return UUID(text)
    except ValueError as exc:
        raise ValueProblem("invalid-id", f"expected a record id (a UUID), got {text!r}") from exc


def _json(text: str) -> Any:
    # The strict decoder of request bodies: bounded depth, no NaN, no unstorable text.
    try:
        return decode_json(text, what="the value")
    except InvalidRequest as exc:
        raise ValueProblem("invalid-json", f"not JSON: {exc}") from exc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
