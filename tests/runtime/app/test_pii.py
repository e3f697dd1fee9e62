"""Personal data (`pii: true`): masked for callers without view_pii, never filtered on by
them, left out of their exports, and written only when they send it."""

from __future__ import annotations

import io
import json

import pytest

from engine.records.transfer import ExportFormat, export_records
from tests.conftest import Api
from tests.runtime.app.permission_world import MASKED_PHONE, PHONE, World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def test_pii_is_an_option_of_the_types_that_hold_personal_data(api: Api) -> None:
    person = {
        "api_name": "person",
        "fields": [
            {"api_name": "name", "type": "text", "pii": True},
            {"api_name": "born", "type": "date", "pii": True},
            {"api_name": "email", "type": "email", "pii": True},
        ],
    }
    assert api.post("/admin/objects", json=person).status_code == 201
    assert api.get("/admin/objects/person/fields/born").json()["pii"] is True
    exported = api.get("/admin/metadata").json()["objects"][0]["fields"]
    assert [field.get("pii") for field in exported] == [True, True, True]
    refused = api.post(
        "/admin/objects/person/fields", json={"api_name": "age", "type": "integer", "pii": True}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/pii"
    assert "personal data is marked on" in refused.json()["errors"][0]["message"]
    marked = api.patch("/admin/objects/person/fields/name", json={"pii": False})
    assert "pii" not in marked.json()


def test_personal_data_is_masked_for_callers_without_view_pii(world: World) -> None:
    account = world.ids["account"]
    assert world.as_user("clerk").get(f"/data/account/{account}").json()["phone"] == MASKED_PHONE
    listed = world.as_user("clerk").get("/data/account").json()["data"][0]
    assert listed["phone"] == MASKED_PHONE
    expanded = world.as_user("clerk").get(
        f"/data/opportunity/{world.ids['opportunity']}?expand=account"
    )
    assert expanded.json()["account"]["phone"] == MASKED_PHONE
    assert world.as_user("auditor").get(f"/data/account/{account}").json()["phone"] == PHONE
    assert world.admin.get(f"/data/account/{account}").json()["phone"] == PHONE


@pytest.mark.parametrize(
    "path",
    [
        '/data/account?filter={"phone": {"starts_with": "138"}}',
        "/data/account?sort=phone",
        "/data/account/aggregate?group_by=phone",
        "/data/account/aggregate?metrics=count:phone",
        '/data/opportunity?filter={"account.phone": "13812345678"}',
    ],
)
def test_callers_without_view_pii_may_not_query_personal_data(world: World, path: str) -> None:
    refused = world.as_user("clerk").get(path)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "field-masked"
    assert "view_pii" in refused.json()["detail"]
    assert world.as_user("auditor").get(path).status_code == 200


def test_search_does_not_find_by_personal_data_without_view_pii(world: World) -> None:
    assert world.as_user("clerk").get("/search", params={"q": PHONE}).json()["data"] == []
    found = world.as_user("auditor").get("/search", params={"q": PHONE}).json()["data"]
    assert found[0]["records"][0]["matches"] == ["phone"]


def test_a_masked_value_is_never_written_back_unless_sent(world: World) -> None:
    clerk = world.as_user("clerk")
    account = world.ids["account"]
    shown = clerk.get(f"/data/account/{account}").json()
    changed = clerk.patch(f"/data/account/{account}", json={"revenue": "2000"})
    assert changed.status_code == 200
    assert world.admin.get(f"/data/account/{account}").json()["phone"] == PHONE
    # Sent, even masked, it is written as sent: the caller may edit the field.
    sent = clerk.patch(f"/data/account/{account}", json={"phone": shown["phone"]})
    assert sent.status_code == 422  # a mask is no phone number
    replaced = clerk.patch(f"/data/account/{account}", json={"phone": "13900001111"})
    assert replaced.status_code == 200
    assert replaced.json()["phone"] == "139****1111"
    assert world.admin.get(f"/data/account/{account}").json()["phone"] == "13900001111"


def test_the_schema_describes_a_masked_field_as_plain_text(world: World) -> None:
    masked = world.as_user("clerk").get("/schema/account").json()["$defs"]["record"]
    assert masked["properties"]["phone"]["anyOf"][0] == {"type": "string"}
    plain = world.as_user("auditor").get("/schema/account").json()["$defs"]["record"]
    assert "pattern" in plain["properties"]["phone"]["anyOf"][0]


def test_exports_leave_personal_data_out_without_view_pii(world: World) -> None:
    def export(user: str, fmt: ExportFormat) -> str:
        target = io.StringIO()
        context = world.as_user(user).tenant.context()
        assert export_records(context, "account", target, fmt=fmt) == 1
        return target.getvalue()

    clerk = json.loads(export("clerk", ExportFormat.JSONL))
    assert "phone" not in clerk
    assert clerk["name"] == "Acme"
    assert "phone" not in export("clerk", ExportFormat.CSV).splitlines()[0].split(",")
    assert json.loads(export("auditor", ExportFormat.JSONL))["phone"] == PHONE
    rep = json.loads(export("rep", ExportFormat.JSONL))
    assert "secret_note" not in rep
    assert "phone" not in rep
