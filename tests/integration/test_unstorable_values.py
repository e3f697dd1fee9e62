"""Every way a value comes in finds the same unstorable part in it, and refuses it by its codes.

One corpus of values no database stores goes through each entry point: a request body,
a record value (through the HTTP API, the engine and a JSON Lines import), a metadata
default and label (through the admin API and the engine). Each must find the same flaw
at the same place, answered with that entry point's own code, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from engine import metadata_changes
from engine.errors import MetadataError, RecordValidationError
from engine.records import create_record
from engine.storable_json import MAX_INT_DIGITS, MAX_JSON_DEPTH, Flaw, find_unstorable
from metadata.models import FieldDef, ObjectPatch, ValidationRuleDef
from runtime.cli import app
from tests.conftest import Api

#: The words every message of a flaw carries, whichever entry point writes it.
WORDS = {
    Flaw.NUL_CHARACTER: "NUL character",
    Flaw.LONE_SURROGATE: "lone surrogate",
    Flaw.NOT_FINITE: "NaN",
    Flaw.TOO_MANY_DIGITS: "digits",
    Flaw.TOO_DEEP: f"deeper than {MAX_JSON_DEPTH}",
}
#: The code metadata answers each flaw with (requests and records answer `flaw.code`).
METADATA_CODES = {
    Flaw.NUL_CHARACTER: "unstorable-text",
    Flaw.LONE_SURROGATE: "unstorable-text",
    Flaw.NOT_FINITE: "unstorable-value",
    Flaw.TOO_MANY_DIGITS: "unstorable-value",
    Flaw.TOO_DEEP: "unstorable-value",
}


@dataclass(frozen=True)
class Bad:
    """A value no database stores: as Python holds it, as JSON text, what and where it is.

    `pointer` is below the value's root; None where nesting is the flaw, since a body
    nests the value one level deeper than the value itself.
    """

    name: str
    value: Any
    text: str
    flaw: Flaw
    pointer: str | None


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


BIG = 10**MAX_INT_DIGITS
CORPUS = [
    Bad("NUL in a string", {"a": ["x\x00y"]}, '{"a": ["x\\u0000y"]}', Flaw.NUL_CHARACTER, "/a/0"),
    Bad(
        "NUL in a key",
        {"b": {"k\x00": 1}},
        '{"b": {"k\\u0000": 1}}',
        Flaw.NUL_CHARACTER,
        "/b/k\x00",
    ),
    Bad("lone surrogate", {"a": "\ud800"}, '{"a": "\\ud800"}', Flaw.LONE_SURROGATE, "/a"),
    Bad(
        "lone surrogate in a key",
        {"\udc00": 1},
        '{"\\udc00": 1}',
        Flaw.LONE_SURROGATE,
        "/\\udc00",
    ),
    Bad("NaN", {"a": [1, math.nan]}, '{"a": [1, NaN]}', Flaw.NOT_FINITE, "/a/1"),
    Bad("Infinity", {"b": math.inf}, '{"b": Infinity}', Flaw.NOT_FINITE, "/b"),
    Bad("-Infinity", [-math.inf], "[-Infinity]", Flaw.NOT_FINITE, "/0"),
    Bad("a number of 1,001 digits", {"n": BIG}, f'{{"n": {BIG}}}', Flaw.TOO_MANY_DIGITS, "/n"),
    Bad(
        "nested 70 levels",
        nested(70),
        "[" * 70 + "]" * 70,
        Flaw.TOO_DEEP,
        None,
    ),
]
TEXTS = [
    Bad("NUL in a text", "x\x00y", '"x\\u0000y"', Flaw.NUL_CHARACTER, ""),
    Bad("lone surrogate in a text", "a\udfffb", '"a\\udfffb"', Flaw.LONE_SURROGATE, ""),
]

runner = CliRunner()


@pytest.fixture
def thing(api: Api) -> Api:
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "thing",
            "fields": [{"api_name": "name", "type": "text"}, {"api_name": "extra", "type": "json"}],
        },
    )
    assert created.status_code == 201, created.text
    return api


def post_raw(api: Api, path: str, text: str) -> Any:
    return api.post(
        path,
        content=text.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json"},
    )


def assert_refused(response: Any, bad: Bad, *, code: str, base: str) -> None:
    """The response is a 422 naming `bad`'s flaw at its place below `base`."""
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert WORDS[bad.flaw] in error["message"]
    if bad.pointer is None:
        assert error["pointer"].startswith(base), error
    else:
        assert error["pointer"] == base + bad.pointer, error


