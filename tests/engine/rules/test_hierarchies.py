"""Roll-ups over a self-referencing lookup: account hierarchies kept exact at every level.

Each test builds a tree through the API and compares every stored summary with the
value a plain Python model of the same tree computes.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from tests.conftest import Api


def hierarchy(api: Api, *, on_delete: str = "set_null", is_bare: bool = False) -> Api:
    """An account object whose accounts sum their children's tree totals."""
    account = {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "amount", "type": "integer"},
            {"api_name": "parent", "type": "lookup", "target": "account", "on_delete": on_delete},
            {
                "api_name": "tree_total",
                "type": "formula",
                "return_type": "integer",
                "expression": "amount",
            },
        ],
    }
    assert api.post("/admin/objects", json=account).status_code == 201
    return api if is_bare else add_summaries(api)


def add_summaries(api: Api) -> Api:
    """Add the roll-ups, and make the tree total read them (existing records computed)."""
    for body in (
        {"api_name": "children_count", "rollup": {"child": "account", "function": "count"}},
        {
            "api_name": "children_total",
            "return_type": "integer",
            "rollup": {"child": "account", "field": "tree_total", "function": "sum"},
        },
    ):
        response = api.post(
            "/admin/objects/account/fields", json={"type": "rollup_summary", **body}
        )
        assert response.status_code == 201, response.json()
    changed = api.patch(
        "/admin/objects/account/fields/tree_total",
        json={"expression": "(amount or 0) + children_total"},
    )
    assert changed.status_code == 200, changed.json()
    return api


@pytest.fixture
def tree(api: Api) -> Api:
    return hierarchy(api)


