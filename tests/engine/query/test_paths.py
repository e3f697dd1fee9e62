"""Resolving filter and sort paths: the definitions their values are compared with."""

from __future__ import annotations

from engine.query.paths import comparable_definition
from metadata.models import FieldDef, FieldType


def test_each_definition_compares_as_itself_even_under_a_reused_name() -> None:
    as_text = FieldDef(api_name="code", type=FieldType.TEXT, max_length=5)
    as_number = FieldDef(api_name="code", type=FieldType.INTEGER, min=1, max=9)
    assert comparable_definition(as_text).type is FieldType.TEXT
    assert comparable_definition(as_text).max_length is None
    assert comparable_definition(as_number).type is FieldType.INTEGER
    assert comparable_definition(as_number).max is None
    assert comparable_definition(as_text).type is FieldType.TEXT


def test_a_definition_made_again_with_equal_values_compares_the_same() -> None:
    picklist = FieldDef(api_name="stage", type=FieldType.PICKLIST, values=[{"value": "won"}])
    first = comparable_definition(picklist)
    assert first.type is FieldType.TEXT
    assert comparable_definition(picklist) is first
    copy = picklist.model_copy()
    assert comparable_definition(copy) == first
