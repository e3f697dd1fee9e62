"""Who may move partner accounts: the partner hierarchy decides who reads what.

A partner user sees the records of the accounts under theirs (docs/sharing.md), so a
write that moves an account in that hierarchy grants or takes away access like a user
change does. It needs the same right: `manage_users`. The save pipeline asks here for
every save (single, bulk, upsert, import) and every delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.access.rights import rights_of
from engine.access.sharing_settings import sharing_settings
from engine.catalog import Catalog, CompiledObject
from engine.context import Caller
from engine.errors import PermissionDenied, Problem
from metadata.models import SystemRight


def refuse_partner_moves(
    catalog: Catalog,
    obj: CompiledObject,
    caller: Caller,
    writes: Iterable[tuple[bool, Mapping[str, Any], str]],
) -> None:
    """Refuse writes that set the partner object's parent field without `manage_users`.

    `writes` holds, per record, whether it is new, the values it writes and its pointer.
    A new account with an empty parent moves nothing and is let through.

    Raises:
        PermissionDenied: some write sets the parent field (403), naming field and right.
    """
    parent = _parent_field(catalog, obj)
    if parent is None or _may_manage(catalog, caller):
        return
    pointers = [
        pointer
        for is_new, values, pointer in writes
        if parent in values and not (is_new and values[parent] is None)
    ]
    if pointers:
        message = (
            f"setting {obj.state.api_name}.{parent} moves a partner account in the partner "
            f"hierarchy and needs the {SystemRight.MANAGE_USERS.value!r} system right, "
            "which none of your permission sets grants; ask an administrator"
        )
        raise PermissionDenied(
            message,
            problems=[
                Problem(f"{pointer}/{parent}", "partner-hierarchy", message) for pointer in pointers
            ],
            extra={"field": parent, "right": SystemRight.MANAGE_USERS.value},
        )


def refuse_partner_delete(catalog: Catalog, obj: CompiledObject, caller: Caller) -> None:
    """Refuse deleting a partner account without `manage_users` (its users lose access).

    Raises:
        PermissionDenied: the object holds partner accounts and the right is missing (403).
    """
    partner = sharing_settings(catalog).partner
    if partner is None or partner.object != obj.state.api_name:
        return
    if not _may_manage(catalog, caller):
        raise PermissionDenied(
            f"deleting a record of {obj.state.api_name!r} removes a partner account from "
            f"the partner hierarchy and needs the {SystemRight.MANAGE_USERS.value!r} "
            "system right, which none of your permission sets grants; ask an administrator",
            extra={"object": obj.state.api_name, "right": SystemRight.MANAGE_USERS.value},
        )


def _parent_field(catalog: Catalog, obj: CompiledObject) -> str | None:
    partner = sharing_settings(catalog).partner
    if partner is None or partner.object != obj.state.api_name:
        return None
    return partner.parent_field or None


def _may_manage(catalog: Catalog, caller: Caller) -> bool:
    return rights_of(catalog, caller).has_system(SystemRight.MANAGE_USERS)
