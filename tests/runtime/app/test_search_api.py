"""GET /api/v1/search: ranked records of every searchable object, grouped by object."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.context import EngineContext
from runtime.app import create_app
from runtime.app.size_limits import SizeLimits
from tests.conftest import Api

OBJECTS = [
    {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text", "searchable": True},
            {"api_name": "description", "type": "long_text", "searchable": True},
            {"api_name": "email", "type": "email", "searchable": True},
            {"api_name": "code", "type": "text"},
        ],
    },
    {
        "api_name": "contact",
        "fields": [
            {"api_name": "last_name", "type": "text", "searchable": True},
            {"api_name": "notes", "type": "long_text", "searchable": True},
        ],
    },
    {
        "api_name": "invoice",
        "fields": [
            {
                "api_name": "number",
                "type": "auto_number",
                "format": "INV-{0000}",
                "searchable": True,
            },
            {"api_name": "amount", "type": "integer"},
        ],
    },
    {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]},
]


@pytest.fixture
def crm(api: Api) -> Api:
    for document in OBJECTS:
        response = api.post("/admin/objects", json=document)
        assert response.status_code == 201, response.text
    return api


def search(api: Api, q: str, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def found(api: Api, q: str, object_name: str = "account", **params: Any) -> list[str | None]:
    """The display names found in one object, best first."""
    for group in search(api, q, **params)["data"]:
        if group["object"] == object_name:
            return [record["display_name"] for record in group["records"]]
    return []


def test_a_record_found_in_its_name_ranks_above_one_found_in_another_field(crm: Api) -> None:
    crm.create("account", name="Harbour Supplies", description="ships with northwind")
    crm.create("account", name="Northwind Traders")
    assert found(crm, "northwind") == ["Northwind Traders", "Harbour Supplies"]


def test_an_exact_name_ranks_above_a_leading_one_and_that_above_one_inside_a_name(
    crm: Api,
) -> None:
    crm.create("account", name="The Acme Group")
    crm.create("account", name="Acme Holdings")
    crm.create("account", name="acme")
    records = search(crm, "Acme")["data"][0]["records"]
    assert [(r["display_name"], r["score"]) for r in records] == [
        ("acme", 20),
        ("Acme Holdings", 15),
        ("The Acme Group", 10),
    ]


def test_equal_scores_are_ordered_by_relevance_on_postgresql_then_by_name(crm: Api) -> None:
    crm.create("account", name="Alpha", description="works with acme")
    crm.create("account", name="Beta", description="the acme, acme and acme group")
    records = search(crm, "acme")["data"][0]["records"]
    assert [r["score"] for r in records] == [2, 2]
    by_relevance = crm.tenant.engine.dialect_name == "postgresql"
    expected = ["Beta", "Alpha"] if by_relevance else ["Alpha", "Beta"]
    assert [r["display_name"] for r in records] == expected


def test_each_record_says_which_fields_hold_the_words(crm: Api) -> None:
    record_id = crm.create(
        "account",
        name="Fabrikam",
        description="Fabrikam audits",
        email="info@fabrikam.example",
    )
    crm.create("account", name="Other", code="fabrikam")
    (group,) = search(crm, "fabrikam")["data"]
    assert group["records"] == [
        {
            "id": record_id,
            "display_name": "Fabrikam",
            "score": 23,
            "matches": ["name", "description", "email"],
        }
    ]


def test_every_word_must_be_found_in_some_searchable_field(crm: Api) -> None:
    crm.create("account", name="Contoso", description="pharma wholesale")
    crm.create("account", name="Contoso Retail")
    assert found(crm, "contoso pharma") == ["Contoso"]
    assert found(crm, "pharma contoso") == ["Contoso"]


def test_a_name_holding_every_word_ranks_above_one_holding_some(crm: Api) -> None:
    crm.create("account", name="Fabrikam", description="pharma wholesale")
    crm.create("account", name="Pharma of Fabrikam")
    crm.create("account", name="Fabrikam Pharma")
    records = search(crm, "fabrikam pharma")["data"][0]["records"]
    assert [(r["display_name"], r["score"], r["matches"]) for r in records] == [
        ("Fabrikam Pharma", 20, ["name"]),
        ("Pharma of Fabrikam", 10, ["name"]),
        ("Fabrikam", 6, ["name", "description"]),
    ]


def test_results_are_grouped_by_object_the_best_group_first(crm: Api) -> None:
    crm.create("account", name="Zenith Partners")
    crm.create("contact", last_name="Zenith")
    crm.create("region", name="Zenith")
    answer = search(crm, "zenith")
    assert [(g["object"], g["label"], g["plural_label"]) for g in answer["data"]] == [
        ("contact", "Contact", "Contacts"),
        ("account", "Account", "Accounts"),
    ]
    assert answer["searched"] == ["account", "contact", "invoice"]
    assert answer["data"][0]["has_more"] is False


def test_objects_narrows_the_search_and_limit_caps_each_group(crm: Api) -> None:
    for suffix in ("A", "B", "C"):
        crm.create("account", name=f"Globex {suffix}")
    crm.create("contact", last_name="Globex")
    answer = search(crm, "globex", objects="account", limit=2)
    (group,) = answer["data"]
    assert group["object"] == "account"
    assert [r["display_name"] for r in group["records"]] == ["Globex A", "Globex B"]
    assert group["has_more"] is True
    assert answer["searched"] == ["account"]


def test_an_auto_number_names_its_record_and_is_found(crm: Api) -> None:
    crm.create("invoice", amount=10)
    crm.create("invoice", amount=20)
    assert found(crm, "INV-0002", "invoice") == ["INV-0002"]
    assert found(crm, "inv-00", "invoice") == ["INV-0001", "INV-0002"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("两票", ["北京科技有限公司"]),
        ("两票制", ["北京科技有限公司"]),
        ("科技", ["上海科技", "北京科技有限公司"]),
        ("北京科技有限公司", ["北京科技有限公司"]),
        ("有限", ["北京科技有限公司"]),
        ("科", ["上海科技", "北京科技有限公司"]),
    ],
)
def test_chinese_text_is_found_by_words_of_any_length(
    crm: Api, q: str, expected: list[str]
) -> None:
    crm.create("account", name="北京科技有限公司", description="两票制合规")
    crm.create("account", name="上海科技")
    crm.create("account", name="Acme", description="无关")
    assert found(crm, q) == expected


@pytest.mark.parametrize(
    ("q", "name", "score"),
    [
        ("иванов", "Иванов", 20),
        ("ÉCLAIR", "éclair", 20),
        ("ив", "Иванов", 15),
        ("Éc", "éclair", 15),
    ],
)
def test_case_is_ignored_in_every_script(crm: Api, q: str, name: str, score: int) -> None:
    crm.create("account", name="Иванов")
    crm.create("account", name="éclair")
    (record,) = search(crm, q)["data"][0]["records"]
    assert (record["display_name"], record["score"], record["matches"]) == (name, score, ["name"])


@pytest.mark.postgresql_only
def test_english_word_forms_are_found_on_postgresql(crm: Api) -> None:
    crm.create("account", name="Litware", description="Invoice overdue")
    (record,) = search(crm, "invoices")["data"][0]["records"]
    assert (record["display_name"], record["matches"]) == ("Litware", ["description"])
    assert found(crm, "overdue invoicing") == ["Litware"]


def test_fields_that_are_not_searchable_are_not_searched(crm: Api) -> None:
    crm.create("account", name="Tailspin", code="QX-99")
    crm.create("region", name="Quixote")
    assert search(crm, "QX-99")["data"] == []
    assert search(crm, "Quixote")["data"] == []


def test_like_wildcards_and_query_syntax_are_searched_for_literally(crm: Api) -> None:
    crm.create("account", name="delta 100%")
    crm.create("account", name="1000 ways")
    crm.create("account", name='say "hi" (now): yes*')
    assert found(crm, "0%") == ["delta 100%"]
    assert found(crm, "10_0") == []
    assert found(crm, '"hi"') == ['say "hi" (now): yes*']
    assert found(crm, "(now):") == ['say "hi" (now): yes*']
    assert found(crm, "yes*") == ['say "hi" (now): yes*']


@pytest.mark.parametrize(
    "q",
    [
        '"*(:',
        '"',
        '""',
        "*",
        "(",
        ")",
        ":",
        "NEAR(a b)",
        "a OR b",
        "NOT",
        "AND",
        "-x",
        "^a",
        "name:acme",
        "{name}: acme",
        "'",
        "\\",
        "%",
        "_",
        "&|!<->",
        "a" * 200,
    ],
)
def test_any_text_within_the_limits_is_a_search_never_an_error(crm: Api, q: str) -> None:
    crm.create("account", name="Acme")
    response = crm.get("/search", params={"q": q})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("params", "pointer", "code"),
    [
        ({}, "/q", "missing-text"),
        ({"q": ""}, "/q", "missing-text"),
        ({"q": "  "}, "/q", "missing-text"),
        ({"q": "x" * 201}, "/q", "too-long"),
        ({"q": "a\x00b"}, "/q", "invalid-character"),
        ({"q": " ".join(f"w{i}" for i in range(11))}, "/q", "too-many-words"),
        ({"q": "x", "objects": "nothing"}, "/objects/0", "unknown-object"),
        ({"q": "x", "objects": "region"}, "/objects/0", "not-searchable"),
        ({"q": "x", "objects": "account,account"}, "/objects/1", "repeated-name"),
        ({"q": "x", "sort": "name"}, "/sort", "unknown-parameter"),
        ({"q": "x", "limit": "0"}, "/limit", "out-of-range"),
        ({"q": "x", "limit": "51"}, "/limit", "out-of-range"),
    ],
)
def test_a_bad_search_is_a_problem_document_that_says_where(
    crm: Api, params: dict[str, str], pointer: str, code: str
) -> None:
    response = crm.get("/search", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [(pointer, code)]


@pytest.mark.parametrize("q", ["x" * 10_000, "科" * 2_000])
def test_thousands_of_characters_are_refused_by_the_url_limit_or_else_the_text_limit(
    crm: Api, engine_context: EngineContext, q: str
) -> None:
    response = crm.get("/search", params={"q": q})
    assert response.status_code == 414
    assert response.json()["type"] == "/problems/url-too-long"
    roomy = create_app(engine_context, limits=SizeLimits(max_url_bytes=1_000_000))
    with TestClient(roomy) as client:
        response = Api(client, crm.tenant).get("/search", params={"q": q})
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [("/q", "too-long")]


def test_every_problem_of_a_search_is_reported_at_once(crm: Api) -> None:
    response = crm.get("/search", params={"q": "", "objects": "nothing,region"})
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/q", "missing-text"),
        ("/objects/0", "unknown-object"),
        ("/objects/1", "not-searchable"),
    ]


def test_a_tenant_without_searchable_fields_finds_nothing(api: Api) -> None:
    assert api.post("/admin/objects", json=OBJECTS[-1]).status_code == 201
    assert search(api, "anything") == {"data": [], "searched": []}


def test_searchable_on_a_field_search_cannot_read_is_refused_when_saved(crm: Api) -> None:
    response = crm.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "tier",
            "type": "picklist",
            "values": [{"value": "a"}],
            "searchable": True,
        },
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/searchable", "option-not-allowed")
    assert "text" in error["message"] and "long_text" in error["message"]
    response = crm.patch(
        "/admin/objects/account/fields/code", json={"type": "integer", "searchable": True}
    )
    assert response.status_code == 422


def test_a_field_document_says_searchable_only_when_it_is(crm: Api) -> None:
    fields = {f["api_name"]: f for f in crm.get("/admin/objects/account/fields").json()["data"]}
    assert fields["name"]["searchable"] is True
    assert "searchable" not in fields["code"]
    assert (
        "searchable"
        not in crm.patch("/admin/objects/account/fields/name", json={"searchable": False}).json()
    )


def test_the_search_is_described_in_the_openapi_document(crm: Api) -> None:
    document = crm.client.get("/openapi.json", headers=crm.tenant.headers).json()
    parameters = document["paths"]["/api/v1/search"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["q", "objects", "limit"]
