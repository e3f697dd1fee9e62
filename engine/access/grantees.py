"""The principals a record is shared with: from a share's body to a key, and back.

A manual share names a user (its id or e-mail), a group or queue, a role (optionally with
its subordinates) or a partner account (its record id); it is stored as the principal's
key in `_access_shares` (`sharing_tables.py`) and shown in the same shape it was given.

A sharer learns nothing of the user directory or of partner accounts they may not read:
a user or account that is unknown, inactive or out of the caller's read scope gets one
and the same refusal, and e-mails are shown only to callers with `manage_users`. Only
they may name a user by e-mail, too: anyone else names users by id, and an e-mail from
them is refused the same way whether or not a user has it, so that sharing cannot tell
which e-mails have accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.access.sharing_settings import SharingSettings
from engine.access.sharing_tables import (
    group_key,
    partner_key,
    role_and_subordinates_key,
    role_key,
    user_key,
)
from engine.catalog import Catalog
from engine.errors import PermissionDenied, Problem, RecordValidationError
from engine.query import QueryScope
from engine.suggestions import did_you_mean
from metadata.models import ManualShareDef
from metadata.store import find_user, find_user_by_email, users

#: The keys of a share body that name its principal; exactly one is given.
PRINCIPAL_KEYS = ("user", "group", "role", "partner_account")


def grantee_of(
    connection: Connection,
    *,
    catalog: Catalog,
    settings: SharingSettings,
    share: ManualShareDef,
    scope: QueryScope,
    may_name_by_email: bool,
) -> str:
    """The key of the principal a share body names; `scope` is the caller's read scope
    (a partner account must be a record it shows), `may_name_by_email` whether they may
    see the user directory (`manage_users`) and so name a user by e-mail.

    Raises:
        RecordValidationError: it names none, several, or one that does not exist or the
            caller may not name (one refusal for both).
        PermissionDenied: a user named by e-mail by a caller who may not see e-mails
            (whether or not a user has that e-mail).
    """
    given = [key for key in PRINCIPAL_KEYS if getattr(share, key) is not None]
    if len(given) != 1:
        raise _refused(
            "/" + (given[1] if len(given) > 1 else ""),
            "one-principal",
            "a share names exactly one of user, group, role or partner_account",
        )
    tenant_id = catalog.metadata_state.tenant_id
    if share.user is not None:
        try:
            user = find_user(connection, tenant_id, UUID(share.user))
        except ValueError:
            if not may_name_by_email:
                raise _email_refused() from None
            user = find_user_by_email(connection, tenant_id, share.user)
        if user is None or not user.active:
            named_by = "id or e-mail" if may_name_by_email else "id"
            raise _unknown("/user", "user", f"an active user's {named_by}")
        return user_key(user.id)
    if share.group is not None:
        group = settings.groups.get(share.group)
        if group is None:
            hint = did_you_mean(share.group, settings.groups)
            raise _refused("/group", "unknown-group", f"there is no group {share.group!r}{hint}")
        return group_key(group.id)
    if share.role is not None:
        role = settings.roles.get(share.role)
        if role is None:
            hint = did_you_mean(share.role, settings.roles)
            raise _refused("/role", "unknown-role", f"there is no role {share.role!r}{hint}")
        if share.include_subordinates:
            return role_and_subordinates_key(role.id)
        return role_key(role.id)
    assert share.partner_account is not None
    if not _is_partner_account(connection, catalog, settings, share.partner_account, scope):
        raise _unknown("/partner_account", "partner_account", "a partner account you can read")
    return partner_key(share.partner_account)


def render_grantees(
    connection: Connection,
    settings: SharingSettings,
    keys: Iterable[str],
    *,
    with_emails: bool,
) -> dict[str, dict[str, Any]]:
    """Each key as the principal a share body names; a user by id, `with_emails` its
    e-mail too (for callers who may see the user directory)."""
    roles = {str(role.id): name for name, role in settings.roles.items()}
    groups = {str(group.id): name for name, group in settings.groups.items()}
    wanted = list(dict.fromkeys(keys))
    user_ids = [UUID(key.split(":", 1)[1]) for key in wanted if key.startswith("user:")]
    emails: dict[UUID, str] = {}
    if user_ids and with_emails:
        query = select(users.c.id, users.c.email).where(users.c.id.in_(user_ids))
        emails = {row.id: row.email for row in connection.execute(query)}
    rendered: dict[str, dict[str, Any]] = {}
    for key in wanted:
        kind, _, value = key.partition(":")
        if kind == "user":
            rendered[key] = {"user": value}
            if with_emails:
                rendered[key]["email"] = emails.get(UUID(value))
        elif kind == "group":
            rendered[key] = {"group": groups.get(value, value)}
        elif kind in ("role", "role_sub"):
            rendered[key] = {
                "role": roles.get(value, value),
                "include_subordinates": kind == "role_sub",
            }
        else:
            rendered[key] = {"partner_account": value}
    return rendered


def _is_partner_account(
    connection: Connection,
    catalog: Catalog,
    settings: SharingSettings,
    account: UUID,
    scope: QueryScope,
) -> bool:
    partner = settings.partner
    obj = catalog.objects.get(partner.object) if partner is not None else None
    if obj is None:
        return False
    query = select(obj.table.c.id).where(obj.table.c.id == account)
    readable = scope.predicate(obj, obj.table)
    if readable is not None:
        query = query.where(readable)
    return connection.execute(query).first() is not None


def _unknown(pointer: str, key: str, expected: str) -> RecordValidationError:
    # Unknown, inactive and unreadable read alike: the answer tells nothing of which.
    return _refused(
        pointer,
        "unknown-principal",
        f"{key!r} names nobody this record can be shared with; give {expected}",
    )


def _email_refused() -> PermissionDenied:
    # Decided before any lookup: the answer is the same for every e-mail.
    message = (
        "naming a user by e-mail needs the manage_users right, as seeing e-mails does; "
        "give the user's id"
    )
    return PermissionDenied(message, problems=[Problem("/user", "user-by-email", message)])


def _refused(pointer: str, code: str, message: str) -> RecordValidationError:
    return RecordValidationError(message, problems=[Problem(pointer, code, message)])
