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
