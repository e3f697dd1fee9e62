"""A deletion clears the lookups that point at the deleted records like any other write.

Optional lookups default to `on_delete: set_null`. The engine clears them itself before
the rows go, so each cleared record gets a new version, `updated_at` and `updated_by`,
its formulas and the roll-ups that read it are recomputed, and the after-write hooks see
it with the origin `reference-cleared`. The database's ON DELETE SET NULL stays as a
safety net.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine import metadata_changes, records
from engine.context import RequestContext
from engine.errors import Conflict, PreconditionFailed, RecordValidationError
from engine.extensions import WriteOrigin
from metadata.models import FieldDef, ObjectDef
from tests.conftest import Api, TenantHandle
from tests.engine.records.test_after_write import Recorder, with_hooks

OBJECTS = [
    {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]},
    {"api_name": "team", "fields": [{"api_name": "name", "type": "text"}]},
    {
        "api_name": "contact",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "account", "type": "master_detail", "target": "account"},
        ],
    },
    {
        "api_name": "deal",
        "fields": [
            {"api_name": "name", "type": "text"},
            # Optional lookups: `on_delete` defaults to set_null.
            {"api_name": "account", "type": "lookup", "target": "account"},
            {"api_name": "contact", "type": "lookup", "target": "contact"},
            {
                "api_name": "account_name",
                "type": "formula",
                "return_type": "text",
                "expression": "account.name",
            },
            {
                "api_name": "contact_name",
                "type": "formula",
                "return_type": "text",
                "expression": "contact.name",
            },
        ],
    },
    {
        # Reads its account through no path: only the lookup field itself.
        "api_name": "task",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "hours", "type": "integer"},
            {"api_name": "account", "type": "lookup", "target": "account"},
            {"api_name": "team", "type": "lookup", "target": "team"},
            {
                "api_name": "placement",
                "type": "formula",
                "return_type": "text",
                "expression": "'orphan' if ISBLANK(account) else 'placed'",
            },
        ],
    },
]
#: Roll-ups of the team over its tasks that filter on the task's account.
TEAM_ROLLUPS = [
    {
        "api_name": "orphan_tasks",
        "type": "rollup_summary",
        "rollup": {
            "child": "task",
            "link": "team",
            "function": "count",
            "filter": {"account": {"is_null": True}},
        },
    },
    {
        "api_name": "placed_hours",
        "type": "rollup_summary",
        "rollup": {
            "child": "task",
            "link": "team",
            "field": "hours",
            "function": "sum",
            "filter": {"account": {"is_null": False}},
        },
    },
]
NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
#: Another user than the tenant's admin, deleting.
DELETER = UUID("0190a000-0000-7000-8000-00000000de1e")


@pytest.fixture
def crm(tenant: TenantHandle) -> TenantHandle:
    for body in OBJECTS:
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    for rollup in TEAM_ROLLUPS:
        metadata_changes.add_field(tenant.context(), "team", FieldDef.model_validate(rollup))
    return tenant


def create(tenant: TenantHandle, name: str, body: dict[str, Any]) -> str:
    return str(records.create_record(tenant.context(), name, body)["id"])


def stored(tenant: TenantHandle, name: str, record: str) -> dict[str, Any]:
    return records.get_record(tenant.context(), name, record)


def deleter(tenant: TenantHandle, *hooks: Any) -> RequestContext:
    """Another user deleting, at a known time: the cleared records must carry both."""
    context = with_hooks(tenant, *hooks)
    return replace(
        context,
        caller=replace(context.caller, user_id=DELETER),
        engine=replace(context.engine, clock=lambda: NOW),
    )


@pytest.fixture
def acme(crm: TenantHandle) -> dict[str, str]:
    ids = {"acme": create(crm, "account", {"name": "Acme"})}
    ids["other"] = create(crm, "account", {"name": "Other"})
    ids["team"] = create(crm, "team", {"name": "Blue"})
    ids["ann"] = create(crm, "contact", {"name": "Ann", "account": ids["acme"]})
    ids["big"] = create(crm, "deal", {"name": "big", "account": ids["acme"]})
    ids["task"] = create(
        crm, "task", {"name": "call", "hours": 10, "account": ids["acme"], "team": ids["team"]}
    )
    ids["kept"] = create(
        crm, "task", {"name": "kept", "hours": 5, "account": ids["other"], "team": ids["team"]}
    )
    return ids


# -- (1) a new version, stamped with the deleter -------------------------------------------


def test_a_record_whose_lookup_a_deletion_clears_gets_a_new_version_stamped_by_the_deleter(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    before = stored(crm, "task", acme["task"])
    records.delete_record(deleter(crm), "account", acme["acme"])

    after = stored(crm, "task", acme["task"])
    assert after["account"] is None
    assert after["version"] == before["version"] + 1
    assert after["updated_by"] == str(DELETER)
    assert datetime.fromisoformat(after["updated_at"]) == NOW
    # A record pointing elsewhere is not touched.
    assert stored(crm, "task", acme["kept"])["version"] == 1


def test_a_client_holding_the_old_version_of_a_cleared_record_is_refused(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    version = stored(crm, "task", acme["task"])["version"]
    records.delete_record(crm.context(), "account", acme["acme"])
    with pytest.raises(PreconditionFailed):
        records.update_record(
            crm.context(), "task", acme["task"], {"name": "stale"}, expected_version=version
        )


# -- (2) stage 9 sees it ------------------------------------------------------------------


def test_a_hook_sees_each_cleared_record_with_the_origin_reference_cleared(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    hook = Recorder()
    records.delete_record(deleter(crm, hook), "account", acme["acme"])

    [written] = hook.saves
    cleared = {
        (r.object, str(r.record_id)): r
        for r in written
        if r.origin is WriteOrigin.REFERENCE_CLEARED
    }
    assert set(cleared) == {("deal", acme["big"]), ("task", acme["task"])}
    task = cleared["task", acme["task"]]
    assert task.is_cascaded and task.changed == {"account"}
    assert task.before is not None and task.after is not None
    assert str(task.before["account"]) == acme["acme"] and task.after["account"] is None
    assert task.after["updated_by"] == str(DELETER)
    assert task.after["version"] == task.before["version"] + 1
    assert stored(crm, "task", acme["task"])["version"] == task.after["version"]
    # They are cleared before the account goes, the caller's own write.
    kinds = [(r.object, r.origin) for r in written]
    assert kinds.index(("task", WriteOrigin.REFERENCE_CLEARED)) < kinds.index(
        ("account", WriteOrigin.SAVE)
    )


def test_a_hook_sees_the_recomputed_formulas_and_roll_ups_of_a_cleared_record(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    hook = Recorder()
    records.delete_record(deleter(crm, hook), "account", acme["acme"])

    [written] = hook.saves
    task_fields = set().union(*(r.changed for r in written if str(r.record_id) == acme["task"]))
    assert task_fields == {"account", "placement"}
    deal_fields = set().union(*(r.changed for r in written if str(r.record_id) == acme["big"]))
    assert deal_fields == {"account", "account_name"}
    [team] = [r for r in written if r.object == "team"]
    assert team.origin is WriteOrigin.CASCADE
    assert team.before is not None and team.after is not None
    assert (team.before["orphan_tasks"], team.after["orphan_tasks"]) == (0, 1)


def test_a_failing_hook_keeps_the_deleted_record_and_every_reference_to_it(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    def refuse(connection: Connection, context: RequestContext, written: Any) -> None:
        raise RecordValidationError("refused by a hook")

    before = stored(crm, "task", acme["task"])
    with pytest.raises(RecordValidationError, match="refused by a hook"):
        records.delete_record(deleter(crm, refuse), "account", acme["acme"])
    assert stored(crm, "task", acme["task"]) == before
    assert stored(crm, "account", acme["acme"])["name"] == "Acme"


# -- (3) what depends on the cleared lookup is recomputed ---------------------------------


def test_formulas_reading_a_cleared_lookup_are_recomputed(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    assert stored(crm, "task", acme["task"])["placement"] == "placed"
    records.delete_record(crm.context(), "account", acme["acme"])
    # The record's own formula on the lookup field, and a path through the lookup.
    assert stored(crm, "task", acme["task"])["placement"] == "orphan"
    assert stored(crm, "task", acme["kept"])["placement"] == "placed"
    assert stored(crm, "deal", acme["big"])["account_name"] is None


def test_roll_ups_of_other_parents_filtering_on_a_cleared_lookup_are_recomputed(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    team = stored(crm, "team", acme["team"])
    assert (team["orphan_tasks"], team["placed_hours"]) == (0, 15)
    records.delete_record(crm.context(), "account", acme["acme"])
    team = stored(crm, "team", acme["team"])
    assert (team["orphan_tasks"], team["placed_hours"]) == (1, 5)
    assert team["updated_by"] == str(crm.user_id)


def test_references_to_children_deleted_with_their_parent_are_cleared_too(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    # A deal of another account whose contact is Ann: Ann goes with Acme (master-detail).
    ann_deal = create(
        crm, "deal", {"name": "via Ann", "account": acme["other"], "contact": acme["ann"]}
    )
    assert stored(crm, "deal", ann_deal)["contact_name"] == "Ann"
    hook = Recorder()
    records.delete_record(deleter(crm, hook), "account", acme["acme"])

    deal = stored(crm, "deal", ann_deal)
    assert (deal["contact"], deal["contact_name"], deal["account_name"]) == (None, None, "Other")
    assert deal["version"] == 2 and deal["updated_by"] == str(DELETER)
    [written] = hook.saves
    seen = {(r.object, str(r.record_id), r.origin) for r in written}
    assert ("deal", ann_deal, WriteOrigin.REFERENCE_CLEARED) in seen
    assert ("contact", acme["ann"], WriteOrigin.PARENT_DELETED) in seen


def test_a_record_pointing_at_the_parent_and_its_child_gets_one_new_version(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    both = create(crm, "deal", {"name": "both", "account": acme["acme"], "contact": acme["ann"]})
    hook = Recorder()
    records.delete_record(deleter(crm, hook), "account", acme["acme"])

    deal = stored(crm, "deal", both)
    assert (deal["account"], deal["contact"], deal["version"]) == (None, None, 2)
    [cleared] = [
        r
        for r in hook.saves[0]
        if str(r.record_id) == both and r.origin is WriteOrigin.REFERENCE_CLEARED
    ]
    assert {"account", "contact"} <= cleared.changed


def test_a_deletion_inside_a_transaction_clears_references_like_a_single_delete(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    with crm.writer() as writer:
        writer.delete("account", acme["acme"])
    task = stored(crm, "task", acme["task"])
    assert (task["account"], task["placement"], task["version"]) == (None, "orphan", 2)


def test_a_child_deleted_with_its_parent_keeps_its_own_lookup_to_the_parent(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    metadata_changes.add_field(
        crm.context(),
        "contact",
        FieldDef.model_validate({"api_name": "referrer", "type": "lookup", "target": "account"}),
    )
    bob = create(crm, "contact", {"name": "Bob", "account": acme["acme"], "referrer": acme["acme"]})
    hook = Recorder()
    records.delete_record(deleter(crm, hook), "account", acme["acme"])

    [written] = hook.saves
    # Bob goes with Acme: his lookup is not emptied (and versioned) on the way out.
    assert [r.origin for r in written if str(r.record_id) == bob] == [WriteOrigin.PARENT_DELETED]
    [gone] = [r for r in written if str(r.record_id) == bob]
    assert gone.before is not None and str(gone.before["referrer"]) == acme["acme"]


@pytest.fixture
def tree(tenant: TenantHandle) -> TenantHandle:
    """Accounts under accounts, through an optional lookup (set_null), without roll-ups."""
    body = {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "parent", "type": "lookup", "target": "account"},
            {
                "api_name": "is_root",
                "type": "formula",
                "return_type": "boolean",
                "expression": "ISBLANK(parent)",
            },
        ],
    }
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    return tenant


@pytest.mark.parametrize("has_hook", [False, True], ids=["no hook", "a hook"])
def test_deleting_a_node_empties_its_childrens_lookup_to_it(
    tree: TenantHandle, has_hook: bool
) -> None:
    root = create(tree, "account", {"name": "root"})
    middle = create(tree, "account", {"name": "middle", "parent": root})
    leaf = create(tree, "account", {"name": "leaf", "parent": middle})
    hook = Recorder()
    records.delete_record(deleter(tree, *([hook] if has_hook else [])), "account", middle)

    stored_leaf = stored(tree, "account", leaf)
    assert (stored_leaf["parent"], stored_leaf["is_root"], stored_leaf["version"]) == (
        None,
        True,
        2,
    )
    assert stored(tree, "account", root)["version"] == 1
    if has_hook:
        [written] = hook.saves
        assert [(str(r.record_id), r.origin) for r in written][:1] == [
            (leaf, WriteOrigin.REFERENCE_CLEARED)
        ]


# -- nothing is cleared when the deletion does not happen ---------------------------------


def test_a_stale_deletion_clears_nothing(crm: TenantHandle, acme: dict[str, str]) -> None:
    records.update_record(crm.context(), "account", acme["acme"], {"name": "Acme Ltd"})
    before = stored(crm, "task", acme["task"])
    with pytest.raises(PreconditionFailed):
        records.delete_record(crm.context(), "account", acme["acme"], expected_version=1)
    assert stored(crm, "task", acme["task"]) == before


@pytest.fixture
def orders(tenant: TenantHandle) -> TenantHandle:
    """Customers whose orders (master-detail) notes point at; no roll-up, no formula."""
    for body in (
        {"api_name": "customer", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "purchase",
            "fields": [{"api_name": "customer", "type": "master_detail", "target": "customer"}],
        },
        {
            "api_name": "note",
            "fields": [{"api_name": "purchase", "type": "lookup", "target": "purchase"}],
        },
    ):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    return tenant


def test_a_stale_deletion_of_a_parent_clears_nothing_of_its_children(
    orders: TenantHandle,
) -> None:
    acme = create(orders, "customer", {"name": "Acme"})
    purchase = create(orders, "purchase", {"customer": acme})
    note = create(orders, "note", {"purchase": purchase})
    records.update_record(orders.context(), "customer", acme, {"name": "Acme Ltd"})
    with pytest.raises(PreconditionFailed):
        records.delete_record(orders.context(), "customer", acme, expected_version=1)
    assert stored(orders, "note", note)["version"] == 1

    records.delete_record(orders.context(), "customer", acme, expected_version=2)
    assert (stored(orders, "note", note)["purchase"], stored(orders, "note", note)["version"]) == (
        None,
        2,
    )


def test_a_deletion_refused_by_a_restrict_lookup_clears_nothing_and_names_the_blocker(
    crm: TenantHandle, acme: dict[str, str]
) -> None:
    metadata_changes.add_field(
        crm.context(),
        "team",
        FieldDef.model_validate(
            {"api_name": "sponsor", "type": "lookup", "target": "account", "on_delete": "restrict"}
        ),
    )
    records.update_record(crm.context(), "team", acme["team"], {"sponsor": acme["acme"]})
    before = stored(crm, "task", acme["task"])
    with pytest.raises(Conflict) as refused:
        records.delete_record(crm.context(), "account", acme["acme"])
    assert "1 team.sponsor" in str(refused.value)
    assert stored(crm, "task", acme["task"]) == before


def test_a_restrict_lookup_answers_409_naming_the_referencing_object_and_count(api: Api) -> None:
    for body in (
        {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "invoice",
            "fields": [
                {
                    "api_name": "account",
                    "type": "lookup",
                    "target": "account",
                    "on_delete": "restrict",
                }
            ],
        },
    ):
        assert api.post("/admin/objects", json=body).status_code == 201
    account = api.post("/data/account", json={"name": "Acme"}).json()["id"]
    for _ in range(2):
        assert api.post("/data/invoice", json={"account": account}).status_code == 201

    refused = api.delete(f"/data/account/{account}")
    assert refused.status_code == 409, refused.json()
    problem = refused.json()
    assert "2 invoice.account" in problem["detail"]
    assert problem["referenced_by"] == [{"field": "invoice.account", "records": 2}]
    assert api.get(f"/data/account/{account}").status_code == 200


# -- what a deletion costs ----------------------------------------------------------------


@contextmanager
def counted(tenant: TenantHandle) -> Iterator[list[str]]:
    """Every statement the engine runs meanwhile."""
    seen: list[str] = []

    def count(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(tenant.engine.db, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(tenant.engine.db, "before_cursor_execute", count)


def test_deleting_a_record_no_lookup_points_at_costs_one_statement_per_set_null_lookup(
    tenant: TenantHandle,
) -> None:
    for body in (
        {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]},
        {"api_name": "note", "fields": [{"api_name": "text", "type": "text"}]},
        {
            "api_name": "deal",
            "fields": [{"api_name": "account", "type": "lookup", "target": "account"}],
        },
    ):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    account = create(tenant, "account", {"name": "Acme"})
    note = create(tenant, "note", {"text": "hi"})
    create(tenant, "account", {"name": "Other"})

    with counted(tenant) as unreferenced:
        records.delete_record(tenant.context(), "note", note)
    with counted(tenant) as referenced_object:
        records.delete_record(tenant.context(), "account", account)
    # Nothing but the DELETE for a note, which no lookup targets; for an account, one
    # index-backed statement on the deals that could point at it (none do) besides.
    assert len(referenced_object) - len(unreferenced) == 1, referenced_object


def test_deleting_a_childless_parent_costs_one_look_per_kind_of_child(orders: TenantHandle) -> None:
    lonely = create(orders, "customer", {"name": "Lonely"})
    note = create(orders, "note", {})
    with counted(orders) as unreferenced:
        records.delete_record(orders.context(), "note", note)
    with counted(orders) as childless:
        records.delete_record(orders.context(), "customer", lonely)
    # Notes may point at its orders: one index-backed look for orders, none found, so
    # nothing to empty.
    assert len(childless) - len(unreferenced) == 1, childless
