"""Metadata the admin API accepts never breaks the saves that follow it.

The class test: for each field type and option, a field the admin API accepts must leave
records of its object (and of the objects around it) saveable; one that would break them
is refused when it is saved, with a 422 naming the field and the key, in the dry run too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

#: Fields of `child`, each with a valid value, that cases refer to (roll-ups, sources).
CHILD_FIELDS: dict[str, tuple[dict[str, Any], Any]] = {
    "t": ({"type": "text"}, "words"),
    "lt": ({"type": "long_text"}, "more words"),
    "b": ({"type": "boolean"}, True),
    "d": ({"type": "date"}, "2026-01-02"),
    "dt": ({"type": "datetime"}, "2026-01-02T03:04:05Z"),
    "i": ({"type": "integer"}, 3),
    "n": ({"type": "decimal"}, "2.50"),
    "j": ({"type": "json"}, {"a": 1}),
    "m": ({"type": "multi_picklist", "values": [{"value": "x"}, {"value": "y"}]}, ["x"]),
    "p": ({"type": "picklist", "values": [{"value": "x"}]}, "x"),
    "e": ({"type": "email"}, "a@example.com"),
}


@pytest.fixture
def family(api: Api) -> Api:
    """A tenant with `parent` and `child` (a lookup to parent and one field of each kind)."""
    assert api.post("/admin/objects", json={"api_name": "parent"}).status_code == 201
    fields = [{"api_name": "parent", "type": "lookup", "target": "parent"}] + [
        {"api_name": name, **definition} for name, (definition, _) in CHILD_FIELDS.items()
    ]
    created = api.post("/admin/objects", json={"api_name": "child", "fields": fields})
    assert created.status_code == 201, created.text
    return api


def save_family(api: Api) -> list[tuple[str, int, str]]:
    """Save a parent and a child of it (and update both); return any save that failed."""
    failed = []
    parent = api.post("/data/parent", json={})
    if parent.status_code != 201:
        return [("parent", parent.status_code, parent.text)]
    child_values = {name: value for name, (_, value) in CHILD_FIELDS.items()}
    child = api.post("/data/child", json={"parent": parent.json()["id"], **child_values})
    if child.status_code != 201:
        return [("child", child.status_code, child.text)]
    for path, body in (
        (f"/data/child/{child.json()['id']}", {"t": "changed", "i": 4}),
        (f"/data/parent/{parent.json()['id']}", {}),
    ):
        updated = api.patch(path, json=body)
        if updated.status_code != 200:
            failed.append((path, updated.status_code, updated.text))
    listed = api.get("/data/parent")
    if listed.status_code != 200:
        failed.append(("list", listed.status_code, listed.text))
    return failed


#: (object, field definition): every option each type takes, with values at their edges.
ACCEPTED_CASES: list[tuple[str, dict[str, Any]]] = [
    ("parent", {"type": "text", "default": "ok", "max_length": 2}),
    ("parent", {"type": "text", "required": True, "default": "ok", "unique": False}),
    ("parent", {"type": "long_text", "default": "ok", "required": True}),
    ("parent", {"type": "email", "default": "a@example.com"}),
    ("parent", {"type": "phone", "default": "+1 555", "max_length": 6}),
    ("parent", {"type": "url", "default": "https://example.com"}),
    ("parent", {"type": "integer", "default": 2**63 - 1, "min": 0}),
    ("parent", {"type": "decimal", "precision": 18, "scale": 18, "default": "0.5"}),
    ("parent", {"type": "currency", "default": "-9999999999999999.99"}),
    ("parent", {"type": "percent", "default": 100, "max": 100}),
    ("parent", {"type": "boolean", "default": False, "required": True}),
    ("parent", {"type": "date", "default": "9999-12-31"}),
    ("parent", {"type": "datetime", "default": "0001-01-01T00:00:00Z"}),
    ("parent", {"type": "picklist", "values": [{"value": "a"}], "default": "a"}),
    ("parent", {"type": "multi_picklist", "values": [{"value": "a"}], "default": ["a"]}),
    ("parent", {"type": "json", "default": {"nested": [1, "two", None]}}),
    ("parent", {"type": "json", "default": []}),
    ("parent", {"type": "auto_number", "format": "{0}"}),
    ("parent", {"type": "auto_number", "format": "INV-{YYYY}-{0000}", "max_length": 28}),
    ("parent", {"type": "formula", "expression": "1 + 1", "return_type": "integer"}),
    ("parent", {"type": "rollup_summary", "rollup": {"child": "child", "function": "count"}}),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "n", "function": "sum"}},
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "i", "function": "sum"}},
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "d", "function": "max"}},
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "dt", "function": "min"}},
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "n", "function": "min"}},
    ),
    ("parent", {"type": "json", "required": True, "default": {"a": 1}}),
    (
        "parent",
        {"type": "multi_picklist", "values": [{"value": "a"}], "required": True, "default": ["a"]},
    ),
    ("child", {"type": "lookup", "target": "parent", "on_delete": "cascade"}),
]


@pytest.mark.parametrize(("object_name", "definition"), ACCEPTED_CASES)
def test_a_field_the_admin_api_accepts_leaves_records_saveable(
    family: Api, object_name: str, definition: dict[str, Any]
) -> None:
    added = family.post(
        f"/admin/objects/{object_name}/fields", json={"api_name": "f", **definition}
    )
    assert added.status_code == 201, added.text
    assert save_family(family) == []


#: (object, field definition, pointer of the refused key, words the message carries).
REFUSED_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("parent", {"type": "text", "default": "a\x00b"}, "/default", "NUL"),
    ("parent", {"type": "long_text", "default": "\x00"}, "/default", "NUL"),
    ("parent", {"type": "email", "default": "a\x00@example.com"}, "/default", "NUL"),
    ("parent", {"type": "json", "default": {"a": "b\x00"}}, "/default", "NUL"),
    ("parent", {"type": "json", "default": {"a\x00": 1}}, "/default", "NUL"),
    (
        "parent",
        {"type": "picklist", "values": [{"value": "a\x00"}]},
        "/values/0/value",
        "NUL",
    ),
    (
        "parent",
        {"type": "multi_picklist", "values": [{"value": "a"}], "default": ["a\x00"]},
        "/default",
        "NUL",
    ),
    ("parent", {"type": "auto_number", "format": "A\x00{0000}"}, "/format", "NUL"),
    ("parent", {"type": "auto_number", "format": "{0000}", "max_length": 5}, "/format", "19"),
    (
        "parent",
        {"type": "auto_number", "format": "INV-{YYYY}-" + "x" * 60 + "{0000}"},
        "/format",
        "max_length",
    ),
    (
        "parent",
        {
            "type": "rollup_summary",
            "rollup": {"child": "child", "function": "count"},
            "return_type": "date",
        },
        "/return_type",
        "integer",
    ),
    (
        "parent",
        {
            "type": "rollup_summary",
            "rollup": {"child": "child", "field": "n", "function": "sum"},
            "return_type": "text",
        },
        "/return_type",
        "decimal",
    ),
    (
        "parent",
        {
            "type": "rollup_summary",
            "rollup": {"child": "child", "field": "d", "function": "max"},
            "return_type": "integer",
        },
        "/return_type",
        "date",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "t", "function": "sum"}},
        "/rollup/field",
        "sum",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "b", "function": "sum"}},
        "/rollup/field",
        "sum",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "d", "function": "sum"}},
        "/rollup/field",
        "sum",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "b", "function": "max"}},
        "/rollup/field",
        "max",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "j", "function": "min"}},
        "/rollup/field",
        "min",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "m", "function": "max"}},
        "/rollup/field",
        "max",
    ),
    (
        "parent",
        {
            "type": "rollup_summary",
            "rollup": {"child": "child", "field": "parent", "function": "min"},
        },
        "/rollup/field",
        "min",
    ),
    (
        "parent",
        {"type": "rollup_summary", "rollup": {"child": "child", "field": "t", "function": "max"}},
        "/rollup/field",
        "max",
    ),
]


@pytest.mark.parametrize(("object_name", "definition", "pointer", "words"), REFUSED_CASES)
def test_a_field_that_would_break_later_saves_is_refused_in_the_dry_run_and_the_change(
    family: Api, object_name: str, definition: dict[str, Any], pointer: str, words: str
) -> None:
    path = f"/admin/objects/{object_name}/fields"
    for params in ({"dry_run": "true"}, {}):
        refused = family.post(path, params=params, json={"api_name": "f", **definition})
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        # The request decoder may point inside the option (/default/a), never elsewhere.
        assert [error["pointer"].startswith(pointer) for error in errors] == [True], errors
        assert words in errors[0]["message"]
    assert save_family(family) == []


@pytest.mark.parametrize(
    "definition",
    [
        {"type": "json", "default": {"a": [1, "it's"]}},
        {"type": "multi_picklist", "values": [{"value": "a"}, {"value": "b"}], "default": ["b"]},
    ],
)
def test_a_required_json_field_with_a_default_fills_the_existing_records_with_it(
    family: Api, definition: dict[str, Any]
) -> None:
    before = family.post("/data/parent", json={}).json()
    planned = family.post(
        "/admin/objects/parent/fields",
        params={"dry_run": "true"},
        json={"api_name": "f", "required": True, **definition},
    )
    assert planned.status_code == 200, planned.text
    added = family.post(
        "/admin/objects/parent/fields", json={"api_name": "f", "required": True, **definition}
    )

    assert added.status_code == 201, added.text
    assert family.get(f"/data/parent/{before['id']}").json()["f"] == definition["default"]
    assert family.post("/data/parent", json={}).json()["f"] == definition["default"]
    assert save_family(family) == []


def test_a_default_with_a_lone_surrogate_is_refused(family: Api) -> None:
    # JSON can carry a lone surrogate as an escape; no UTF-8 column can store it.
    refused = family.post(
        "/admin/objects/parent/fields",
        content=b'{"api_name": "f", "type": "text", "default": "a\\ud800"}',
        headers={"Content-Type": "application/json"},
    )

    assert refused.status_code == 422, refused.text
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/default"]
    assert "surrogate" in refused.json()["errors"][0]["message"]
    assert save_family(family) == []


def test_retyping_a_field_a_roll_up_sums_to_text_is_refused(family: Api) -> None:
    added = family.post(
        "/admin/objects/parent/fields",
        json={
            "api_name": "total",
            "type": "rollup_summary",
            "rollup": {"child": "child", "field": "n", "function": "sum"},
        },
    )
    assert added.status_code == 201, added.text

    retyped = family.patch("/admin/objects/child/fields/n", json={"type": "text"})

    assert retyped.status_code == 422, retyped.text
    assert [error["pointer"] for error in retyped.json()["errors"]] == ["/type"]
    assert "roll-up parent.total" in retyped.json()["errors"][0]["message"]
    assert save_family(family) == []


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
def test_a_json_default_with_nan_or_infinity_is_refused(family: Api, number: bytes) -> None:
    # Python's JSON parser reads these; no JSON column stores them.
    refused = family.post(
        "/admin/objects/parent/fields",
        content=b'{"api_name": "f", "type": "json", "default": {"a": [' + number + b"]}}",
        headers={"Content-Type": "application/json"},
    )

    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["pointer"] in ("/default", "/default/a/0"), error
    assert "NaN or Infinity" in error["message"]
    assert save_family(family) == []
