"""The bad-input corpus: inputs that once answered 500, each refused with a located 4xx.

Every case runs on SQLite and PostgreSQL and must answer its status with a problem
document that names the offending field or parameter in Tessera's words (never the
validator's), write nothing (record counts and the metadata revision stay as they were)
and leave the data readable afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.context import EngineContext
from engine.query.aggregates import MAX_GROUP_KEYS, MAX_METRICS
from engine.query.filters import MAX_DEPTH, MAX_TERMS, MAX_VALUES
from engine.query.sorting import MAX_SORT_KEYS
from metadata.models import MAX_LABEL_LENGTH, MAX_TEXT_OPTION_LENGTH
from runtime.app import create_app
from runtime.app.size_limits import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_URL_BYTES,
    MEBIBYTE,
    SizeLimits,
)
from tests.conftest import Api, TenantHandle
from tests.validator_wording import raw_phrases_in

REGION = {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]}
ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "notes", "type": "long_text"},
        {"api_name": "email", "type": "email"},
        {"api_name": "phone", "type": "phone"},
        {"api_name": "site", "type": "url"},
        {"api_name": "employees", "type": "integer"},
        {"api_name": "score", "type": "decimal"},
        {"api_name": "revenue", "type": "currency"},
        {"api_name": "share", "type": "percent"},
        {"api_name": "active", "type": "boolean"},
        {"api_name": "founded", "type": "date"},
        {"api_name": "last_call", "type": "datetime"},
        {"api_name": "tier", "type": "picklist", "values": [{"value": "gold"}]},
        {"api_name": "tags", "type": "multi_picklist", "values": [{"value": "vip"}]},
        {"api_name": "extra", "type": "json"},
        {"api_name": "region", "type": "lookup", "target": "region"},
    ],
}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "title", "type": "text"},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "account", "type": "lookup", "target": "account"},
    ],
}

LONE = "\ud800"


def nested(depth: int, inner: str = '{"name": "a"}') -> str:
    """A filter of `depth` nested `not`s, written as text (json.dumps would recurse)."""
    return '{"not": ' * depth + inner + "}" * depth


def or_filter(terms: int) -> str:
    return json.dumps({"or": [{"name": str(index)} for index in range(terms)]})


@dataclass(frozen=True)
class Case:
    """One bad request: what is sent, the status it gets and where its problem points."""

    name: str
    method: str
    path: str
    status: int
    where: str
    body: Any = None
    raw: str | None = None
    data: bytes | None = None
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)


def record_cases() -> list[Case]:
    """Record values of every field type, on create, update and bulk."""
    cases = [
        Case(
            "offset before year 1",
            "POST",
            "/data/account",
            422,
            "/last_call",
            body={"last_call": "0001-01-01T00:00:00+01:00"},
        ),
        Case(
            "offset past year 9999",
            "POST",
            "/data/account",
            422,
            "/last_call",
            body={"last_call": "9999-12-31T23:59:59-01:00"},
        ),
        Case("NaN", "POST", "/data/account", 422, "/employees", raw='{"employees": NaN}'),
        Case("Infinity", "POST", "/data/account", 422, "/revenue", raw='{"revenue": Infinity}'),
        Case("1e400", "POST", "/data/account", 422, "/score", raw='{"score": 1e400}'),
        Case(
            "5,000 digits",
            "POST",
            "/data/account",
            422,
            "/employees",
            raw='{"employees": ' + "9" * 5000 + "}",
        ),
        Case(
            "json nested 65 deep",
            "POST",
            "/data/account",
            422,
            "/extra/k",
            raw='{"extra": {"k": ' + "[" * 64 + "]" * 64 + "}}",
        ),
        Case(
            "lone surrogate in a key",
            "POST",
            "/data/account",
            422,
            "/\\ud800",
            raw='{"\\ud800": 1}',
        ),
        Case(
            "lone surrogate on update",
            "PATCH",
            "/data/account/{id}",
            422,
            "/name",
            raw='{"name": "\\udfff"}',
        ),
        Case(
            "lone surrogate in bulk",
            "POST",
            "/data/account/bulk",
            422,
            "/1/name",
            raw='[{"name": "ok"}, {"name": "\\ud800"}]',
        ),
        Case(
            "lone surrogate in bulk records",
            "POST",
            "/data/account/bulk",
            422,
            "/records/0/tags/0",
            raw='{"records": [{"tags": ["\\ud800"]}]}',
        ),
        Case(
            "NaN in partial bulk",
            "POST",
            "/data/account/bulk",
            422,
            "/0/score",
            raw='[{"score": NaN}]',
            params={"mode": "partial"},
        ),
        Case(
            "UTF-8 surrogate bytes",
            "POST",
            "/data/account",
            422,
            "",
            data=b'{"name": "' + LONE.encode("utf-8", "surrogatepass") + b'"}',
        ),
        Case(
            "If-Match ²",
            "PATCH",
            "/data/account/{id}",
            422,
            "/headers/If-Match",
            body={"name": "b"},
            headers={"If-Match": b"\xb2"},
        ),
        Case(
            "JSON missing a comma",
            "POST",
            "/data/account",
            422,
            "",
            raw='{"name": "a"\n "employees": 3}',
        ),
        Case("a list for a record", "POST", "/data/account", 422, "", body=[{"name": "a"}]),
        Case(
            "JSON with a trailing comma on update",
            "PATCH",
            "/data/account/{id}",
            422,
            "",
            raw='{"name": "b",}',
        ),
        Case(
            "If-Match past 64 bits",
            "DELETE",
            "/data/account/{id}",
            422,
            "/headers/If-Match",
            headers={"If-Match": "9" * 30},
        ),
    ]
    # A lone surrogate in every field type: refused where the body is decoded.
    for name in (
        "name",
        "notes",
        "email",
        "phone",
        "site",
        "tier",
        "founded",
        "last_call",
        "employees",
        "score",
        "revenue",
        "share",
        "active",
        "region",
    ):
        cases.append(
            Case(
                f"lone surrogate in {name}",
                "POST",
                "/data/account",
                422,
                f"/{name}",
                raw=f'{{"{name}": "\\ud800"}}',
            )
        )
    cases.append(
        Case(
            "lone surrogate in tags",
            "POST",
            "/data/account",
            422,
            "/tags/0",
            raw='{"tags": ["\\ud800"]}',
        )
    )
    cases.append(
        Case(
            "lone surrogate in json",
            "POST",
            "/data/account",
            422,
            "/extra/a/0",
            raw='{"extra": {"a": ["\\ud800"]}}',
        )
    )
    # Numbers written as only ASCII digits are numbers.
    for name in ("employees", "score", "revenue", "share"):
        for text in ("1_000", "١٢٣", "1e999999999"):
            cases.append(
                Case(
                    f"{text!r} in {name}",
                    "POST",
                    "/data/account",
                    422,
                    f"/{name}",
                    body={name: text},
                )
            )
            cases.append(
                Case(
                    f"{text!r} in bulk {name}",
                    "POST",
                    "/data/account/bulk",
                    422,
                    f"/0/{name}",
                    body=[{name: text}],
                )
            )
    return cases


def query_cases() -> list[Case]:
    """Query parameters of lists, aggregates and revisions."""
    return [
        Case(
            "lone surrogate in a filter",
            "GET",
            "/data/account",
            422,
            "/filter/name",
            params={"filter": '{"name": "\\ud800"}'},
        ),
        Case(
            "filter nested 3,000 deep",
            "GET",
            "/data/account",
            422,
            "/filter",
            params={"filter": nested(3000)},
        ),
        Case(
            "filter nested 70 deep",
            "GET",
            "/data/account",
            422,
            "/filter/not/not",
            params={"filter": nested(70)},
        ),
        Case(
            f"filter nested {MAX_DEPTH + 1} deep",
            "GET",
            "/data/account",
            422,
            "/filter/not",
            params={"filter": nested(MAX_DEPTH + 1)},
        ),
        Case(
            "or of 1,500 terms",
            "GET",
            "/data/account",
            422,
            "/filter",
            params={"filter": or_filter(1500)},
        ),
        Case(
            f"or of {MAX_TERMS + 1} terms",
            "GET",
            "/data/account",
            422,
            "/filter",
            params={"filter": or_filter(MAX_TERMS + 1)},
        ),
        Case(
            f"values past {MAX_VALUES}",
            "GET",
            "/data/account",
            422,
            "/filter",
            params={
                "filter": json.dumps(
                    {"and": [{"employees": {"in": list(range(MAX_VALUES))}}, {"name": "x"}]}
                )
            },
        ),
        Case(
            "in on a json field",
            "GET",
            "/data/account",
            422,
            "/filter/extra/in",
            params={"filter": json.dumps({"extra": {"in": [1]}})},
        ),
        Case(
            "offset past 9999 in a filter",
            "GET",
            "/data/account",
            422,
            "/filter/last_call/gt",
            params={"filter": json.dumps({"last_call": {"gt": "9999-12-31T23:59:59-05:00"}})},
        ),
        Case(
            "1e999999999 in a filter",
            "GET",
            "/data/account",
            422,
            "/filter/revenue",
            params={"filter": json.dumps({"revenue": "1e999999999"})},
        ),
        Case(
            "fields= with 1,700 names",
            "GET",
            "/data/account",
            422,
            "/fields",
            params={"fields": ",".join(["name"] * 1700)},
        ),
        Case(
            "expand=region,region",
            "GET",
            "/data/account",
            422,
            "/expand",
            params={"expand": "region,region"},
        ),
        Case(
            f"sort by {MAX_SORT_KEYS + 1} keys",
            "GET",
            "/data/account",
            422,
            "/sort",
            params={
                "sort": ",".join(
                    f.split(":")[0]
                    for f in [
                        "name",
                        "notes",
                        "email",
                        "phone",
                        "site",
                        "employees",
                        "score",
                        "revenue",
                        "share",
                        "active",
                        "founded",
                    ][: MAX_SORT_KEYS + 1]
                )
            },
        ),
        Case(
            "cursor nested 3,000 deep",
            "GET",
            "/data/account",
            422,
            "/cursor",
            params={"cursor": _cursor('{"s": "", "k": ' + "[" * 3000 + "]" * 3000 + "}")},
        ),
        Case(
            "lone surrogate in a cursor",
            "GET",
            "/data/account",
            422,
            "/cursor",
            params={"cursor": _cursor('{"s": "", "k": ["\\ud800"]}')},
        ),
        Case(
            "lone surrogate in an aggregate filter",
            "GET",
            "/data/account/aggregate",
            422,
            "/filter/name",
            params={"filter": '{"name": "\\ud800"}'},
        ),
        Case(
            f"{MAX_GROUP_KEYS + 1} group keys",
            "GET",
            "/data/account/aggregate",
            422,
            "/group_by",
            params={"group_by": ",".join(["name"] * (MAX_GROUP_KEYS + 1))},
        ),
        Case(
            f"{MAX_METRICS + 1} metrics",
            "GET",
            "/data/account/aggregate",
            422,
            "/metrics",
            params={"metrics": ",".join(["count"] * (MAX_METRICS + 1))},
        ),
        Case(
            "?orderby= on a list",
            "GET",
            "/data/account",
            422,
            "/orderby",
            params={"orderby": "name"},
        ),
        Case(
            "?sort= on a record",
            "GET",
            "/data/account/{id}",
            422,
            "/sort",
            params={"sort": "name"},
        ),
        Case(
            "fields= naming no field on a record",
            "GET",
            "/data/account/{id}",
            422,
            "/fields",
            params={"fields": "nmae"},
        ),
        Case(
            "expand= of a text field on a record",
            "GET",
            "/data/account/{id}",
            422,
            "/expand",
            params={"expand": "name"},
        ),
        Case(
            "a filter that is not JSON",
            "GET",
            "/data/account",
            422,
            "/filter",
            params={"filter": "{name: 'a'}"},
        ),
        Case("limit=ten", "GET", "/data/account", 422, "/limit", params={"limit": "ten"}),
        Case(
            "?dry_run= on a bulk write",
            "POST",
            "/data/account/bulk",
            422,
            "/dry_run",
            params={"dry_run": "true"},
            body=[{"name": "x"}],
        ),
        Case(
            "?before=2147483648",
            "GET",
            "/admin/revisions",
            422,
            "/before",
            params={"before": 2147483648},
        ),
    ]


def limit_cases() -> list[Case]:
    """Requests past the size limits of the default server."""
    return [
        Case(
            "a URL past the limit",
            "GET",
            "/data/account",
            414,
            "TESSERA_MAX_URL_BYTES",
            params={"filter": json.dumps({"name": "x" * DEFAULT_MAX_URL_BYTES})},
        ),
        Case(
            "a body past the limit",
            "POST",
            "/data/account/bulk",
            413,
            "TESSERA_MAX_BODY_BYTES",
            raw=" " * (DEFAULT_MAX_BODY_BYTES + 1),
        ),
    ]


def _cursor(document: str) -> str:
    import base64

    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def metadata_cases() -> list[Case]:
    """Bodies of the admin API: names, labels, defaults, expressions, filters, sizes."""
    fields = "/admin/objects/account/fields"
    cases = [
        Case(
            f"field named {name}",
            "POST",
            fields,
            422,
            "/api_name",
            body={"api_name": name, "type": "text"},
        )
        for name in ("ctid", "xmin", "tableoid", "cmin", "cmax", "xmax", "oid")
    ]
    cases += [
        Case(
            f"object named {name}",
            "POST",
            "/admin/objects",
            422,
            "/api_name",
            body={"api_name": name},
        )
        for name in ("sqlite_master", "sqlite_sequence", "sqlite_stat1", "pg_class")
    ]
    long_label = "x" * (MAX_LABEL_LENGTH + 1)
    cases += [
        Case(
            "rename to sqlite_x",
            "PATCH",
            "/admin/objects/deal",
            422,
            "/api_name",
            body={"api_name": "sqlite_x"},
        ),
        Case(
            "rename a field to ctid",
            "PATCH",
            f"{fields}/name",
            422,
            "/api_name",
            body={"api_name": "ctid"},
        ),
        Case(
            "field label past 255",
            "POST",
            fields,
            422,
            "/label",
            body={"api_name": "big", "type": "text", "label": long_label},
        ),
        Case(
            "field relabel past 255",
            "PATCH",
            f"{fields}/name",
            422,
            "/label",
            body={"label": long_label},
        ),
        Case(
            "object label past 255",
            "POST",
            "/admin/objects",
            422,
            "/label",
            body={"api_name": "big", "label": long_label},
        ),
        Case(
            "object relabel past 255",
            "PATCH",
            "/admin/objects/deal",
            422,
            "/plural_label",
            body={"plural_label": long_label},
        ),
        Case(
            "picklist label past 255",
            "POST",
            fields,
            422,
            "/values/0/label",
            body={
                "api_name": "big",
                "type": "picklist",
                "values": [{"value": "a", "label": long_label}],
            },
        ),
        Case(
            "help text past the limit",
            "POST",
            fields,
            422,
            "/help_text",
            body={
                "api_name": "big",
                "type": "text",
                "help_text": "h" * (MAX_TEXT_OPTION_LENGTH + 1),
            },
        ),
        Case(
            "lone surrogate in a label",
            "POST",
            fields,
            422,
            "/label",
            raw='{"api_name": "big", "type": "text", "label": "\\ud800"}',
        ),
        Case(
            "lone surrogate in a default",
            "POST",
            fields,
            422,
            "/default",
            raw='{"api_name": "big", "type": "text", "default": "\\ud800"}',
        ),
        Case(
            "lone surrogate in a help text",
            "PATCH",
            f"{fields}/name",
            422,
            "/help_text",
            raw='{"help_text": "\\ud800"}',
        ),
        Case(
            "NUL in an object label",
            "POST",
            "/admin/objects",
            422,
            "/label",
            raw='{"api_name": "big", "label": "a\\u0000b"}',
        ),
        Case(
            "lone surrogate in a description",
            "POST",
            "/admin/objects",
            422,
            "/description",
            raw='{"api_name": "big", "description": "\\ud800"}',
        ),
        Case(
            "lone surrogate in a rule message",
            "POST",
            "/admin/objects/account/validation-rules",
            422,
            "/message",
            raw='{"api_name": "r", "expression": "False", "message": "\\ud800"}',
        ),
        Case(
            "lone surrogate in a roll-up filter",
            "POST",
            fields,
            422,
            "/rollup/filter/title",
            raw='{"api_name": "n", "type": "rollup_summary", '
            '"rollup": {"child": "deal", "function": "count", "filter": {"title": "\\ud800"}}}',
        ),
        Case(
            "roll-up filter of 900 terms",
            "POST",
            fields,
            422,
            "/rollup/filter",
            body=_rollup({"or": [{"title": str(i)} for i in range(900)]}),
        ),
        Case(
            "roll-up filter of 100,000 terms",
            "POST",
            fields,
            422,
            "/rollup/filter",
            body=_rollup({"or": [{"title": str(i)} for i in range(100_000)]}),
        ),
        Case(
            "roll-up filter of 100,000 values",
            "POST",
            fields,
            422,
            "/rollup/filter",
            body=_rollup({"title": {"in": [str(i) for i in range(100_000)]}}),
        ),
        Case(
            f"dry run of a roll-up filter of {MAX_TERMS + 1} terms",
            "POST",
            fields,
            422,
            "/rollup/filter",
            params={"dry_run": "true"},
            body=_rollup({"or": [{"title": str(i)} for i in range(MAX_TERMS + 1)]}),
        ),
        Case(
            "expression of 3,999 minus signs",
            "POST",
            fields,
            422,
            "/expression",
            body={
                "api_name": "f",
                "type": "formula",
                "return_type": "decimal",
                "expression": "-" * 3999 + "1",
            },
        ),
        Case(
            "rule of 3,999 minus signs",
            "POST",
            "/admin/objects/account/validation-rules",
            422,
            "/expression",
            body={"api_name": "r", "expression": "-" * 3999 + "1 > 0", "message": "m"},
        ),
        Case(
            "default offset past 9999",
            "POST",
            fields,
            422,
            "/default",
            body={"api_name": "d", "type": "datetime", "default": "9999-12-31T23:59:59-05:00"},
        ),
        Case(
            "default 1_000",
            "POST",
            fields,
            422,
            "/default",
            body={"api_name": "d", "type": "currency", "default": "1_000"},
        ),
        Case(
            "default 1e999999999",
            "POST",
            fields,
            422,
            "/default",
            body={"api_name": "d", "type": "decimal", "default": "1e999999999"},
        ),
        Case(
            "min in Arabic-Indic digits",
            "POST",
            fields,
            422,
            "/min",
            body={"api_name": "d", "type": "decimal", "min": "١٢٣"},
        ),
        Case(
            "a field type of another platform",
            "POST",
            fields,
            422,
            "/type",
            body={"api_name": "big", "type": "string"},
        ),
        Case(
            "picklist values that are numbers",
            "POST",
            fields,
            422,
            "/values/0",
            body={"api_name": "big", "type": "picklist", "values": [1, 2]},
        ),
        Case(
            "a mistyped option and an unknown target",
            "POST",
            fields,
            422,
            "/target",
            body={"api_name": "big", "type": "lookup", "target": "regoin", "unique": "very"},
        ),
        Case(
            "an unknown key in an object",
            "POST",
            "/admin/objects",
            422,
            "/lable",
            body={"api_name": "big", "lable": "Big"},
        ),
        Case(
            "?dryrun= on a field change",
            "PATCH",
            f"{fields}/name",
            422,
            "/dryrun",
            params={"dryrun": "true"},
            body={"label": "Name"},
        ),
        Case(
            "a rule written as in another CRM",
            "POST",
            "/admin/objects/account/validation-rules",
            422,
            "/expression",
            body={"api_name": "r", "expression": "name = 'x' && employees > 3", "message": "m"},
        ),
        Case(
            "more columns than a table holds",
            "POST",
            "/admin/objects",
            422,
            "/fields",
            body={
                "api_name": "wide",
                "fields": [{"api_name": f"f{i}", "type": "boolean"} for i in range(1594)],
            },
        ),
    ]
    return cases


def _rollup(filter_document: dict[str, Any]) -> dict[str, Any]:
    return {
        "api_name": "counted",
        "type": "rollup_summary",
        "rollup": {"child": "deal", "function": "count", "filter": filter_document},
    }


@pytest.fixture
def crm(engine_context: EngineContext, tenant: TenantHandle) -> Iterator[tuple[Api, str]]:
    """The CRM objects and one account, served with URLs of up to 1 MiB.

    Query cases are long; with the default URL limit they would stop at the 414 and never
    reach the engine's own limits, which hold for any URL limit an operator sets.
    """
    limits = SizeLimits(max_url_bytes=MEBIBYTE)
    with TestClient(create_app(engine_context, limits=limits)) as client:
        api = Api(client=client, tenant=tenant)
        for document in (REGION, ACCOUNT, DEAL):
            assert api.post("/admin/objects", json=document).status_code == 201
        account = api.post("/data/account", json={"name": "Acme", "employees": 3})
        assert account.status_code == 201, account.text
        yield api, account.json()["id"]


def _snapshot(api: Api, record_id: str) -> dict[str, Any]:
    """Everything a refused request must leave as it was; reading it must work."""
    record = api.get(f"/data/account/{record_id}")
    assert record.status_code == 200, record.text
    counts = {}
    for name in ("account", "deal"):
        listing = api.get(f"/data/{name}", params={"count": "true", "limit": 200})
        assert listing.status_code == 200, listing.text
        counts[name] = listing.json()["total"]
    revisions = api.get("/admin/revisions", params={"limit": 1}).json()["data"]
    return {"record": record.json(), "counts": counts, "revision": revisions[0]["number"]}


def _send(api: Api, case: Case, record_id: str) -> Any:
    path = case.path.format(id=record_id)
    kwargs: dict[str, Any] = {"params": case.params, "headers": dict(case.headers)}
    if case.data is not None:
        kwargs["content"] = case.data
        kwargs["headers"]["Content-Type"] = "application/json"
    elif case.raw is not None:
        kwargs["content"] = case.raw.encode("utf-8", "surrogatepass")
        kwargs["headers"]["Content-Type"] = "application/json"
    elif case.body is not None:
        kwargs["json"] = case.body
    return api.request(case.method, path, **kwargs)


def _names(problem: dict[str, Any], where: str) -> bool:
    """Whether the problem document points at `where` (or, for request limits, names it)."""
    if where.startswith("/") or where == "":
        pointers = [error["pointer"] for error in problem.get("errors", [])]
        # The empty pointer is the whole document: it must be named as such.
        return any(
            pointer == where if not where else pointer.startswith(where) for pointer in pointers
        )
    return where in problem["detail"]


def _run(crm: tuple[Api, str], cases: list[Case]) -> None:
    api, record_id = crm
    before = _snapshot(api, record_id)
    failures: list[str] = []
    for case in cases:
        response = _send(api, case, record_id)
        problem: dict[str, Any] = {}
        if response.headers.get("content-type") == "application/problem+json":
            problem = response.json()
        if response.status_code != case.status:
            failures.append(f"{case.name}: {response.status_code} {response.text[:300]}")
        elif not problem:
            failures.append(f"{case.name}: not a problem document: {response.text[:200]}")
        elif not _names(problem, case.where):
            failures.append(f"{case.name}: does not name {case.where!r}: {problem}")
        elif raw_phrases_in(response.text):
            failures.append(f"{case.name}: speaks the validator's words: {response.text[:300]}")
        elif _snapshot(api, record_id) != before:
            failures.append(f"{case.name}: something was written")
    assert failures == [], "\n".join(failures)


def test_every_bad_record_value_is_refused_where_it_is_and_nothing_is_written(
    crm: tuple[Api, str],
) -> None:
    _run(crm, record_cases())


def test_every_bad_query_parameter_is_refused_by_name_and_nothing_is_written(
    crm: tuple[Api, str],
) -> None:
    _run(crm, query_cases())


def test_every_bad_metadata_body_is_refused_where_it_is_and_nothing_is_written(
    crm: tuple[Api, str],
) -> None:
    _run(crm, metadata_cases())


def test_requests_past_the_size_limits_get_413_and_414_and_nothing_is_written(
    api: Api,
) -> None:
    for document in (REGION, ACCOUNT, DEAL):
        assert api.post("/admin/objects", json=document).status_code == 201
    account = api.post("/data/account", json={"name": "Acme"})
    _run((api, account.json()["id"]), limit_cases())


def test_a_filter_at_every_limit_runs_on_lists_counts_aggregates_and_roll_ups(
    crm: tuple[Api, str],
) -> None:
    api, record_id = crm
    terms: list[Any] = [{"title": str(index)} for index in range(MAX_TERMS - 2)]
    terms.append({"title": {"in": [f"v{index}" for index in range(MAX_VALUES - MAX_TERMS + 1)]}})
    # An even number of nots, as deep as filters go: the same as {"title": "nope"}.
    terms.append(json.loads(nested(MAX_DEPTH - 2, '{"title": "nope"}')))
    document = {"or": terms}
    listing = api.get("/data/deal", params={"filter": json.dumps(document), "count": "true"})
    assert listing.status_code == 200, listing.text
    grouped = api.get("/data/deal/aggregate", params={"filter": json.dumps(document)})
    assert grouped.status_code == 200, grouped.text
    deep = json.loads(nested(MAX_DEPTH, '{"name": "Acme"}'))
    assert api.get("/data/account", params={"filter": json.dumps(deep)}).status_code == 200
    rollup = _rollup(document)
    added = api.post("/admin/objects/account/fields", json=rollup)
    assert added.status_code == 201, added.text
    for title in ("0", "nope", "other"):
        created = api.post("/data/deal", json={"title": title, "account": record_id})
        assert created.status_code == 201, created.text
    # "0" matches a term, "nope" the deepest one, "other" none.
    assert api.get(f"/data/account/{record_id}").json()["counted"] == 2
    recalculated = api.post("/admin/objects/account/fields/counted/recalculate")
    assert recalculated.status_code == 200, recalculated.text


def test_an_object_with_as_many_columns_as_a_table_holds_works(api: Api) -> None:
    fields = [{"api_name": f"f{index}", "type": "boolean"} for index in range(1593)]
    created = api.post("/admin/objects", json={"api_name": "wide", "fields": fields})
    assert created.status_code == 201, created.text[:300]
    record = api.post("/data/wide", json={"f0": True, "f1592": False})
    assert record.status_code == 201, record.text[:300]
    fetched = api.get(f"/data/wide/{record.json()['id']}").json()
    assert (fetched["f0"], fetched["f1592"], fetched["f7"]) == (True, False, None)
    one_more = api.post("/admin/objects/wide/fields", json={"api_name": "extra", "type": "text"})
    assert one_more.status_code == 422
    assert one_more.json()["errors"][0]["code"] == "too-many-columns"
