"""A field's `pii` and `track_history` flags turned on or off are written to the audit
log, like changes of roles, groups, permission sets and sharing."""

from __future__ import annotations

from typing import Any

from engine import metadata_changes
from engine.audit import list_events
from engine.tenancy import get_tenant
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

CONTACT = {
    "api_name": "contact",
    "fields": [
        {"api_name": "email", "type": "email", "pii": True},
        {"api_name": "note", "type": "text"},
    ],
}


def field_events(tenant: TenantHandle) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The field flag events, oldest first: action, target, details."""
    with tenant.engine.db.connect() as connection:
        events = list_events(
            connection, get_tenant(tenant.engine, tenant.name).id, action="metadata.field_"
        )
    return [(e.action, e.target, e.details) for e in reversed(events)]


def test_turning_pii_off_and_on_is_audited_with_the_field_and_the_new_value(
    tenant: TenantHandle,
) -> None:
    context = tenant.context()
    metadata_changes.create_object(context, ObjectDef.model_validate(CONTACT))
    assert field_events(tenant) == []  # a field made with the flag turns nothing on
    off = metadata_changes.update_field(context, "contact", "email", {"pii": False})
    metadata_changes.update_field(context, "contact", "email", {"pii": True})
    events = field_events(tenant)
    assert [(action, target) for action, target, _ in events] == [
        ("metadata.field_pii_changed", "field:contact.email"),
        ("metadata.field_pii_changed", "field:contact.email"),
    ]
    assert events[0][2] == {
        "revision": off.revision,
        "summary": "update field contact.email",
        "object": "contact",
        "field": "email",
        "pii": False,
    }
    assert events[1][2]["pii"] is True
    [event] = list_events_of(tenant, "metadata.field_pii_changed", limit=1)
    assert event.actor == str(tenant.user_id)


def test_turning_track_history_on_and_off_is_audited(tenant: TenantHandle) -> None:
    context = tenant.context()
    metadata_changes.create_object(context, ObjectDef.model_validate(CONTACT))
    metadata_changes.update_field(context, "contact", "note", {"track_history": True})
    metadata_changes.update_field(context, "contact", "note", {"track_history": False})
    assert [(a, t, d["track_history"]) for a, t, d in field_events(tenant)] == [
        ("metadata.field_history_changed", "field:contact.note", True),
        ("metadata.field_history_changed", "field:contact.note", False),
    ]


def test_a_dry_run_a_rename_or_another_key_of_the_field_writes_no_flag_event(
    tenant: TenantHandle,
) -> None:
    context = tenant.context()
    metadata_changes.create_object(context, ObjectDef.model_validate(CONTACT))
    metadata_changes.update_field(context, "contact", "email", {"pii": False}, dry_run=True)
    metadata_changes.update_field(context, "contact", "email", {"label": "E-mail"})
    metadata_changes.update_field(context, "contact", "email", {"api_name": "mail"})
    assert field_events(tenant) == []
    metadata_changes.update_field(context, "contact", "mail", {"pii": False})
    assert [t for _, t, _ in field_events(tenant)] == ["field:contact.mail"]


def list_events_of(tenant: TenantHandle, action: str, *, limit: int) -> list[Any]:
    with tenant.engine.db.connect() as connection:
        return list_events(
            connection, get_tenant(tenant.engine, tenant.name).id, action=action, limit=limit
        )
