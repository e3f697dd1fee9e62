"""Checks of the caller's rights that every entry point makes before it works."""

from __future__ import annotations

from engine.access.rights import Rights, rights_of
from engine.catalog import Catalog
from engine.context import RequestContext
from engine.errors import PermissionDenied
from metadata.models import ObjectRight, SystemRight


def require_system_right(context: RequestContext, catalog: Catalog, right: SystemRight) -> Rights:
    """Return the caller's rights if they include the system right `right`.

    Raises:
        Forbidden: none of the caller's permission sets grants it (403).
    """
    rights = rights_of(catalog, context.caller)
    if not rights.has_system(right):
        raise PermissionDenied(
            f"this needs the {right.value!r} system right, which none of your permission "
            "sets grants; ask an administrator"
        )
    return rights


def require_object_right(
    context: RequestContext, catalog: Catalog, object_name: str, right: ObjectRight
) -> Rights:
    """Return the caller's rights if they include `right` on object `object_name`.

    Raises:
        Forbidden: none of the caller's permission sets grants it (403).
    """
    rights = rights_of(catalog, context.caller)
    if not rights.can(object_name, right):
        raise PermissionDenied(
            f"you may not {right.value} records of {object_name!r}: none of your "
            "permission sets grants it; ask an administrator"
        )
    return rights