def assert_record_refused(api: Api, bad: Bad, *, field: str) -> None:
    """A record holding `bad` in `field` is refused in a body and by the engine alike."""
    body = post_raw(api, "/data/thing", f'{{"{field}": {bad.text}}}')
    assert_refused(body, bad, code=bad.flaw.code, base=f"/{field}")
    # A record value that reaches the engine without a body (workflows, seed data).
    with pytest.raises(RecordValidationError) as refused:
        create_record(api.tenant.context(), "thing", {field: bad.value})
    (problem,) = refused.value.problems
    assert (problem.pointer, problem.code) == (f"/{field}", bad.flaw.code)
    assert WORDS[bad.flaw] in problem.detail


def assert_metadata_refused(change: Callable[[], Any], bad: Bad, *, pointer: str) -> None:
    """A metadata change through the engine is refused with one problem at `pointer`."""
    with pytest.raises(MetadataError) as invalid:
        change()
    (problem,) = invalid.value.problems
    assert (problem.pointer, problem.code) == (pointer, METADATA_CODES[bad.flaw])
    assert WORDS[bad.flaw] in problem.detail


def test_the_corpus_is_what_the_walk_finds() -> None:
    for bad in [*CORPUS, *TEXTS]:
        found = find_unstorable(bad.value)
        assert found is not None, bad.name
        assert found.flaw is bad.flaw, bad.name
        assert bad.pointer is None or found.pointer() == bad.pointer, bad.name


@pytest.mark.parametrize("bad", CORPUS, ids=lambda bad: bad.name)
def test_a_bad_value_is_found_alike_in_a_body_a_record_and_a_default(
    thing: Api, bad: Bad, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = thing.tenant.context()
    assert_record_refused(thing, bad, field="extra")

    # A record of a JSON Lines import.
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    path = tmp_path / "things.jsonl"
    path.write_text(f'{{"name": "ok"}}\n{{"extra": {bad.text}}}\n', "utf-8", "surrogatepass")
    result = runner.invoke(app, ["data", "import", thing.tenant.name, "thing", str(path), "--json"])
    assert result.exit_code == 1, result.output
    (error,) = json.loads(result.output)["errors"]
    assert (error["line"], error["field"], error["code"]) == (2, "extra", bad.flaw.code)
    assert WORDS[bad.flaw] in error["message"]

    # A metadata default, through the admin API and through the engine.
    admin = post_raw(
        thing,
        "/admin/objects/thing/fields",
        f'{{"api_name": "d", "type": "json", "default": {bad.text}}}',
    )
    assert_refused(admin, bad, code=bad.flaw.code, base="/default")
    found = find_unstorable(bad.value)
    assert found is not None
    definition = FieldDef(api_name="d", type="json", default=bad.value)
    assert_metadata_refused(
        partial(metadata_changes.add_field, context, "thing", definition),
        bad,
        pointer=found.pointer("/default"),
    )

    # Nothing of it was written.
    listing = thing.get("/data/thing", params={"count": "true"}).json()
    assert [record["name"] for record in listing["data"]] == ["ok"]
    names = [f["api_name"] for f in thing.get("/admin/objects/thing").json()["fields"]]
    assert names == ["name", "extra"]


@pytest.mark.parametrize("bad", TEXTS, ids=lambda bad: bad.name)
def test_a_bad_text_is_found_alike_in_a_record_and_a_label(thing: Api, bad: Bad) -> None:
    context = thing.tenant.context()
    assert_record_refused(thing, bad, field="name")

    admin = post_raw(
        thing,
        "/admin/objects/thing/fields",
        f'{{"api_name": "d", "type": "text", "label": {bad.text}}}',
    )
    assert_refused(admin, bad, code=bad.flaw.code, base="/label")
    options = [
        ({"type": "text", "label": bad.value}, "/label"),
        ({"type": "text", "help_text": bad.value}, "/help_text"),
        ({"type": "picklist", "values": [{"value": "a", "label": bad.value}]}, "/values/0/label"),
    ]
    for option, pointer in options:
        try:
            definition = FieldDef.model_validate({"api_name": "d", **option})
        except ValidationError:
            # pydantic keeps lone surrogates out of the texts it checks: refused even sooner.
            assert bad.flaw is Flaw.LONE_SURROGATE
            continue
        assert_metadata_refused(
            partial(metadata_changes.add_field, context, "thing", definition),
            bad,
            pointer=pointer,
        )
    if bad.flaw is not Flaw.LONE_SURROGATE:
        patch = ObjectPatch(description=bad.value)
        assert_metadata_refused(
            partial(metadata_changes.update_object, context, "thing", patch),
            bad,
            pointer="/description",
        )
        rule = ValidationRuleDef(api_name="r", expression="False", message=bad.value)
        assert_metadata_refused(
            partial(metadata_changes.add_rule, context, "thing", rule), bad, pointer="/message"
        )
