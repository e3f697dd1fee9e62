"""Two hierarchies on one object: a `parent` and a `billing_parent` lookup, each exact.

Each lookup has roll-ups of its own (a count, a sum of the children's subtree totals, a
maximum or minimum), and two roll-ups cross over: one over `billing_parent` sums the
children's `parent` subtree totals, one over `parent` sums the children's counts of
billed accounts. Every test compares every stored value of every account with a plain
Python model of both trees.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from tests.conftest import Api
from tests.engine.rules.test_hierarchies import records

LINKS = ("parent", "billing_parent")

ROLLUPS: list[dict[str, Any]] = [
    {"api_name": "children_count", "rollup": {"function": "count", "link": "parent"}},
    {
        "api_name": "children_total",
        "return_type": "integer",
        "rollup": {"field": "tree_total", "function": "sum", "link": "parent"},
    },
    {
        "api_name": "largest_child",
        "rollup": {"field": "amount", "function": "max", "link": "parent"},
    },
    {"api_name": "billed_count", "rollup": {"function": "count", "link": "billing_parent"}},
    {
        "api_name": "billed_children_total",
        "return_type": "integer",
        "rollup": {"field": "billed_total", "function": "sum", "link": "billing_parent"},
    },
    {
        "api_name": "smallest_billed",
        "rollup": {"field": "amount", "function": "min", "link": "billing_parent"},
    },
    # The two that cross: a roll-up over one lookup of a value the other one feeds.
    {
        "api_name": "billed_tree_total",
        "return_type": "integer",
        "rollup": {"field": "tree_total", "function": "sum", "link": "billing_parent"},
    },
    {
        "api_name": "children_billed",
        "return_type": "integer",
        "rollup": {"field": "billed_count", "function": "sum", "link": "parent"},
    },
]
COMPUTED = (
    *(rollup["api_name"] for rollup in ROLLUPS),
    "tree_total",
    "billed_total",
)


def accounts(api: Api, *, parent_delete: str = "set_null", billing_delete: str = "set_null") -> Api:
    """An account object with both lookups, its roll-ups, and formulas that total subtrees."""
    account = {
        "api_name": "account",
        "fields": [
            {"api_name": "ref", "type": "text", "unique": True},
            {"api_name": "amount", "type": "integer"},
            {
                "api_name": "parent",
                "type": "lookup",
                "target": "account",
                "on_delete": parent_delete,
            },
            {
                "api_name": "billing_parent",
                "type": "lookup",
                "target": "account",
                "on_delete": billing_delete,
            },
            *(
                {"api_name": name, "type": "formula", "return_type": "integer", "expression": "0"}
                for name in ("tree_total", "billed_total")
            ),
        ],
    }
    assert api.post("/admin/objects", json=account).status_code == 201
    for body in ROLLUPS:
        rollup = {"child": "account", **body["rollup"]}
        response = api.post(
            "/admin/objects/account/fields",
            json={**body, "type": "rollup_summary", "rollup": rollup},
        )
        assert response.status_code == 201, response.json()
    for name, expression in (
        ("tree_total", "(amount or 0) + children_total"),
        ("billed_total", "(amount or 0) + billed_children_total"),
    ):
        path = f"/admin/objects/account/fields/{name}"
        changed = api.patch(path, json={"expression": expression})
        assert changed.status_code == 200, changed.json()
    return api


@pytest.fixture
def trees(api: Api) -> Api:
    return accounts(api)


def make(
    api: Api, amount: int | None, parent: str | None = None, billing: str | None = None
) -> str:
    body = {"amount": amount, "parent": parent, "billing_parent": billing}
    response = api.post("/data/account", json=body)
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def expected(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every computed value of every account, from the amounts and both lookups alone."""
    children: dict[str, dict[str, list[str]]] = {link: {} for link in LINKS}
    for record_id, record in stored.items():
        for link in LINKS:
            if record[link] is not None:
                children[link].setdefault(record[link], []).append(record_id)

    def below(link: str, record_id: str) -> list[str]:
        return children[link].get(record_id, [])

    def amounts(link: str, record_id: str) -> list[int]:
        found = (stored[child]["amount"] for child in below(link, record_id))
        return [amount for amount in found if amount is not None]

    @cache
    def tree(record_id: str) -> int:
        own = stored[record_id]["amount"] or 0
        return own + sum(tree(child) for child in below("parent", record_id))

    @cache
    def billed(record_id: str) -> int:
        own = stored[record_id]["amount"] or 0
        return own + sum(billed(child) for child in below("billing_parent", record_id))

    return {
        record_id: {
            "children_count": len(below("parent", record_id)),
            "children_total": sum(tree(child) for child in below("parent", record_id)),
            "largest_child": max(amounts("parent", record_id), default=None),
            "billed_count": len(below("billing_parent", record_id)),
            "billed_children_total": sum(
                billed(child) for child in below("billing_parent", record_id)
            ),
            "smallest_billed": min(amounts("billing_parent", record_id), default=None),
            "billed_tree_total": sum(tree(child) for child in below("billing_parent", record_id)),
            "children_billed": sum(
                len(below("billing_parent", child)) for child in below("parent", record_id)
            ),
            "tree_total": tree(record_id),
            "billed_total": billed(record_id),
        }
        for record_id in stored
    }


