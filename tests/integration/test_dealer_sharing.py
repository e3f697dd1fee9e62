"""The dealer scenario: each user sees exactly what record sharing grants, on every read path.

See `tests/sharing_world.py` for who owns what.
"""

from __future__ import annotations

import io
import json

import pytest
from fastapi.testclient import TestClient

from engine.records.transfer import ExportFormat, export_records, import_batches
from tests.conftest import TenantHandle
from tests.engine.files.samples import PDF
from tests.sharing_world import World, build_world

ALL_LEADS = [
    "a-lead",
    "a1-lead",
    "a2-lead",
    "b-lead",
    "director-lead",
    "rep1-lead",
    "rep2-lead",
]

#: Who lists which leads: their own, those of roles below theirs, their dealer's, and the
#: dealers' below it; the admin holds view_all.
EXPECTED = {
    "admin": ALL_LEADS,
    "ceo": ["director-lead", "rep1-lead", "rep2-lead"],
    "director": ["director-lead", "rep1-lead", "rep2-lead"],
    "rep1": ["rep1-lead"],
    "rep2": ["rep2-lead"],
    "a": ["a-lead", "a1-lead", "a2-lead"],
    "a2": ["a-lead", "a1-lead", "a2-lead"],
    "a1": ["a1-lead"],
    "b": ["b-lead"],
}
AMOUNTS = {
    "director-lead": 10,
    "rep1-lead": 20,
    "rep2-lead": 40,
    "a-lead": 100,
    "a2-lead": 200,
    "a1-lead": 400,
    "b-lead": 800,
}


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    built = build_world(app_client, tenant)
    built.users["admin"] = built.admin
    return built


def test_each_user_lists_and_counts_exactly_the_leads_sharing_grants(world: World) -> None:
    for name, expected in EXPECTED.items():
        response = world[name].get("/data/lead", params={"count": "true", "sort": "name"})
        body = response.json()
        assert [r["name"] for r in body["data"]] == expected, name
        assert body["total"] == len(expected), name


