"""`decode_json`: strict decoding that says where in the text a problem starts."""

from __future__ import annotations

import pytest

from engine.json_input import InvalidJson, decode_json


@pytest.mark.parametrize(
    ("text", "position", "code"),
    [
        ('{"a": [1, 2.5, NaN]}', 15, "invalid-number"),
        # Numbers and constants inside strings are text: only real numbers count.
        ('{"NaN 12": "1e400, -Infinity", "n": [3, -Infinity]}', 40, "invalid-number"),
        ('{"a": 1e400}', 6, "invalid-number"),
        ('{"a": ' + "9" * 1001 + "}", 6, "invalid-number"),
        ('{"a": [1, 2,]}', 12, "invalid-json"),
    ],
)
def test_a_problem_in_the_text_says_where_it_starts(text: str, position: int, code: str) -> None:
    with pytest.raises(InvalidJson) as refused:
        decode_json(text)

    assert refused.value.position == position
    assert refused.value.problems[0].code == code
    assert refused.value.reason in refused.value.detail


def test_a_problem_found_by_its_pointer_has_no_position() -> None:
    with pytest.raises(InvalidJson) as refused:
        decode_json('{"a": ["\\ud800"]}', pointer="/filter")

    assert refused.value.position is None
    assert refused.value.problems[0].pointer == "/filter/a/0"


def refusal(text: str) -> str:
    with pytest.raises(InvalidJson) as refused:
        decode_json(text)
    (problem,) = refused.value.problems
    assert (problem.pointer, problem.code) == ("", "invalid-json")
    return problem.detail


def test_json_that_does_not_decode_says_what_was_expected_and_where() -> None:
    assert refusal('{"name": "a",\n "amount": 1\n "stage": "won"}') == (
        "the body is not valid JSON: expected ',' or '}' after an object member (line 3, column 2)"
    )


def test_a_document_of_one_line_is_located_by_column_alone() -> None:
    assert refusal('{"tags": ["a" "b"]}').endswith(
        "expected ',' or ']' after an array item (column 15)"
    )


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ('{"a": 1,}', "expected a key in double quotes; JSON allows no comma before '}'"),
        ("[1, 2,]", "JSON allows no comma before ']'"),
        ("{'a': 1}", 'JSON quotes keys and strings with " only'),
        ('{"a": True}', "and true, false and null in lower case"),
        ('{"a" 1}', "expected ':' between a key and its value"),
        ('{"a": 1', "the document ends too early: expected ',' or '}' after an object member"),
        ('{"a": 1} x', "unexpected text after the end of the document"),
        ('{"a": "b', 'a string starts here and is never closed with "'),
        ("", "the document is empty; send a JSON value such as {}"),
    ],
)
def test_common_mistakes_are_explained_in_plain_words(text: str, explained: str) -> None:
    detail = refusal(text)
    assert explained in detail
    assert "Expecting" not in detail
