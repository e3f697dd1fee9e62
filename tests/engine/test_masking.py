"""Masks of personal data: recognisable, never the value."""

from __future__ import annotations

import pytest

from engine.access.masking import HIDDEN, mask_value
from metadata.models import FieldType


@pytest.mark.parametrize(
    ("field_type", "value", "masked"),
    [
        (FieldType.PHONE, "13812345678", "138****5678"),
        (FieldType.PHONE, "+86 138-1234-5678", "861******5678"),
        (FieldType.PHONE, "12345", "***45"),
        (FieldType.EMAIL, "alice@example.com", "a***@example.com"),
        (FieldType.EMAIL, "not-an-email", HIDDEN),
        (FieldType.TEXT, "张三", "张*"),
        (FieldType.TEXT, "张", "张*"),
        (FieldType.LONG_TEXT, "Jane Doe", "J*******"),
        (FieldType.DATE, "1990-01-02", HIDDEN),
        (FieldType.TEXT, None, None),
    ],
)
def test_a_masked_value_keeps_a_hint_and_hides_the_rest(
    field_type: FieldType, value: str | None, masked: str | None
) -> None:
    assert mask_value(field_type, value) == masked