def assert_exact(api: Api) -> dict[str, dict[str, Any]]:
    stored = records(api)
    actual = {i: {name: r[name] for name in COMPUTED} for i, r in stored.items()}
    wanted = expected(stored)
    wrong = {i: (actual[i], wanted[i]) for i in stored if actual[i] != wanted[i]}
    assert wrong == {}
    return stored


def depth(stored: dict[str, dict[str, Any]], record_id: str, link: str) -> int:
    levels = 1
    while stored[record_id][link] is not None:
        record_id = stored[record_id][link]
        levels += 1
    return levels


def forest(api: Api, size: int = 40, *, seed: int = 7) -> list[str]:
    """`size` accounts in two different trees, each six levels deep and several wide.

    Each account's parent and billing parent are earlier accounts, picked at random
    among those not yet at the sixth level of that lookup's tree.
    """
    rng = random.Random(seed)
    ids: list[str] = []
    levels: dict[str, dict[str, int]] = {link: {} for link in LINKS}
    for n in range(size):
        chosen: dict[str, str | None] = {}
        for link in LINKS:
            open_ = [i for i in ids if levels[link][i] < 6]
            # The first few are roots; then mostly deep, so both trees reach six levels.
            pick = None
            if n >= 3 and open_ and rng.random() < 0.9:
                deepest = max(levels[link][i] for i in open_)
                pool = [i for i in open_ if levels[link][i] >= deepest - 1] or open_
                pick = rng.choice(pool if rng.random() < 0.5 else open_)
            chosen[link] = pick
        record_id = make(api, rng.randint(1, 999), chosen["parent"], chosen["billing_parent"])
        ids.append(record_id)
        for link in LINKS:
            parent = chosen[link]
            levels[link][record_id] = 1 if parent is None else levels[link][parent] + 1
    return ids


def test_each_lookup_keeps_its_own_tree_exact_at_every_level(trees: Api) -> None:
    ids = forest(trees)
    stored = assert_exact(trees)
    for link in LINKS:
        assert max(depth(stored, i, link) for i in ids) == 6
        assert max(len([r for r in stored.values() if r[link] == i]) for i in ids) >= 4


def test_a_change_deep_in_both_trees_recomputes_each_ancestor_once(trees: Api) -> None:
    ids = forest(trees)
    before = assert_exact(trees)
    leaf = max(ids, key=lambda i: depth(before, i, "parent") + depth(before, i, "billing_parent"))
    changed = trees.patch(f"/data/account/{leaf}", json={"amount": 5000})
    assert changed.status_code == 200, changed.json()
    after = assert_exact(trees)
    moved = {i for i in ids if any(after[i][n] != before[i][n] for n in COMPUTED)}
    assert len(moved) > 6
    # An ancestor in both trees (or reached twice) got one new version, not one per path.
    for record_id in ids:
        bump = after[record_id]["version"] - before[record_id]["version"]
        assert bump == int(record_id in moved or record_id == leaf), record_id


