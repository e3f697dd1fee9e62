"""Sharing rules are checked on the records as they are read: through every alias of the
object's table a query makes, for reads and for edits, and in every listing of shares."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.access import sharing_scope
from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world, change_user

BIG_DEALER_LEADS = {
    "api_name": "big_dealer_leads",
    "filter": {"amount": {"gte": 700}},
    "share_with": {"role": "rep", "include_subordinates": False},
    "access": "read",
}


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def _add_rule(world: World, **changes: object) -> None:
    added = world.admin.post("/admin/objects/lead/sharing-rules", json=BIG_DEALER_LEADS | changes)
    assert added.status_code == 201, added.text


def test_a_detail_follows_a_master_shared_by_a_rule(world: World) -> None:
    note = world.admin.create("lead_note", lead=world.leads["b-lead"], body="b called")
    assert world["rep1"].get(f"/data/lead_note/{note}").status_code == 404
    _add_rule(world)
    # lead_note is controlled by its lead: the rule reaches it through the master's alias.
    listed = world["rep1"].get("/data/lead_note").json()["data"]
    assert [row["body"] for row in listed] == ["b called"]
    assert world["rep1"].patch(f"/data/lead_note/{note}", json={"body": "x"}).status_code == 403


def test_a_dotted_filter_and_an_expand_reach_records_shared_by_a_rule(world: World) -> None:
    note = world.admin.create("lead_note", lead=world.leads["b-lead"], body="b called")
    _add_rule(world)
    # rep1 reads the note and, through the path lead.amount, the lead a rule shares.
    found = world["rep1"].get(
        "/data/lead_note", params={"filter": json.dumps({"lead.amount": {"gte": 700}})}
    )
    assert [row["id"] for row in found.json()["data"]] == [note]
    expanded = world["rep1"].get(f"/data/lead_note/{note}", params={"expand": "lead"})
    assert expanded.json()["lead"]["name"] == "b-lead"


def test_counts_and_aggregates_count_what_a_rule_shares(world: World) -> None:
    assert world["rep1"].get("/data/lead", params={"count": "true"}).json()["total"] == 1
    _add_rule(world)
    assert world["rep1"].get("/data/lead", params={"count": "true"}).json()["total"] == 2
    grouped = world["rep1"].get(
        "/data/lead/aggregate", params={"group_by": "region", "metrics": "sum:amount"}
    )
    assert grouped.status_code == 200, grouped.text
    assert grouped.json()["data"][0]["sum:amount"] == 20 + 800


def test_a_read_write_rule_lets_its_principal_edit_and_a_read_rule_does_not(
    world: World,
) -> None:
    _add_rule(world)
    b_lead = world.leads["b-lead"]
    assert world["rep1"].patch(f"/data/lead/{b_lead}", json={"amount": 900}).status_code == 403
    changed = world.admin.patch(
        "/admin/objects/lead/sharing-rules/big_dealer_leads", json={"access": "read_write"}
    )
    assert changed.status_code == 200, changed.text
    assert world["rep1"].patch(f"/data/lead/{b_lead}", json={"amount": 900}).status_code == 200
    # The edit that takes the record out of the rule's filter is the last one it allows.
    assert world["rep1"].patch(f"/data/lead/{b_lead}", json={"amount": 5}).status_code == 200
    assert world["rep1"].get(f"/data/lead/{b_lead}").status_code == 404


def test_the_shares_of_a_record_name_the_rules_it_matches_now(world: World) -> None:
    _add_rule(world)
    b_lead = world.leads["b-lead"]
    shares = world.admin.get(f"/data/lead/{b_lead}/shares").json()
    assert [(s["cause"], s.get("rule"), s["access"]) for s in shares["data"]] == [
        ("sharing_rule", "big_dealer_leads", "read")
    ]
    assert world.admin.patch(f"/data/lead/{b_lead}", json={"amount": 1}).status_code == 200
    assert world.admin.get(f"/data/lead/{b_lead}/shares").json()["data"] == []


def test_a_user_moved_into_a_rules_role_sees_its_records_at_the_next_request(
    world: World, tenant: TenantHandle
) -> None:
    _add_rule(world, share_with={"role": "sales_director", "include_subordinates": False})
    assert "b-lead" not in world.visible_leads("rep1")
    change_user(tenant, "rep1", role="sales_director")
    assert "b-lead" in world.visible_leads("rep1")


def test_a_scope_of_a_newer_catalog_reads_objects_of_an_older_one(
    world: World, tenant: TenantHandle
) -> None:
    """A change committed between a request's reads of the catalog: the query's object and
    its scope come from two catalogs, and later requests still read."""
    _add_rule(world)
    context = world["rep1"].tenant.context()
    old = tenant_catalog(context)
    newer = context.engine.catalogs.compile(old.metadata_state)
    scope = sharing_scope(newer, context.caller, dialect=context.engine.dialect_name)
    for catalog in (old, newer, newer):
        lead = catalog.objects["lead"]
        statement = sa.select(lead.table.c.code).where(scope.predicate(lead, lead.table))
        with tenant_connection(context.engine.db, context.tenant.schema_name) as connection:
            codes = sorted(connection.execute(statement).scalars())
        assert codes == ["b-lead", "rep1-lead"]
