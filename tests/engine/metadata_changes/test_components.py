"""Component kinds stored beside objects: added, renamed, patched and removed as changes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.access.kinds import PERMISSION_SETS
from engine.errors import MetadataError, NotFound, Problem
from engine.metadata_changes.components import (
    ComponentKindSpec,
    NewComponent,
    add_components,
    delete_component,
    get_component,
    list_components,
    patch_component,
    save_component,
)
from metadata.models import ComponentKind, RoleDef, TenantMetadata
from tests.conftest import Api, TenantHandle


def _parent_exists(state: TenantMetadata, role: Any, own: Any) -> list[Problem]:
    if role.parent is None or state.find_component(ComponentKind.ROLE, role.parent):
        return []
    return [Problem("/parent", "unknown-role", f"there is no role {role.parent!r}")]


ROLES = ComponentKindSpec(kind=ComponentKind.ROLE, model=RoleDef, noun="role", check=_parent_exists)


def test_a_component_is_added_renamed_keeping_its_id_and_removed(tenant: TenantHandle) -> None:
    added = save_component(tenant.context(), ROLES, {"api_name": "ceo", "label": "CEO"})
    assert added.result == {"api_name": "ceo", "label": "CEO"}
    assert added.operations == ["add role ceo"]
    save_component(tenant.context(), ROLES, {"api_name": "sales", "parent": "ceo"})
    before = tenant.context()
    renamed = patch_component(before, ROLES, "sales", {"api_name": "sales_emea"})
    assert renamed.operations == ["rename role sales to sales_emea"]
    assert [r["api_name"] for r in list_components(tenant.context(), ROLES)] == [
        "ceo",
        "sales_emea",
    ]
    assert get_component(tenant.context(), ROLES, "sales_emea")["parent"] == "ceo"
    removed = delete_component(tenant.context(), ROLES, "sales_emea")
    assert removed.operations == ["remove role sales_emea"]
    with pytest.raises(NotFound, match="no role 'sales_emea'"):
        get_component(tenant.context(), ROLES, "sales_emea")


def test_a_dry_run_changes_nothing_and_a_bad_component_names_every_problem(
    tenant: TenantHandle,
) -> None:
    planned = save_component(tenant.context(), ROLES, {"api_name": "ceo"}, dry_run=True)
    assert planned.is_dry_run and planned.operations == ["add role ceo"]
    assert list_components(tenant.context(), ROLES) == []
    with pytest.raises(MetadataError) as refused:
        save_component(tenant.context(), ROLES, {"api_name": "Bad Name", "parent": "nobody"})
    assert {p.pointer for p in refused.value.problems} == {"/api_name", "/parent"}


def test_components_travel_in_the_metadata_export(api: Api) -> None:
    save_component(api.tenant.context(), ROLES, {"api_name": "ceo"})
    exported = api.get("/admin/metadata").json()
    assert exported["roles"] == [{"api_name": "ceo"}]
    assert [s["api_name"] for s in exported["permission_sets"]] == ["administrator"]


def test_components_of_several_kinds_are_added_as_one_revision(api: Api) -> None:
    before = api.get("/admin/revisions").json()["data"]
    sales = {"api_name": "sales", "objects": {"*": {"read": True}}}
    added = add_components(
        api.tenant.context(),
        [
            NewComponent(ROLES, {"api_name": "ceo"}),
            NewComponent(ROLES, {"api_name": "rep", "parent": "ceo"}),
            NewComponent(PERMISSION_SETS, sales),
        ],
        summary="a sales team",
    )
    assert added.operations == ["add role ceo", "add role rep", "add permission set sales"]
    assert [c["api_name"] for c in added.result["components"]] == ["ceo", "rep", "sales"]
    revisions = api.get("/admin/revisions").json()["data"]
    assert len(revisions) == len(before) + 1
    assert revisions[0]["summary"] == "a sales team"
    assert revisions[0]["changes"][0]["operations"] == added.operations
    exported = api.get("/admin/metadata").json()
    assert [r["api_name"] for r in exported["roles"]] == ["ceo", "rep"]
    assert [s["api_name"] for s in exported["permission_sets"]] == ["administrator", "sales"]


def test_one_refused_component_adds_none_of_them(tenant: TenantHandle) -> None:
    revision = tenant.context().tenant.revision
    with pytest.raises(MetadataError, match="role 'rep' is not valid") as refused:
        add_components(
            tenant.context(),
            [
                NewComponent(ROLES, {"api_name": "ceo"}),
                NewComponent(ROLES, {"api_name": "rep", "parent": "nobody"}),
            ],
            summary="a sales team",
        )
    assert [p.pointer for p in refused.value.problems] == ["/parent"]
    assert list_components(tenant.context(), ROLES) == []
    assert tenant.context().tenant.revision == revision
