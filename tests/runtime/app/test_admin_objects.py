"""The admin API on objects, end to end over HTTP."""

from __future__ import annotations

from tests.conftest import Api


def test_creating_an_object_returns_it_with_its_fields_and_ids(api: Api) -> None:
    response = api.post(
        "/admin/objects",
        json={
            "api_name": "account",
            "fields": [{"api_name": "name", "type": "text", "required": True}],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["api_name"] == "account"
    assert body["label"] == "Account"
    assert body["plural_label"] == "Accounts"
    assert [f["api_name"] for f in body["fields"]] == ["name"]
    assert body["fields"][0]["max_length"] == 255
    listed = api.get("/admin/objects").json()["data"]
    assert [o["api_name"] for o in listed] == ["account"]


def test_dry_run_returns_the_ddl_and_creates_nothing(api: Api) -> None:
    response = api.post("/admin/objects", params={"dry_run": "true"}, json={"api_name": "deal"})
    assert response.status_code == 200
    plan = response.json()
    assert plan["dry_run"] is True
    assert any("CREATE TABLE" in statement and "deal" in statement for statement in plan["ddl"])
    assert api.get("/admin/objects/deal").status_code == 404
    assert api.get("/admin/revisions").json()["data"] == []


def test_invalid_object_lists_every_problem_and_writes_nothing(api: Api) -> None:
    response = api.post(
        "/admin/objects",
        json={
            "api_name": "Select",
            "fields": [
                {"api_name": "id", "type": "text"},
                {"api_name": "amount", "type": "integer", "max_length": 3},
                {"api_name": "stage", "type": "picklist"},
                {"api_name": "owner", "type": "lookup", "target": "nobody"},
            ],
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {
        "/api_name",
        "/fields/0/api_name",
        "/fields/1/max_length",
        "/fields/2/values",
        "/fields/3/target",
    }
    assert api.get("/admin/objects").json()["data"] == []


def test_missing_or_revoked_key_gets_401(app_client, tenant, engine_context) -> None:
    from engine.tenancy import revoke_key

    assert app_client.get("/api/v1/admin/objects").status_code == 401
    bad = app_client.get(
        "/api/v1/admin/objects",
        headers={"Authorization": "Bearer tsk_000000000000_nope-nope-nope-nope-nope"},
    )
    assert bad.status_code == 401
    assert app_client.get("/api/v1/admin/objects", headers=tenant.headers).status_code == 200
    revoke_key(engine_context, tenant.key_id)
    revoked = app_client.get("/api/v1/admin/objects", headers=tenant.headers)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]


def test_revisions_record_each_change_with_actor_and_summary(api: Api) -> None:
    api.post("/admin/objects", json={"api_name": "account"})
    api.post("/admin/objects/account/fields", json={"api_name": "name", "type": "text"})
    revisions = api.get("/admin/revisions").json()["data"]
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["summary"] == "add field account.name"
    assert revisions[0]["actor"] == str(api.tenant.user_id)
    exported = api.get("/admin/metadata").json()
    assert exported["revision"] == 2
    assert exported["objects"][0]["fields"][0]["api_name"] == "name"


def test_renaming_an_object_keeps_the_lookups_that_point_at_it(api: Api) -> None:
    assert api.post("/admin/objects", json={"api_name": "account"}).status_code == 201
    contact = {
        "api_name": "contact",
        "fields": [{"api_name": "account", "type": "lookup", "target": "account"}],
    }
    assert api.post("/admin/objects", json=contact).status_code == 201
    parent = api.post("/data/account", json={}).json()
    child = api.post("/data/contact", json={"account": parent["id"]}).json()
    renamed = api.patch(
        "/admin/objects/account", json={"api_name": "customer", "label": "Customer"}
    )
    assert renamed.status_code == 200, renamed.text
    assert api.get("/admin/objects/contact/fields/account").json()["target"] == "customer"
    assert api.get(f"/data/contact/{child['id']}", params={}).json()["account"] == parent["id"]
    listed = api.get("/data/contact", params={"expand": "account"}).json()["data"]
    assert listed[0]["account"]["id"] == parent["id"]
    assert api.get(f"/data/customer/{parent['id']}").status_code == 200


def test_deleting_and_recreating_a_name_twice_keeps_every_deleted_copy(api: Api) -> None:
    for _ in range(2):
        assert api.post("/admin/objects", json={"api_name": "scratch"}).status_code == 201
        assert api.delete("/admin/objects/scratch").status_code == 200
    deleted = [
        o
        for o in api.get("/admin/objects", params={"include_deleted": "true"}).json()["data"]
        if o["api_name"] == "scratch"
    ]
    assert len(deleted) == 2


def _index_statements(plan: dict[str, object], column: str) -> list[str]:
    ddl = plan["ddl"]
    assert isinstance(ddl, list)
    on_column = f"({column})"
    return [s for s in ddl if s.startswith("CREATE INDEX") and s.rstrip(";").endswith(on_column)]


def test_a_lookup_plan_shows_the_field_indexed_like_the_index_its_ddl_creates(api: Api) -> None:
    assert api.post("/admin/objects", json={"api_name": "account"}).status_code == 201
    assert api.post("/admin/objects", json={"api_name": "invoice"}).status_code == 201
    for field in (
        {"api_name": "account", "type": "lookup", "target": "account"},
        {"api_name": "payer", "type": "lookup", "target": "account", "indexed": True},
        {"api_name": "parent", "type": "master_detail", "target": "account"},
    ):
        path = "/admin/objects/invoice/fields"
        plan = api.post(path, params={"dry_run": "true"}, json=field).json()
        assert plan["result"]["indexed"] is True, field
        assert len(_index_statements(plan, field["api_name"])) == 1, plan["ddl"]
        created = api.post(path, json=field)
        assert created.status_code == 201, created.text
        assert created.json()["indexed"] is True
    listed = api.get("/admin/objects/invoice").json()["fields"]
    assert all(f["indexed"] for f in listed if f["type"] in ("lookup", "master_detail"))


def test_a_lookup_cannot_be_unindexed(api: Api) -> None:
    assert api.post("/admin/objects", json={"api_name": "account"}).status_code == 201
    assert api.post("/admin/objects", json={"api_name": "invoice"}).status_code == 201
    path = "/admin/objects/invoice/fields"
    unindexed = {"api_name": "payer", "type": "lookup", "target": "account", "indexed": False}
    refused = api.post(path, json=unindexed)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["pointer"].endswith("/indexed")
    assert "always indexed" in problem["message"]
    assert api.post(path, json={**unindexed, "indexed": True}).status_code == 201
    patched = api.patch(f"{path}/payer", json={"indexed": False})
    assert patched.status_code == 422, patched.text
    assert api.get(f"{path}/payer").json()["indexed"] is True


def test_a_new_object_plan_shows_its_lookups_indexed(api: Api) -> None:
    assert api.post("/admin/objects", json={"api_name": "account"}).status_code == 201
    body = {
        "api_name": "contact",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "account", "type": "lookup", "target": "account"},
        ],
    }
    plan = api.post("/admin/objects", params={"dry_run": "true"}, json=body).json()
    indexed = {f["api_name"]: f["indexed"] for f in plan["result"]["fields"]}
    assert indexed == {"name": False, "account": True}
    assert _index_statements(plan, "account") and not _index_statements(plan, "name")
