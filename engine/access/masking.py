"""Masks of personal data (PII) shown to callers without the view_pii right (pure).

A mask keeps enough to recognise a value without giving it away: the first three and
last four digits of a phone number (`138****5678`), the first character of a name
(`张*`, `J***`), the first character of an e-mail's local part and its domain
(`a***@example.com`). Values of other types are shown as `***`.
"""

from __future__ import annotations

from typing import Any

from metadata.models import FieldType

#: What a masked value of a type that has no mask of its own shows.
HIDDEN = "***"


def mask_phone(value: str) -> str:
    """`13812345678` → `138****5678`; short numbers keep only their last two digits."""
    digits = [c for c in value if c.isdigit()]
    if len(digits) >= 8:
        return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + "".join(digits[-2:])
    return HIDDEN


def mask_email(value: str) -> str:
    """`alice@example.com` → `a***@example.com`."""
    local, at, domain = value.partition("@")
    if not at or not local:
        return HIDDEN
    return f"{local[0]}***@{domain}"


def mask_text(value: str) -> str:
    """`张三` → `张*`, `Jane Doe` → `J*******`: the first character, the rest starred."""
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_value(field_type: FieldType, value: Any) -> Any:
    """The masked form of a value of a field of `field_type` (None stays None)."""
    if value is None:
        return None
    if field_type is FieldType.PHONE:
        return mask_phone(str(value))
    if field_type is FieldType.EMAIL:
        return mask_email(str(value))
    if field_type in (FieldType.TEXT, FieldType.LONG_TEXT):
        return mask_text(str(value))
    return HIDDEN
