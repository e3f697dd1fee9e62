"""Coerce API input to the values a field's column stores, and render stored values as JSON.

Input is validated per field type: ranges, precision and scale, ISO 8601 dates and
date-times, e-mail addresses, phone numbers, URLs, picklist membership (inactive values
are refused on write and still readable), lengths. Every problem raises `ValueProblem`
with a code and a message that says how to fix it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from pydantic import AnyUrl, TypeAdapter, ValidationError

from engine.catalog import decimal_shape, render_stored
from metadata.models import DECIMAL_TYPES, FieldDef, FieldType


class ValueProblem(ValueError):
    """A value that does not fit its field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{1,38}[0-9]$")
_URL = TypeAdapter(AnyUrl)
_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


def coerce_value(definition: FieldDef, value: Any, *, from_text: bool = False) -> Any:
    """Return `value` as the Python value stored for this field, or raise `ValueProblem`.

    With `from_text`, strings are parsed as a CSV cell would hold them ("12", "true").
    None stays None (required fields are checked by the caller).
    """
    if value is None or (from_text and value == ""):
        return None
    field_type = definition.type
    if field_type in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _text(definition, value)
    if field_type is FieldType.EMAIL:
        return _email(definition, value)
    if field_type is FieldType.PHONE:
        return _phone(definition, value)
    if field_type is FieldType.URL:
        return _url(definition, value)
    if field_type is FieldType.INTEGER:
        return _bounded(definition, _integer(value, from_text=from_text))
    if field_type in DECIMAL_TYPES:
        return _bounded(definition, _decimal(definition, value))
    if field_type is FieldType.BOOLEAN:
        return _boolean(value, from_text=from_text)
    if field_type is FieldType.DATE:
        return _date(value)
    if field_type is FieldType.DATETIME:
        return _datetime(value)
    if field_type is FieldType.PICKLIST:
        return _picklist(definition, value)
    if field_type is FieldType.MULTI_PICKLIST:
        return _multi_picklist(definition, value, from_text=from_text)
    if field_type in (FieldType.LOOKUP, FieldType.MASTER_DETAIL):
        return coerce_record_id(value)
    if field_type is FieldType.JSON:
        return _reject_nul_in_json(_json(value) if from_text and isinstance(value, str) else value)
    raise ValueProblem(
        "read-only", f"{field_type} values are computed by Tessera and cannot be written"
    )


def render_value(definition: FieldDef, value: Any) -> Any:
    """Return a stored value as JSON: decimals as exact strings, dates and times in ISO 8601."""
    return render_stored(definition, value)


def _expect_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem("wrong-type", f"expected a string, got {_json_type(value)}")
    return reject_nul(value)


def reject_nul(text: str) -> str:
    """Return `text`, refusing the NUL character (no database text type can hold it)."""
    if "\x00" in text:
        raise ValueProblem("invalid-character", "text cannot contain the NUL character (\\u0000)")
    return text


def _reject_nul_in_json(value: Any) -> Any:
    if isinstance(value, str):
        reject_nul(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key)
            _reject_nul_in_json(item)
    elif isinstance(value, list):
        for item in value:
            _reject_nul_in_json(item)
    return value


def _text(definition: FieldDef, value: Any) -> str:
    text = _expect_string(value)
    if definition.max_length is not None and len(text) > definition.max_length:
        raise ValueProblem(
            "too-long", f"at most {definition.max_length} characters (got {len(text)})"
        )
    return text


def _email(definition: FieldDef, value: Any) -> str:
    text = _text(definition, value).strip()
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueProblem("invalid-email", f"not an e-mail address: {exc}") from exc


def _phone(definition: FieldDef, value: Any) -> str:
    text = _text(definition, value).strip()
    if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 3:
        raise ValueProblem(
            "invalid-phone",
            "not a phone number: use digits, spaces, ()-./ and an optional leading +",
        )
    return text


def _url(definition: FieldDef, value: Any) -> str:
    text = _text(definition, value).strip()
    try:
        parsed = _URL.validate_python(text)
    except ValidationError as exc:
        raise ValueProblem("invalid-url", "not a URL such as https://example.com/page") from exc
    if parsed.scheme not in ("http", "https", "ftp", "mailto"):
        raise ValueProblem(
            "invalid-url", f"URL scheme {parsed.scheme!r} is not allowed; use http or https"
        )
    return text


def _integer(value: Any, *, from_text: bool) -> int:
    if isinstance(value, bool):
        raise ValueProblem("wrong-type", "expected a whole number, got a boolean")
    if isinstance(value, int):
        result = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and from_text and re.fullmatch(r"\s*[-+]?\d+\s*", value)
    ):
        result = int(value)
    else:
        raise ValueProblem("wrong-type", f"expected a whole number, got {value!r}")
    if not -(2**63) <= result < 2**63:
        raise ValueProblem("out-of-range", "the number is too large for a 64-bit integer")
    return result


def _decimal(definition: FieldDef, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueProblem("wrong-type", f"expected a number, got {_json_type(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueProblem("wrong-type", f"expected a number, got {value!r}") from exc
    if not number.is_finite():
        raise ValueProblem("wrong-type", "expected a finite number")
    precision, scale = decimal_shape(definition)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > scale and number != number.quantize(Decimal(1).scaleb(-scale)):
        raise ValueProblem("too-precise", f"at most {scale} decimal places")
    if abs(number) >= Decimal(10) ** (precision - scale):
        raise ValueProblem(
            "out-of-range", f"at most {precision - scale} digits before the decimal point"
        )
    return number.quantize(Decimal(1).scaleb(-scale))


def _bounded(definition: FieldDef, number: int | Decimal) -> int | Decimal:
    if definition.min is not None and number < Decimal(str(definition.min)):
        raise ValueProblem("out-of-range", f"must be at least {definition.min}")
    if definition.max is not None and number > Decimal(str(definition.max)):
        raise ValueProblem("out-of-range", f"must be at most {definition.max}")
    return number


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
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
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
    # A date-time without an offset is taken as UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _picklist(definition: FieldDef, value: Any) -> str:
    text = _expect_string(value)
    values = {entry.value: entry.active for entry in definition.values or ()}
    if text not in values:
        allowed = ", ".join(entry.value for entry in definition.values or () if entry.active)
        raise ValueProblem(
            "not-in-picklist", f"{text!r} is not a value of this picklist (allowed: {allowed})"
        )
    if not values[text]:
        raise ValueProblem(
            "inactive-value", f"{text!r} is no longer active; choose an active value"
        )
    return text


def _multi_picklist(definition: FieldDef, value: Any, *, from_text: bool) -> list[str]:
    if from_text and isinstance(value, str):
        value = [item.strip() for item in value.split(";") if item.strip()]
    if not isinstance(value, list):
        raise ValueProblem("wrong-type", f"expected a list of values, got {_json_type(value)}")
    chosen = [_picklist(definition, item) for item in value]
    if len(set(chosen)) != len(chosen):
        raise ValueProblem("duplicate-value", "each value may be chosen once")
    return chosen


def coerce_record_id(value: Any) -> UUID:
    """Return a record id from its string form, or raise `ValueProblem`."""
    text = _expect_string(value)
    try:
        return UUID(text)
    except ValueError as exc:
        raise ValueProblem("invalid-id", f"expected a record id (a UUID), got {text!r}") from exc


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueProblem("invalid-json", f"not JSON: {exc.msg}") from exc


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
