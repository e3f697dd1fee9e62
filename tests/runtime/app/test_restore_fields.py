"""Restoring a deleted required field whose object got records while it was deleted."""

from __future__ import annotations

import pytest

from tests.conftest import Api

RESTORE = "/admin/objects/deal/fields/code/restore"


@pytest.fixture
def deal(api: Api) -> Api:
    """A `deal` whose required `code` was deleted after one record, then two more records."""
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "deal",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "code", "type": "text", "required": True},
            ],
        },
    )
    assert created.status_code == 201, created.text
    assert api.post("/data/deal", json={"name": "before", "code": "B1"}).status_code == 201
    assert api.delete("/admin/objects/deal/fields/code").status_code == 200
    for name in ("during 1", "during 2"):
        assert api.post("/data/deal", json={"name": name}).status_code == 201
    return api


def codes(api: Api) -> dict[str, str | None]:
    """Each deal's code by name."""
    return {row["name"]: row.get("code") for row in api.get("/data/deal").json()["data"]}


def test_restoring_the_field_as_it_was_is_refused_with_a_way_that_works(deal: Api) -> None:
    refused = deal.post(RESTORE)

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["blocking"][0]["rows"] == 2
    assert '{"default": …}' in body["detail"] and '{"required": false}' in body["detail"]
    assert "code" not in deal.get("/data/deal").json()["data"][0]


def test_a_dry_run_shows_how_many_records_have_no_value(deal: Api) -> None:
    planned = deal.post(RESTORE, params={"dry_run": "true"})

    assert planned.status_code == 200, planned.text
    blocking = planned.json()["impact"]["blocking"]
    assert [(rows["field"], rows["rows"]) for rows in blocking] == [("code", 2)]


def test_restoring_with_a_default_fills_the_records_created_meanwhile(deal: Api) -> None:
    planned = deal.post(RESTORE, params={"dry_run": "true"}, json={"default": "NONE"})
    assert planned.status_code == 200, planned.text
    touched = planned.json()["impact"]["rows_touched"]
    assert any(row["field"] == "code" and row["rows"] == 2 for row in touched), touched

    restored = deal.post(RESTORE, json={"default": "NONE"})

    assert restored.status_code == 200, restored.text
    assert restored.json()["required"] is True and restored.json()["default"] == "NONE"
    assert codes(deal) == {"before": "B1", "during 1": "NONE", "during 2": "NONE"}
    assert deal.post("/data/deal", json={"name": "after"}).json()["code"] == "NONE"


def test_restoring_as_optional_keeps_the_old_values_and_leaves_the_new_records_empty(
    deal: Api,
) -> None:
    restored = deal.post(RESTORE, json={"required": False})

    assert restored.status_code == 200, restored.text
    assert restored.json()["required"] is False
    assert codes(deal) == {"before": "B1", "during 1": None, "during 2": None}


def test_a_restore_default_that_does_not_fit_the_field_is_refused(deal: Api) -> None:
    refused = deal.post(RESTORE, json={"default": "x" * 300})

    assert refused.status_code == 422, refused.text
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/default"]
    assert deal.get("/admin/objects/deal/fields/code").status_code == 404


def test_a_restore_body_with_other_options_is_refused(deal: Api) -> None:
    refused = deal.post(RESTORE, json={"max_length": 3})

    assert refused.status_code == 422, refused.text
    assert deal.get("/admin/objects/deal/fields/code").status_code == 404
