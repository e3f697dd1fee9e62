"""Field-level security: unreadable fields vanish, read-only fields refuse writes, and no
query can filter, sort, group or follow a path through what the caller may not read."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Api, add_user
from tests.runtime.app.permission_world import SECRET, World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def _as(world: World, email: str, permission_set: dict[str, object]) -> Api:
    """A user holding one permission set made for the test."""
    assert world.admin.post("/admin/permission-sets", json=permission_set).status_code == 201
    handle = add_user(world.admin.tenant, email, permission_sets=(str(permission_set["api_name"]),))
    return Api(client=world.admin.client, tenant=handle)


def test_an_unreadable_field_vanishes_from_every_read(world: World) -> None:
    rep = world.as_user("rep")
    account = world.ids["account"]
    assert "secret_note" not in rep.get(f"/data/account/{account}").json()
    assert "secret_note" not in rep.get(f"/data/account/{account}?fields=name").json()
    assert "secret_note" not in rep.get("/data/account").json()["data"][0]
    expanded = rep.get(f"/data/opportunity/{world.ids['opportunity']}?expand=account").json()
    assert expanded["account"]["name"] == "Acme"
    assert "secret_note" not in expanded["account"]
    listed = rep.get("/data/opportunity?expand=account").json()["data"][0]
    assert "secret_note" not in listed["account"]
    # The admin still reads it.
    assert world.admin.get(f"/data/account/{account}").json()["secret_note"] == SECRET


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ("/data/account?fields=name,secret_note", "/fields"),
        ("/data/account?sort=-secret_note", "/sort/0"),
        ("/data/account/aggregate?group_by=secret_note", "/group_by/0"),
        ("/data/account/aggregate?metrics=max:secret_note", "/metrics/0"),
        ("/data/opportunity?sort=account.secret_note", "/sort/0"),
        ("/data/opportunity/aggregate?group_by=account.secret_note", "/group_by/0"),
    ],
)
def test_a_query_naming_an_unreadable_field_is_answered_as_for_an_unknown_field(
    world: World, path: str, pointer: str
) -> None:
    rep = world.as_user("rep")
    refused = rep.get(path)
    unknown = rep.get(path.replace("secret_note", "other_note"))
    assert refused.status_code == unknown.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == pointer
    assert refused.json()["errors"][0]["code"] == unknown.json()["errors"][0]["code"]
    assert refused.json()["detail"] == unknown.json()["detail"].replace("other_note", "secret_note")


@pytest.mark.parametrize(
    ("object_name", "document"),
    [
        ("account", {"secret_note": {"starts_with": "Acme"}}),
        ("account", {"or": [{"name": "x"}, {"not": {"secret_note": {"is_null": True}}}]}),
        ("opportunity", {"account.secret_note": {"contains": "Secret"}}),
    ],
)
def test_filtering_on_an_unreadable_field_tells_nothing(
    world: World, object_name: str, document: dict[str, object]
) -> None:
    rep = world.as_user("rep")
    unknown_document = json.loads(json.dumps(document).replace("secret_note", "other_note"))
    for path in (f"/data/{object_name}", f"/data/{object_name}/aggregate"):
        refused = rep.get(path, params={"filter": json.dumps(document)})
        unknown = rep.get(path, params={"filter": json.dumps(unknown_document)})
        assert refused.status_code == unknown.status_code == 422
        assert refused.json()["errors"][0]["code"] == "unknown-field"
        assert refused.json()["detail"] == unknown.json()["detail"].replace(
            "other_note", "secret_note"
        )


def test_a_path_or_expand_into_an_object_the_caller_may_not_read(world: World) -> None:
    deals = _as(
        world,
        "dee@example.com",
        {"api_name": "deals_only", "objects": {"opportunity": {"read": True}}},
    )
    opportunity = world.ids["opportunity"]
    shown = deals.get(f"/data/opportunity/{opportunity}?expand=account").json()
    assert shown["account"] == {"id": world.ids["account"]}
    listed = deals.get("/data/opportunity?expand=account").json()["data"][0]
    assert listed["account"] == {"id": world.ids["account"]}
    refused = deals.get("/data/opportunity", params={"filter": '{"account.name": "Acme"}'})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "object-not-readable"
    assert deals.get("/data/opportunity?sort=account.name").status_code == 403


def test_unknown_field_hints_name_only_readable_fields(world: World) -> None:
    refused = world.as_user("rep").get("/data/account?sort=secret_not")
    assert refused.status_code == 422
    assert "secret_note" not in refused.text


def test_a_write_of_a_field_the_caller_may_not_write_is_refused_naming_it(world: World) -> None:
    rep = world.as_user("rep")
    opportunity = world.ids["opportunity"]
    patched = rep.patch(f"/data/opportunity/{opportunity}", json={"amount": "7", "margin": "0.9"})
    assert patched.status_code == 403
    assert patched.json()["errors"] == [
        {
            "pointer": "/margin",
            "field": "margin",
            "code": "field-not-editable",
            "message": "you may not write field 'margin' of 'opportunity'",
        }
    ]
    assert world.admin.get(f"/data/opportunity/{opportunity}").json()["amount"] == "100.00"
    created = rep.post("/data/opportunity", json={"name": "X", "margin": "1"})
    assert created.status_code == 403
    bulk = rep.post("/data/opportunity/bulk?mode=partial", json=[{"name": "Y"}, {"margin": "1"}])
    assert bulk.status_code == 403
    assert bulk.json()["errors"][0]["pointer"] == "/1/margin"
    assert world.admin.get("/data/opportunity?count=true").json()["total"] == 1
    # What they may write goes through, and the read-only field shows.
    allowed = rep.patch(f"/data/opportunity/{opportunity}", json={"amount": "7"})
    assert allowed.status_code == 200
    assert allowed.json()["margin"] == "0.40"


def test_lookup_keys_may_only_match_on_fields_the_caller_may_query(world: World) -> None:
    coded = world.as_user("rep").post(
        "/data/opportunity", json={"name": "By code", "account.code": "A-1"}
    )
    assert coded.status_code == 201, coded.text
    assert coded.json()["account"] == world.ids["account"]
    blind = _as(
        world,
        "bea@example.com",
        {
            "api_name": "blind",
            "objects": {"account": {"read": True}, "opportunity": {"read": True, "create": True}},
            "fields": {"account.code": {"read": False}, "account.name": {"read": False}},
        },
    )
    # A hidden target field is answered as one the target does not have.
    by_code = blind.post("/data/opportunity", json={"name": "X", "account.code": "A-1"})
    by_nothing = blind.post("/data/opportunity", json={"name": "X", "account.cod": "A-1"})
    assert by_code.status_code == by_nothing.status_code == 422
    assert by_code.json()["errors"] == [
        {
            "pointer": "/account.code",
            "field": "account.code",
            "code": "unknown-field",
            "message": "'account' has no field 'code' (in 'account.code'); use one of account.id",
        }
    ]
    assert by_code.text == by_nothing.text.replace("'cod'", "'code'").replace(".cod", ".code")
    # A hidden name field: as a target with none, the name matches nothing.
    by_name = blind.post("/data/opportunity", json={"name": "X", "account": "Acme"})
    assert by_name.status_code == 422
    assert by_name.json()["errors"][0]["code"] == "invalid-id"
    by_id = blind.post("/data/opportunity", json={"name": "X", "account": world.ids["account"]})
    assert by_id.status_code == 201


def test_the_schema_of_an_object_is_the_callers(world: World) -> None:
    rep = world.as_user("rep")
    account = rep.get("/schema/account").json()
    assert "secret_note" not in account["$defs"]["record"]["properties"]
    assert "secret_note" not in account["$defs"]["record"]["required"]
    assert "name" in account["$defs"]["record"]["properties"]
    opportunity = rep.get("/schema/opportunity").json()
    assert "margin" not in opportunity["properties"]
    assert opportunity["$defs"]["record"]["properties"]["margin"]["readOnly"] is True
    assert "margin" in world.admin.get("/schema/opportunity").json()["properties"]


def test_the_openapi_document_is_the_callers(world: World) -> None:
    rep = world.as_user("rep")
    document = rep.client.get("/openapi.json", headers=rep.tenant.headers).json()
    paths = document["paths"]
    assert "/api/v1/data/payroll" not in paths
    assert "post" not in paths["/api/v1/data/account"]
    assert "delete" not in paths["/api/v1/data/opportunity/{id}"]
    assert "patch" in paths["/api/v1/data/opportunity/{id}"]
    schemas = document["components"]["schemas"]
    assert "secret_note" not in schemas["AccountRecord"]["properties"]
    assert "PayrollRecord" not in schemas
    admin = world.admin.client.get("/openapi.json", headers=world.admin.tenant.headers).json()
    assert "/api/v1/data/payroll" in admin["paths"]
    assert "secret_note" in admin["components"]["schemas"]["AccountRecord"]["properties"]


def test_search_finds_only_by_fields_the_caller_may_query(world: World) -> None:
    rep = world.as_user("rep")
    assert rep.get("/search", params={"q": SECRET}).json()["data"] == []
    assert world.admin.get("/search", params={"q": SECRET}).json()["data"] != []
    found = rep.get("/search", params={"q": "Acme"}).json()
    assert found["searched"] == ["account"]
    assert found["data"][0]["records"][0]["matches"] == ["name"]
    # Every word must be in a field the caller may query, not some in a hidden one.
    assert rep.get("/search", params={"q": "Acme Secret"}).json()["data"] == []
    refused = rep.get("/search", params={"q": "Eve", "objects": "payroll"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "unknown-object"


def test_a_file_field_the_caller_may_not_read_is_not_there_for_them(world: World) -> None:
    shy = _as(
        world,
        "shy@example.com",
        {
            "api_name": "no_scans",
            "objects": {"opportunity": {"read": True, "edit": True}},
            "fields": {"opportunity.scan": {"read": False}},
        },
    )
    opportunity = world.ids["opportunity"]
    # Answered as a field the object does not have.
    download = shy.get(f"/data/opportunity/{opportunity}/files/scan")
    assert download.status_code == 404
    assert download.json()["detail"] == "'opportunity' has no field 'scan'"
    upload = shy.post(
        f"/data/opportunity/{opportunity}/files/scan",
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert upload.status_code == 404
    assert upload.json()["detail"] == download.json()["detail"]


def test_lookup_key_hints_name_no_field_the_caller_may_not_read(world: World) -> None:
    writer = _as(
        world,
        "hint@example.com",
        {
            "api_name": "codeless",
            "objects": {
                "account": {"read": True},
                "opportunity": {"read": True, "create": True, "edit": True},
            },
            "fields": {"account.code": {"read": False, "edit": False}},
        },
    )
    world.admin.create("account", name="Twin", code="T-1")
    world.admin.create("account", name="Twin", code="T-2")
    unknown = writer.post("/data/opportunity", json={"name": "x", "account.nope": "T-1"})
    ambiguous = writer.post("/data/opportunity", json={"name": "x", "account": "Twin"})
    assert unknown.status_code == ambiguous.status_code == 422
    assert "account.id" in unknown.text and "account.id" in ambiguous.text
    assert "account.code" not in unknown.text + ambiguous.text
    assert (
        "account.code"
        in world.admin.post("/data/opportunity", json={"name": "x", "account": "Twin"}).text
    )
