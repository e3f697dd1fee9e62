"""`GET /me`: the caller, their role, permission sets and effective rights."""

from __future__ import annotations

from typing import Any

from engine.access.rights import Rights, rights_of
from engine.catalog import Catalog, tenant_catalog
from engine.context import RequestContext
from metadata.models import ObjectRight


def _rights_document(catalog: Catalog, rights: Rights) -> dict[str, Any]:
    """Rights on every live object the caller may read; a field is listed only where it
    differs from its object.

    An object or field the caller may not read is left out: its name is not theirs to
    learn. Of the fields the caller may read (those of `GET /schema/{object}`), one not
    listed may be edited when the object may be edited (or records of it created).
    """
    objects: dict[str, dict[str, bool]] = {}
    fields: dict[str, dict[str, bool]] = {}
    for name, compiled in catalog.objects.items():
        granted = rights.on_object(name)
        if ObjectRight.READ not in granted:
            continue
        objects[name] = {right.value: right in granted for right in ObjectRight}
        can_read = ObjectRight.READ in granted
        can_edit = bool(granted & {ObjectRight.EDIT, ObjectRight.CREATE})
        for field in compiled.fields:
            read, edit = rights.can_read_field(name, field), rights.can_edit_field(name, field)
            if not read:
                continue  # hidden: answered as a field that does not exist
            if (read, edit) != (can_read, can_edit):
                fields[f"{name}.{field}"] = {"read": read, "edit": edit}
    return {
        "system": sorted(right.value for right in rights.system),
        "objects": objects,
        "fields": fields,
    }


def describe_caller(context: RequestContext) -> dict[str, Any]:
    """The user the request acts as, with what they may do in their tenant."""
    caller = context.caller
    catalog = tenant_catalog(context)
    return {
        "id": str(caller.user_id),
        "email": caller.email,
        "name": caller.name,
        "role": caller.role,
        "manager": str(caller.manager_id) if caller.manager_id else None,
        "active": True,
        "partner_account": str(caller.partner_account) if caller.partner_account else None,
        "permission_sets": list(caller.permission_sets),
        "locale": caller.locale,
        "tenant": context.tenant.name,
        "authenticated_with": "api_key" if caller.credential.startswith("key:") else "token",
        "rights": _rights_document(catalog, rights_of(catalog, caller)),
    }
