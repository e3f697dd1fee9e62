"""The caller's view of each object: readable, writable and masked fields, memoized."""

from __future__ import annotations

import dataclasses

import pytest

from engine.access import access_of
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.query import ObjectAccess
from metadata.models import ObjectRight
from tests.conftest import Api

LEAD = {
    "api_name": "lead",
    "fields": [
        {"api_name": "name", "type": "text", "pii": True},
        {"api_name": "phone", "type": "phone", "pii": True},
        {"api_name": "rating", "type": "integer"},
        {"api_name": "notes", "type": "long_text"},
    ],
}
SETS = [
    {"api_name": "reader", "objects": {"lead": {"read": True}}},
    {
        "api_name": "writer",
        "objects": {"lead": {"read": True, "edit": True}},
        "fields": {"lead.rating": {"read": True, "edit": False}, "lead.notes": {"read": False}},
    },
    {
        "api_name": "notes",
        "objects": {"lead": {"read": True}},
        "fields": {"lead.notes": {"read": True}},
    },
    {"api_name": "privacy", "system": ["view_pii"]},
]


@pytest.fixture
def context(api: Api) -> RequestContext:
    assert api.post("/admin/objects", json=LEAD).status_code == 201
    for permission_set in SETS:
        assert api.post("/admin/permission-sets", json=permission_set).status_code == 201
    return api.tenant.context()


def _as(context: RequestContext, *sets: str) -> RequestContext:
    return dataclasses.replace(
        context, caller=dataclasses.replace(context.caller, permission_sets=sets)
    )


def _lead(context: RequestContext, *sets: str) -> ObjectAccess:
    catalog = tenant_catalog(context)
    return access_of(catalog, _as(context, *sets).caller).on(catalog.objects["lead"])


def test_fields_a_set_does_not_name_follow_its_object_rights(context: RequestContext) -> None:
    reader = _lead(context, "reader")
    assert reader.rights == {ObjectRight.READ}
    assert reader.hidden == frozenset()
    assert reader.read_only == {"name", "phone", "rating", "notes"}


def test_a_named_field_has_exactly_the_rights_its_set_says(context: RequestContext) -> None:
    writer = _lead(context, "writer")
    assert writer.hidden == {"notes"}
    assert writer.read_only == {"rating"}
    assert writer.can_edit("phone") and not writer.can_edit("rating")
    assert writer.readable_fields(tenant_catalog(context).objects["lead"]) == [
        "name",
        "phone",
        "rating",
    ]


def test_the_union_of_sets_shows_what_any_set_shows(context: RequestContext) -> None:
    both = _lead(context, "writer", "notes")
    assert both.hidden == frozenset()
    assert both.can_read("notes") and not both.can_edit("notes")


def test_an_object_without_read_hides_everything(context: RequestContext) -> None:
    nothing = _lead(context, "privacy")
    assert not nothing.is_readable
    assert not nothing.can_read("id")
    assert nothing.hidden == {"name", "phone", "rating", "notes"}


def test_personal_data_is_masked_unless_a_set_grants_view_pii(context: RequestContext) -> None:
    masked = _lead(context, "reader")
    assert set(masked.masks) == {"name", "phone"}
    assert masked.masks["phone"]("13812345678") == "138****5678"
    assert masked.masks["name"]("张三") == "张*"
    assert masked.can_read("phone") and not masked.can_query("phone")
    assert _lead(context, "reader", "privacy").masks == {}


def test_a_view_is_built_once_per_revision_and_set_of_permission_sets(
    context: RequestContext,
) -> None:
    assert _lead(context, "writer", "notes") is _lead(context, "notes", "writer")
    assert _lead(context, "writer") is not _lead(context, "notes")
