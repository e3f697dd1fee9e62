"""Checks of a user definition against its tenant: every problem found, located (pure).

The e-mail is unique in the tenant; the role and permission sets are components of the
tenant; the manager is another user of the tenant and no chain of managers comes back
to the user; the locale is a language tag; a new password follows the password rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from engine.access.passwords import check_password_rules
from engine.access.users import normalized_email
from engine.errors import MetadataError, Problem
from engine.suggestions import did_you_mean
from metadata.models import ComponentKind, TenantMetadata, UserDef, fold_email
from metadata.store import UserRow

#: A language, an optional script, an optional region: `en`, `zh-CN`, `zh-Hant-TW`, `es-419`.
_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?$")


@dataclass(frozen=True)
class CheckedUser:
    """A user definition's values as stored: e-mail case-folded, manager and account ids."""

    email: str
    manager_id: UUID | None
    partner_account: UUID | None
    locale: str | None
    permission_sets: list[str]


def canonical_locale(locale: str) -> str | None:
    """`zh-cn` → `zh-CN`, `zh-hant-tw` → `zh-Hant-TW`; None for what is no language tag."""
    match = _LOCALE.match(locale.replace("_", "-"))
    if match is None:
        return None
    language, script, region = match.groups()
    parts = [language.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)


def _manager(
    users: Sequence[UserRow], reference: str | None, own: UserRow | None, problems: list[Problem]
) -> UUID | None:
    if reference is None:
        return None
    try:
        wanted = UUID(reference)
        manager = next((u for u in users if u.id == wanted), None)
    except ValueError:
        folded = fold_email(reference)
        manager = next((u for u in users if fold_email(u.email) == folded), None)
    if manager is None:
        problems.append(
            Problem("/manager", "unknown-user", f"there is no user {reference!r} in this tenant")
        )
        return None
    if own is None:
        return manager.id
    managers = {u.id: u.manager_id for u in users}
    managers[own.id] = manager.id
    seen: set[UUID] = set()
    current: UUID | None = manager.id
    while current is not None and current not in seen:
        if current == own.id:
            problems.append(
                Problem(
                    "/manager",
                    "manager-cycle",
                    f"{manager.email} cannot manage {own.email}: the chain of managers "
                    "would come back to them",
                )
            )
            return None
        seen.add(current)
        current = managers.get(current)
    return manager.id


def _components(state: TenantMetadata, definition: UserDef, problems: list[Problem]) -> list[str]:
    roles = [c.api_name for c in state.components_of(ComponentKind.ROLE)]
    if definition.role is not None and definition.role not in roles:
        problems.append(
            Problem(
                "/role",
                "unknown-role",
                f"there is no role {definition.role!r}{did_you_mean(definition.role, roles)}",
            )
        )
    sets = [c.api_name for c in state.components_of(ComponentKind.PERMISSION_SET)]
    for index, name in enumerate(definition.permission_sets):
        if name not in sets:
            problems.append(
                Problem(
                    f"/permission_sets/{index}",
                    "unknown-permission-set",
                    f"there is no permission set {name!r}{did_you_mean(name, sets)}",
                )
            )
    return list(dict.fromkeys(definition.permission_sets))


def _partner_account(reference: str | None, problems: list[Problem]) -> UUID | None:
    if reference is None:
        return None
    try:
        return UUID(reference)
    except ValueError:
        problems.append(
            Problem(
                "/partner_account",
                "invalid-id",
                f"{reference!r} is not a record id; give the id of a partner account record",
            )
        )
        return None


def check_user(
    state: TenantMetadata,
    users: Sequence[UserRow],
    definition: UserDef,
    *,
    own: UserRow | None,
) -> tuple[CheckedUser, list[Problem]]:
    """The definition's values as stored, and every problem found with it."""
    problems: list[Problem] = []
    email = definition.email
    try:
        email = normalized_email(definition.email)
    except MetadataError as exc:
        problems += exc.problems
    else:
        # Folded again: a row stored before e-mails were folded this way counts as taken.
        if any(fold_email(u.email) == email and (own is None or u.id != own.id) for u in users):
            problems.append(
                Problem("/email", "email-taken", f"this tenant already has a user {email}")
            )
    permission_sets = _components(state, definition, problems)
    locale = definition.locale
    if locale is not None:
        locale = canonical_locale(locale)
        if locale is None:
            problems.append(
                Problem(
                    "/locale",
                    "invalid-locale",
                    f"{definition.locale!r} is not a language tag; write one such as "
                    "'zh-CN' or 'en'",
                )
            )
    if definition.password is not None:
        try:
            check_password_rules(definition.password)
        except MetadataError as exc:
            problems += exc.problems
    checked = CheckedUser(
        email=email,
        manager_id=_manager(users, definition.manager, own, problems),
        partner_account=_partner_account(definition.partner_account, problems),
        locale=locale,
        permission_sets=permission_sets,
    )
    return checked, problems
