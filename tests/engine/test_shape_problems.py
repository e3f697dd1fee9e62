"""Pydantic's errors in Tessera's words: a code of ours, the key, what to send instead."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.shape_problems import parse_body, shape_problems
from metadata.models import FieldDef, ObjectDef
from tests.validator_wording import raw_phrases_in


def problems(model: Any, body: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [
        (p.pointer, p.code, p.detail) for p in shape_problems(refused.value.errors(), model=model)
    ]


def test_each_kind_of_refusal_gets_a_code_and_message_of_ours() -> None:
    found = problems(
        FieldDef,
        {
            "type": "text",
            "max_length": "abc",
            "label": "x" * 300,
            "required": "maybe",
            "precision": 0,
            "bogus": 1,
        },
    )
    assert found == [
        ("/api_name", "missing-key", "api_name is required"),
        ("/label", "too-long", "label is at most 255 characters"),
        ("/required", "wrong-type", "required: expected true or false, got 'maybe'"),
        ("/max_length", "wrong-type", "max_length: expected a whole number, got 'abc'"),
        ("/precision", "out-of-range", "precision must be at least 1"),
        ("/bogus", "unknown-key", _unknown_key_message()),
    ]


def _unknown_key_message() -> str:
    return "unknown key 'bogus'; the keys here are: " + ", ".join(FieldDef.model_fields)


def test_an_unknown_key_names_the_key_probably_meant() -> None:
    assert problems(FieldDef, {"api_name": "a", "type": "text", "max_lenght": 5}) == [
        ("/max_lenght", "unknown-key", "unknown key 'max_lenght'; did you mean 'max_length'?")
    ]


def test_a_field_type_of_another_platform_names_tesseras() -> None:
    ((pointer, code, message),) = problems(FieldDef, {"api_name": "a", "type": "string"})
    assert (pointer, code) == ("/type", "invalid-choice")
    assert message.startswith("type: 'string' is not a choice here; did you mean 'text'? (choices:")
    ((_, _, dropdown),) = problems(FieldDef, {"api_name": "a", "type": "dropdown"})
    assert "did you mean 'picklist'?" in dropdown


def test_the_members_of_a_union_refuse_a_value_once() -> None:
    assert problems(FieldDef, {"api_name": "a", "type": "integer", "min": [1]}) == [
        ("/min", "wrong-type", "min: expected a number or text, got a list")
    ]


def test_nested_problems_point_into_the_body() -> None:
    found = problems(ObjectDef, {"api_name": "o", "fields": [{"api_name": "a"}, 3]})
    assert found == [
        ("/fields/0/type", "missing-key", "fields/0/type is required"),
        ("/fields/1", "wrong-type", "fields/1: expected a JSON object, got 3"),
    ]


def test_picklist_values_may_be_plain_strings() -> None:
    field = FieldDef.model_validate(
        {"api_name": "temperature", "type": "picklist", "values": ["hot", {"value": "warm"}]}
    )
    assert [(v.value, v.label) for v in field.values or []] == [("hot", None), ("warm", None)]
    assert problems(FieldDef, {"api_name": "t", "type": "picklist", "values": ["", 3]}) == [
        ("/values/0/value", "too-short", "values/0/value cannot be empty"),
        (
            "/values/1",
            "invalid-value",
            'values/1: a picklist value is text ("hot") or an object ({"value": "hot"})',
        ),
    ]


def test_no_message_repeats_pydantic() -> None:
    bodies: list[Any] = [
        [],
        "text",
        {"api_name": 5, "type": 7, "values": "x", "rollup": {"function": "avg"}, "min": {}},
        {"api_name": "a", "type": "text", "default": 1, "help_text": 5, "indexed": []},
    ]
    for body in bodies:
        with pytest.raises(ValidationError) as refused:
            FieldDef.model_validate(body)
        for problem in shape_problems(refused.value.errors(), model=FieldDef):
            assert raw_phrases_in(problem.detail) == [], problem


def test_a_body_checked_leniently_keeps_what_validated_and_says_what_was_left_out() -> None:
    parsed = parse_body(
        FieldDef, {"api_name": "a", "type": "lookup", "target": "nope", "max_length": "x"}
    )
    assert parsed.value is not None and parsed.value.target == "nope"
    assert parsed.value.max_length is None
    assert parsed.left_out == ("/max_length",)
    assert [p.pointer for p in parsed.problems] == ["/max_length"]


def test_a_refused_list_item_leaves_its_whole_list_out() -> None:
    parsed = parse_body(FieldDef, {"api_name": "a", "type": "picklist", "values": ["a", 3, "a"]})
    assert parsed.value is not None and parsed.value.values is None
    assert parsed.left_out == ("/values",)


def test_a_body_missing_a_required_key_has_no_value_to_check() -> None:
    parsed = parse_body(FieldDef, {"type": "text"})
    assert parsed.value is None
    assert [p.code for p in parsed.problems] == ["missing-key"]


def test_a_refused_key_inside_a_list_item_leaves_the_item_in_place() -> None:
    parsed = parse_body(
        ObjectDef,
        {
            "api_name": "o",
            "fields": [
                {"api_name": "a", "type": "text", "max_length": "x"},
                {"api_name": "b", "type": "text"},
            ],
        },
    )
    assert parsed.value is not None
    assert [field.api_name for field in parsed.value.fields] == ["a", "b"]
    assert parsed.left_out == ("/fields/0/max_length",)