def make(api: Api, amount: int, parent: str | None = None, name: str = "") -> str:
    response = api.post("/data/account", json={"amount": amount, "parent": parent, "name": name})
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def records(api: Api) -> dict[str, dict[str, Any]]:
    """Every account as stored, by id."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = api.get("/data/account", params=params).json()
        found.update({record["id"]: record for record in page["data"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def expected(stored: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """(children_count, tree_total) of every account, computed from amounts and parents."""
    children: dict[str | None, list[str]] = {}
    for record_id, record in stored.items():
        children.setdefault(record["parent"], []).append(record_id)

    def total(record_id: str) -> int:
        own = stored[record_id]["amount"] or 0
        return own + sum(total(child) for child in children.get(record_id, []))

    return {record_id: (len(children.get(record_id, [])), total(record_id)) for record_id in stored}


def assert_exact(api: Api) -> dict[str, dict[str, Any]]:
    stored = records(api)
    actual = {i: (r["children_count"], r["tree_total"]) for i, r in stored.items()}
    assert actual == expected(stored)
    return stored


def chain(api: Api, depth: int) -> list[str]:
    """A chain of `depth` accounts, root first, with amounts 1, 2, 4, …"""
    ids: list[str] = []
    for level in range(depth):
        ids.append(make(api, 2**level % 1_000_003, ids[-1] if ids else None))
    return ids


def test_a_new_leaf_is_summed_into_every_ancestor(tree: Api) -> None:
    root = make(tree, 1)
    middle = make(tree, 10, root)
    make(tree, 100, middle)
    stored = assert_exact(tree)
    assert (stored[root]["children_count"], stored[root]["tree_total"]) == (1, 111)


def test_a_change_fifty_levels_deep_reaches_the_root_once_per_level(api: Api) -> None:
    tree = hierarchy(api, is_bare=True)
    ids = chain(tree, 50)
    # Adding the summaries to existing records computes them from the leaves up.
    add_summaries(tree)
    before = assert_exact(tree)
    changed = tree.patch(f"/data/account/{ids[-1]}", json={"amount": 7})
    assert changed.status_code == 200, changed.json()
    after = assert_exact(tree)
    # Every ancestor is recomputed once: its roll-up and formula in one new version.
    assert [after[i]["version"] - before[i]["version"] for i in ids[:-1]] == [1] * 49


def test_five_hundred_children_are_counted_and_summed(tree: Api) -> None:
    root = make(tree, 0)
    middle = make(tree, 5, root)
    batch = tree.post(
        "/data/account/bulk",
        json=[{"amount": n, "parent": middle if n % 2 else root} for n in range(500)],
    )
    assert batch.status_code == 200, batch.json()
    stored = assert_exact(tree)
    assert stored[root]["children_count"] == 251
    assert stored[root]["tree_total"] == 5 + sum(range(500))
    children = [r["id"] for r in batch.json()["results"]]
    for child in children[:3]:
        tree.patch(f"/data/account/{child}", json={"amount": 1000})
    tree.delete(f"/data/account/{children[3]}")
    assert_exact(tree)


def test_moving_a_subtree_updates_the_old_and_the_new_ancestors(tree: Api) -> None:
    root = make(tree, 1)
    left = chain_under(tree, root, [10, 20, 30])
    right = chain_under(tree, root, [100, 200])
    make(tree, 5, left[1])
    before = assert_exact(tree)
    moved = tree.patch(f"/data/account/{left[1]}", json={"parent": right[1]})
    assert moved.status_code == 200, moved.json()
    after = assert_exact(tree)
    assert after[root]["tree_total"] == before[root]["tree_total"]
    assert after[left[0]]["tree_total"] == 10
    assert after[right[1]]["tree_total"] == 200 + 20 + 30 + 5
    # The common ancestor's total did not change, so it kept its version.
    assert after[root]["version"] == before[root]["version"]
    tree.patch(f"/data/account/{left[1]}", json={"parent": None})
    assert assert_exact(tree)[root]["tree_total"] == 1 + 10 + 100 + 200


def chain_under(api: Api, parent: str, amounts: list[int]) -> list[str]:
    ids: list[str] = []
    for amount in amounts:
        ids.append(make(api, amount, ids[-1] if ids else parent))
    return ids


def test_deleting_a_middle_node_makes_its_children_roots_under_set_null(tree: Api) -> None:
    root = make(tree, 1)
    middle = chain_under(tree, root, [10, 100, 1000])
    make(tree, 7, middle[0])
    assert tree.delete(f"/data/account/{middle[0]}").status_code in (200, 204)
    stored = assert_exact(tree)
    assert stored[root]["tree_total"] == 1
    assert stored[middle[1]]["parent"] is None
    assert stored[middle[1]]["tree_total"] == 1100


def test_deleting_a_middle_node_deletes_its_subtree_under_cascade(api: Api) -> None:
    tree = hierarchy(api, on_delete="cascade")
    root = make(tree, 1)
    middle = chain_under(tree, root, [10, 100, 1000])
    sibling = make(tree, 3, root)
    make(tree, 7, middle[1])
    assert tree.delete(f"/data/account/{middle[0]}").status_code in (200, 204)
    stored = assert_exact(tree)
    assert set(stored) == {root, sibling}
    assert (stored[root]["children_count"], stored[root]["tree_total"]) == (1, 4)


def test_deleting_a_middle_node_with_children_is_refused_under_restrict(api: Api) -> None:
    tree = hierarchy(api, on_delete="restrict")
    root = make(tree, 1)
    middle = chain_under(tree, root, [10, 100])
    before = assert_exact(tree)
    refused = tree.delete(f"/data/account/{middle[0]}")
    assert refused.status_code == 409, refused.json()
    assert assert_exact(tree) == before


def test_a_write_that_makes_a_record_its_own_ancestor_is_refused(tree: Api) -> None:
    ids = chain(tree, 4)
    before = assert_exact(tree)
    for target in (ids[3], ids[0]):
        refused = tree.patch(f"/data/account/{ids[0]}", json={"parent": target})
        assert refused.status_code == 422, refused.json()
        problem = refused.json()
        assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
            ("/parent", "hierarchy-cycle")
        ]
        assert ids[0] in problem["detail"]
    assert assert_exact(tree) == before


def test_recalculation_rebuilds_a_hierarchy_from_its_leaves(tree: Api) -> None:
    ids = chain(tree, 12)
    for n in range(3):
        make(tree, n, ids[4])
    context = tree.tenant.context()
    account = tenant_catalog(context).objects["account"]
    for field in ("children_count", "tree_total"):
        with (
            tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as conn,
            conn.begin(),
        ):
            conn.execute(
                update(account.table).values(tree_total=0, children_total=0, children_count=9)
            )
        rebuilt = tree.post(f"/admin/objects/account/fields/{field}/recalculate")
        assert rebuilt.status_code == 200, rebuilt.json()
        assert rebuilt.json()["changed"] > 0
        assert_exact(tree)


def test_a_batch_that_closes_a_loop_is_refused(tree: Api) -> None:
    added = tree.post(
        "/admin/objects/account/fields", json={"api_name": "ref", "type": "text", "unique": True}
    )
    assert added.status_code == 201, added.json()
    first = tree.post("/data/account", json={"ref": "A", "amount": 1}).json()["id"]
    second = tree.post("/data/account", json={"ref": "B", "amount": 2}).json()["id"]
    before = assert_exact(tree)
    refused = tree.post(
        "/data/account/bulk",
        params={"upsert_on": "ref"},
        json=[{"ref": "A", "parent": second}, {"ref": "B", "parent": first}],
    )
    assert refused.status_code == 422, refused.json()
    assert [e["code"] for e in refused.json()["errors"]] == ["hierarchy-cycle"]
    assert assert_exact(tree) == before


def test_a_formula_reading_the_parent_follows_it_down_the_tree(tree: Api) -> None:
    added = tree.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "parent_name",
            "type": "formula",
            "return_type": "text",
            "expression": "parent.name",
        },
    )
    assert added.status_code == 201, added.json()
    root = make(tree, 1, name="Root")
    child = make(tree, 2, root, name="Child")
    grandchild = make(tree, 3, child, name="Grandchild")
    tree.patch(f"/data/account/{root}", json={"name": "Renamed"})
    tree.patch(f"/data/account/{child}", json={"name": "Middle", "amount": 20})
    stored = assert_exact(tree)
    assert stored[child]["parent_name"] == "Renamed"
    assert stored[grandchild]["parent_name"] == "Middle"
    assert stored[root]["tree_total"] == 24


def test_a_default_filling_empty_amounts_recomputes_the_whole_tree(tree: Api) -> None:
    root = make(tree, 1)
    middle = tree.post("/data/account", json={"parent": root}).json()["id"]
    tree.post("/data/account", json={"parent": middle})
    make(tree, 7, middle)
    assert assert_exact(tree)[root]["tree_total"] == 8
    filled = tree.patch(
        "/admin/objects/account/fields/amount", json={"required": True, "default": 5}
    )
    assert filled.status_code == 200, filled.json()
    stored = assert_exact(tree)
    assert stored[root]["tree_total"] == 1 + 5 + 5 + 7