def test_moving_a_record_on_either_lookup_updates_its_old_and_new_ancestors(trees: Api) -> None:
    ids = forest(trees)
    stored = assert_exact(trees)
    rng = random.Random(11)
    for step in range(12):
        record_id = rng.choice(ids)
        below = {record_id}
        link = LINKS[step % 2]
        # Any record not below the moved one (through this lookup) is a valid new parent.
        grew = True
        while grew:
            more = {i for i in ids if stored[i][link] in below} - below
            grew = bool(more)
            below |= more
        target = rng.choice([i for i in ids if i not in below] + [None])
        patch = {link: target}
        if step % 3 == 2:
            other = LINKS[(step + 1) % 2]
            patch[other] = None
        moved = trees.patch(f"/data/account/{record_id}", json=patch)
        assert moved.status_code == 200, moved.json()
        stored = assert_exact(trees)


def test_a_wide_batch_on_both_lookups_is_counted_and_summed(trees: Api) -> None:
    root = make(trees, 1)
    middle = make(trees, 2, root, root)
    other = make(trees, 3, None, middle)
    batch = trees.post(
        "/data/account/bulk",
        json=[
            {
                "amount": n,
                "parent": middle if n % 2 else root,
                "billing_parent": (root, middle, other)[n % 3],
            }
            for n in range(300)
        ],
    )
    assert batch.status_code == 200, batch.json()
    stored = assert_exact(trees)
    assert (stored[root]["children_count"], stored[root]["billed_count"]) == (151, 101)
    children = [r["id"] for r in batch.json()["results"]]
    for child in children[:4]:
        assert trees.patch(f"/data/account/{child}", json={"amount": 10_000}).status_code == 200
    assert trees.delete(f"/data/account/{children[4]}").status_code in (200, 204)
    assert_exact(trees)


def test_deleting_a_record_updates_its_ancestors_in_both_trees(trees: Api) -> None:
    ids = forest(trees)
    stored = assert_exact(trees)
    for record_id in sorted(ids, key=lambda i: -stored[i]["children_count"])[:3]:
        deleted = trees.delete(f"/data/account/{record_id}")
        assert deleted.status_code in (200, 204), deleted.json()
        stored = assert_exact(trees)
    assert len(stored) == 37


def test_a_billing_subtree_deleted_by_cascade_updates_its_parent_ancestors(api: Api) -> None:
    trees = accounts(api, billing_delete="cascade")
    root = make(trees, 1)
    payer = make(trees, 2, root)
    billed = [make(trees, 10, root, payer)]
    billed.append(make(trees, 20, billed[0], billed[0]))
    billed.append(make(trees, 30, payer, billed[1]))
    keeper = make(trees, 40, billed[1])
    assert_exact(trees)
    assert trees.delete(f"/data/account/{billed[0]}").status_code in (200, 204)
    stored = assert_exact(trees)
    assert set(stored) == {root, payer, keeper}
    assert stored[keeper]["parent"] is None
    assert stored[root]["tree_total"] == 1 + 2


def test_recalculating_any_rollup_rebuilds_both_trees(trees: Api) -> None:
    forest(trees)
    assert_exact(trees)
    context = trees.tenant.context()
    account = tenant_catalog(context).objects["account"]
    for field in ("billed_count", "children_total", "billed_tree_total", "tree_total"):
        with (
            tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as conn,
            conn.begin(),
        ):
            columns = [account.fields[name].column.name for name in COMPUTED]
            conn.execute(update(account.table).values(dict.fromkeys(columns, 3)))
        rebuilt = trees.post(f"/admin/objects/account/fields/{field}/recalculate")
        assert rebuilt.status_code == 200, rebuilt.json()
        assert rebuilt.json()["changed"] == 40
        assert_exact(trees)


def test_a_cycle_through_the_second_lookup_is_refused_naming_it(trees: Api) -> None:
    top = make(trees, 1)
    chain = [top]
    for amount in (2, 3, 4):
        chain.append(make(trees, amount, top, chain[-1]))
    before = assert_exact(trees)
    for target in (chain[3], chain[0]):
        refused = trees.patch(f"/data/account/{chain[0]}", json={"billing_parent": target})
        assert refused.status_code == 422, refused.json()
        problem = refused.json()
        assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
            ("/billing_parent", "hierarchy-cycle")
        ]
        assert chain[0] in problem["detail"] and "billing_parent" in problem["detail"]
        assert problem["field"] == "billing_parent"
    assert assert_exact(trees) == before


