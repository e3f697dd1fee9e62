"""`GET /data/{object}/{id}/history`: a record's field history as the caller may see it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.access_helpers import user_with
from tests.conftest import Api

CONTACT = {
    "api_name": "contact",
    "fields": [
        {"api_name": "name", "type": "text", "track_history": True},
        {"api_name": "phone", "type": "phone", "pii": True, "track_history": True},
        {"api_name": "amount", "type": "currency", "track_history": True},
        {"api_name": "note", "type": "text"},
    ],
}
READER = {"api_name": "reader", "objects": {"contact": {"read": True}}}


@pytest.fixture
def crm(api: Api) -> Api:
    assert api.post("/admin/objects", json=CONTACT).status_code == 201
    # Every contact is readable by every user (record sharing), so a reader's history is
    # shaped by their field rights alone.
    opened = api.request("PUT", "/admin/objects/contact/sharing", json={"default_access": "read"})
    assert opened.status_code == 200, opened.text
    return api


def history(api: Api, record_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/data/contact/{record_id}/history", params=params)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def summary(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (entry["field"], entry["old_value"], entry["new_value"], entry["channel"])
        for entry in document["data"]
    ]


def test_a_record_s_history_lists_each_change_newest_first_with_who_and_how(crm: Api) -> None:
    record_id = crm.create("contact", name="Ann", amount="10.00", note="x")
    response = crm.patch(f"/data/contact/{record_id}", json={"amount": "12.50", "note": "y"})
    assert response.status_code == 200
    document = history(crm, record_id)
    assert summary(document) == [
        ("amount", "10.00", "12.50", "api"),
        ("name", None, "Ann", "api"),
        ("amount", None, "10.00", "api"),
    ]
    assert {entry["actor"] for entry in document["data"]} == {str(crm.tenant.user_id)}
    assert document["next_cursor"] is None


def test_bulk_writes_are_kept_with_the_bulk_channel(crm: Api) -> None:
    response = crm.post("/data/contact/bulk", json=[{"name": "A"}, {"name": "B"}])
    assert response.status_code == 200, response.text
    first = response.json()["results"][0]["id"]
    assert summary(history(crm, first)) == [("name", None, "A", "bulk")]


def test_pages_follow_the_cursor_to_the_oldest_change(crm: Api) -> None:
    record_id = crm.create("contact", name="v0")
    for number in range(1, 5):
        crm.patch(f"/data/contact/{record_id}", json={"name": f"v{number}"})
    seen: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = history(crm, record_id, **params)
        assert len(page["data"]) <= 2
        seen += [entry["new_value"] for entry in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["v4", "v3", "v2", "v1", "v0"]
    bad = crm.get(f"/data/contact/{record_id}/history", params={"cursor": "abc"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/cursor"


def test_fields_the_caller_may_not_read_are_left_out(crm: Api, app_client: TestClient) -> None:
    record_id = crm.create("contact", name="Ann", phone="13812345678")
    hidden = user_with(
        crm.tenant,
        "hidden@example.com",
        {**READER, "api_name": "no_phone", "fields": {"contact.phone": {"read": False}}},
    )
    document = history(Api(app_client, hidden), record_id)
    assert [entry["field"] for entry in document["data"]] == ["name"]


def test_personal_data_is_masked_for_callers_without_view_pii(
    crm: Api, app_client: TestClient
) -> None:
    record_id = crm.create("contact", name="Ann", phone="13812345678")
    reader = user_with(crm.tenant, "reader@example.com", READER)
    masked = {
        e["field"]: e["new_value"] for e in history(Api(app_client, reader), record_id)["data"]
    }
    assert masked == {"name": "Ann", "phone": "138****5678"}
    admin = {e["field"]: e["new_value"] for e in history(crm, record_id)["data"]}
    assert admin["phone"] == "13812345678"


def test_a_deleted_record_s_history_needs_view_all(crm: Api, app_client: TestClient) -> None:
    record_id = crm.create("contact", name="Ann")
    reader = Api(app_client, user_with(crm.tenant, "reader@example.com", READER))
    assert len(history(reader, record_id)["data"]) == 1
    assert crm.delete(f"/data/contact/{record_id}").status_code == 204
    assert reader.get(f"/data/contact/{record_id}/history").status_code == 404
    assert summary(history(crm, record_id)) == [("name", None, "Ann", "api")]
    unknown = "01900000-0000-7000-8000-000000000000"
    assert crm.get(f"/data/contact/{unknown}/history").status_code == 404


def test_an_object_the_caller_may_not_read_has_no_history_for_them(
    crm: Api, app_client: TestClient
) -> None:
    record_id = crm.create("contact", name="Ann")
    outsider = user_with(
        crm.tenant, "out@example.com", {"api_name": "nothing", "objects": {"*": {"read": False}}}
    )
    # As for the record itself: an object they may not read is not there for them.
    response = Api(app_client, outsider).get(f"/data/contact/{record_id}/history")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


def test_track_history_is_part_of_the_field_and_of_the_openapi_document(crm: Api) -> None:
    field = crm.get("/admin/objects/contact/fields/name").json()
    assert field["track_history"] is True
    assert "track_history" not in crm.get("/admin/objects/contact/fields/note").json()
    paths = crm.client.get("/openapi.json", headers=crm.tenant.headers).json()["paths"]
    assert "get" in paths["/api/v1/data/contact/{id}/history"]