def test_cursor_pages_hold_only_visible_leads(world: World) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, "sort": "name", **({"cursor": cursor} if cursor else {})}
        body = world["a"].get("/data/lead", params=params).json()
        seen += [r["name"] for r in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == EXPECTED["a"]


def test_aggregates_sum_only_visible_leads(world: World) -> None:
    for name, expected in EXPECTED.items():
        response = world[name].get(
            "/data/lead/aggregate", params={"group_by": "region", "metrics": "count,sum:amount"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"] == [
            {
                "region": "east",
                "count": len(expected),
                "sum:amount": sum(AMOUNTS[lead] for lead in expected),
            }
        ], name


def test_a_dotted_filter_cannot_reach_a_dealer_the_caller_does_not_see(world: World) -> None:
    by_dealer = {"filter": json.dumps({"dealer.name": {"eq": "Dealer B"}})}
    assert world.visible_leads("admin", **by_dealer) == ["b-lead"]
    assert world.visible_leads("b", **by_dealer) == []
    assert world.visible_leads("a", **by_dealer) == []
    grouped = world["a"].get("/data/lead/aggregate", params={"group_by": "dealer.name"})
    # Dealers are private: a partner user groups its leads under no dealer name.
    assert grouped.json()["data"] == [{"dealer.name": None, "count": 3}]


def test_an_expanded_dealer_the_caller_cannot_see_shows_its_id_only(world: World) -> None:
    lead = world.leads["a-lead"]
    seen_by_admin = world["admin"].get(f"/data/lead/{lead}", params={"expand": "dealer"}).json()
    assert seen_by_admin["dealer"]["name"] == "Dealer A"
    seen_by_a = world["a"].get(f"/data/lead/{lead}", params={"expand": "dealer"}).json()
    assert seen_by_a["dealer"] == {"id": world.dealers["A"]}
    listed = world["a"].get(
        "/data/lead", params={"expand": "dealer", "fields": "name", "sort": "name"}
    )
    assert [r["dealer"] for r in listed.json()["data"]] == [
        {"id": world.dealers["A"]},
        {"id": world.dealers["A1"]},
        {"id": world.dealers["A"]},
    ]


def test_search_finds_only_visible_leads(world: World) -> None:
    def found(name: str) -> list[str]:
        body = world[name].get("/search", params={"q": "lead", "limit": 50}).json()
        return sorted(r["display_name"] for group in body["data"] for r in group["records"])

    assert found("b") == ["b-lead"]
    assert found("a1") == ["a1-lead"]
    assert found("admin") == ALL_LEADS


def test_exports_hold_only_visible_leads(world: World) -> None:
    for name in ("a", "rep1", "admin"):
        target = io.StringIO()
        written = export_records(
            world[name].tenant.context(), "lead", target, fmt=ExportFormat.JSONL
        )
        names = sorted(json.loads(line)["name"] for line in target.getvalue().splitlines())
        assert (written, names) == (len(EXPECTED[name]), EXPECTED[name]), name


def test_another_users_lead_by_id_is_not_found_to_read_change_or_delete(world: World) -> None:
    b_lead = world.leads["b-lead"]
    for name in ("a", "rep1", "ceo"):
        api = world[name]
        assert api.get(f"/data/lead/{b_lead}").status_code == 404
        assert api.patch(f"/data/lead/{b_lead}", json={"amount": 1}).status_code == 404
        assert api.delete(f"/data/lead/{b_lead}").status_code == 404
        assert api.get(f"/data/lead/{b_lead}/shares").status_code == 404
    assert world["admin"].get(f"/data/lead/{b_lead}").json()["amount"] == 800


def test_a_lead_readable_but_not_editable_is_refused_with_403(world: World) -> None:
    a1_lead = world.leads["a1-lead"]
    # Dealer A reads its sub-dealer's leads (child_accounts: read), and cannot change them.
    assert world["a"].get(f"/data/lead/{a1_lead}").status_code == 200
    refused = world["a"].patch(f"/data/lead/{a1_lead}", json={"amount": 1})
    assert refused.status_code == 403, refused.text
    assert world["a"].delete(f"/data/lead/{a1_lead}").status_code == 403
    # Users of one dealer change each other's leads; a manager changes a report's.
    assert (
        world["a2"].patch(f"/data/lead/{world.leads['a-lead']}", json={"amount": 101}).status_code
        == 200
    )
    changed = world["director"].patch(f"/data/lead/{world.leads['rep1-lead']}", json={"amount": 21})
    assert changed.status_code == 200, changed.text
    assert world["rep1"].get(f"/data/lead/{world.leads['rep1-lead']}").json()["amount"] == 21


def test_a_lookup_to_a_dealer_the_caller_cannot_read_is_an_unknown_record(world: World) -> None:
    for body in (
        {"name": "x", "dealer": world.dealers["B"]},
        {"name": "x", "dealer.name": "Dealer B"},
    ):
        refused = world["b"].post("/data/lead", json=body)
        assert refused.status_code == 422, refused.text
        assert [e["code"] for e in refused.json()["errors"]] == ["unknown-record"]
    # Shared with dealer B's users, their own dealer becomes a record they may name.
    shared = world["admin"].post(
        f"/data/dealer/{world.dealers['B']}/shares",
        json={"partner_account": world.dealers["B"], "access": "read"},
    )
    assert shared.status_code == 201, shared.text
    created = world["b"].post("/data/lead", json={"name": "x", "dealer.name": "Dealer B"})
    assert created.status_code == 201, created.text
    assert created.json()["dealer"] == world.dealers["B"]


def test_notes_follow_their_lead(world: World) -> None:
    a_lead, a1_lead = world.leads["a-lead"], world.leads["a1-lead"]
    own = world["a"].create("lead_note", lead=a_lead, body="called")
    below = world["a1"].create("lead_note", lead=a1_lead, body="visited")
    assert world["b"].get(f"/data/lead_note/{own}").status_code == 404
    assert world["a2"].get(f"/data/lead_note/{own}").status_code == 200
    # A's users read A1's notes (they read A1's leads) but may not change them.
    assert world["a"].get(f"/data/lead_note/{below}").status_code == 200
    assert world["a"].patch(f"/data/lead_note/{below}", json={"body": "x"}).status_code == 403
    refused = world["a"].post("/data/lead_note", json={"lead": a1_lead, "body": "x"})
    assert refused.status_code == 422, refused.text
    assert [e["code"] for e in refused.json()["errors"]] == ["read-only-record"]
    moved = world["a"].patch(f"/data/lead_note/{own}", json={"lead": a1_lead})
    assert [e["code"] for e in moved.json()["errors"]] == ["read-only-record"]
    assert world.admin.get("/data/lead_note", params={"count": "true"}).json()["total"] == 2
    assert world["b"].get("/data/lead_note", params={"count": "true"}).json()["total"] == 0


def test_bulk_upserts_update_only_what_the_caller_may_change(world: World) -> None:
    response = world["a"].post(
        "/data/lead/bulk",
        params={"upsert_on": "code", "mode": "partial"},
        json=[
            {"code": "a-lead", "amount": 111},
            {"code": "a1-lead", "amount": 1},
            {"code": "new-lead", "name": "new-lead"},
        ],
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["updated", "error", "created"]
    assert results[1]["errors"][0]["code"] == "read-only-record"
    assert world["a1"].get(f"/data/lead/{world.leads['a1-lead']}").json()["amount"] == 400
    assert world.visible_leads("a") == ["a-lead", "a1-lead", "a2-lead", "new-lead"]
    assert world.visible_leads("b") == ["b-lead"]


def test_an_import_updates_only_what_the_caller_may_change(world: World) -> None:
    rows = [
        (2, {"code": "a-lead", "amount": 123}),
        (3, {"code": "a1-lead", "amount": 1}),
        (4, {"code": "b-lead", "name": "mine now"}),
        (5, {"code": "imported", "name": "imported"}),
    ]
    summary = import_batches(
        world["a"].tenant.context(), "lead", rows, from_text=False, upsert_on="code"
    )
    assert (summary.created, summary.updated) == (1, 1)
    # b-lead is no record to dealer A: its code is taken, not matched.
    assert [(e.line, e.code) for e in summary.errors] == [
        (3, "read-only-record"),
        (4, "not-unique"),
    ]
    assert world["b"].get(f"/data/lead/{world.leads['b-lead']}").json()["name"] == "b-lead"


def test_files_of_a_lead_follow_its_sharing(world: World) -> None:
    def upload(name: str, lead: str) -> int:
        return (
            world[name]
            .post(
                f"/data/lead/{world.leads[lead]}/files/brochure",
                files={"file": ("brochure.pdf", PDF, "application/pdf")},
            )
            .status_code
        )

    assert upload("a", "a-lead") == 200
    assert upload("a", "a1-lead") == 403
    assert upload("b", "a-lead") == 404
    path = f"/data/lead/{world.leads['a-lead']}/files/brochure"
    assert world["a2"].get(path).status_code == 200
    assert world["b"].get(path).status_code == 404