def test_a_batch_that_closes_a_loop_on_the_second_lookup_is_refused(trees: Api) -> None:
    first = trees.post("/data/account", json={"ref": "A", "amount": 1}).json()["id"]
    second = trees.post("/data/account", json={"ref": "B", "amount": 2, "parent": first}).json()
    before = assert_exact(trees)
    refused = trees.post(
        "/data/account/bulk",
        params={"upsert_on": "ref"},
        json=[{"ref": "A", "billing_parent": second["id"]}, {"ref": "B", "billing_parent": first}],
    )
    assert refused.status_code == 422, refused.json()
    errors = refused.json()["errors"]
    assert [e["code"] for e in errors] == ["hierarchy-cycle"]
    assert errors[0]["pointer"].endswith("/billing_parent")
    assert assert_exact(trees) == before


def test_records_may_be_each_others_ancestors_through_different_lookups(trees: Api) -> None:
    top = make(trees, 1)
    low = make(trees, 10, top)
    leaf = make(trees, 100, low)
    # top pays for low's subtree's parent: a loop across the lookups, no cycle in either.
    looped = trees.patch(f"/data/account/{top}", json={"billing_parent": leaf})
    assert looped.status_code == 200, looped.json()
    stored = assert_exact(trees)
    assert stored[leaf]["billed_tree_total"] == 111
    assert trees.patch(f"/data/account/{leaf}", json={"amount": 1000}).status_code == 200
    assert_exact(trees)
    assert trees.patch(f"/data/account/{low}", json={"billing_parent": top}).status_code == 200
    assert_exact(trees)
    rebuilt = trees.post("/admin/objects/account/fields/billed_tree_total/recalculate")
    assert rebuilt.status_code == 200, rebuilt.json()
    assert_exact(trees)


def test_a_loop_whose_values_feed_each_other_is_refused(api: Api) -> None:
    account = {
        "api_name": "account",
        "fields": [
            {"api_name": "amount", "type": "integer"},
            *(
                {"api_name": link, "type": "lookup", "target": "account", "on_delete": "set_null"}
                for link in LINKS
            ),
            {"api_name": "grand", "type": "formula", "return_type": "integer", "expression": "0"},
        ],
    }
    assert api.post("/admin/objects", json=account).status_code == 201
    for name, link in (("under_parent", "parent"), ("under_billing", "billing_parent")):
        rollup = {"child": "account", "field": "grand", "function": "sum", "link": link}
        body = {"api_name": name, "type": "rollup_summary", "return_type": "integer"}
        added = api.post("/admin/objects/account/fields", json={**body, "rollup": rollup})
        assert added.status_code == 201, added.json()
    changed = api.patch(
        "/admin/objects/account/fields/grand",
        json={"expression": "(amount or 0) + under_parent + under_billing"},
    )
    assert changed.status_code == 200, changed.json()
    top = make(api, 1)
    low = make(api, 10, top)
    # top's grand total would hold low's, which would hold top's: it never settles.
    refused = api.patch(f"/data/account/{top}", json={"billing_parent": low})
    assert refused.status_code == 422, refused.json()
    problem = refused.json()
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("/billing_parent", "hierarchy-cycle"),
        ("/parent", "hierarchy-cycle"),
    ]
    stored = records(api)
    assert stored[top]["billing_parent"] is None
    assert (stored[top]["grand"], stored[low]["grand"]) == (11, 10)


def test_a_cycle_stored_behind_the_api_is_reported_by_a_recalculation(trees: Api) -> None:
    first = make(trees, 1)
    second = make(trees, 2, None, first)
    context = trees.tenant.context()
    account = tenant_catalog(context).objects["account"]
    with (
        tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as conn,
        conn.begin(),
    ):
        link = account.fields["billing_parent"].column
        conn.execute(
            update(account.table)
            .where(account.table.c.id == UUID(first))
            .values({link.name: UUID(second)})
        )
    refused = trees.post("/admin/objects/account/fields/billed_count/recalculate")
    assert refused.status_code == 422, refused.json()
    problem = refused.json()
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("/billing_parent", "hierarchy-cycle")
    ]
    assert sorted(problem["records"]) == sorted([first, second])
