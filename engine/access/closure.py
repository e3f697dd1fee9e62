"""Who counts as whom, and who sees whose records: the closure record sharing stores (pure).

From the users, the role hierarchy, the groups and queues and the partner accounts'
hierarchy it derives the principals each user counts as and the rows of `_access_owners`
(`engine/access/sharing_tables.py`). Only active users view; every user owns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from engine.access.sharing_settings import SharingSettings
from engine.access.sharing_tables import (
    group_key,
    partner_key,
    role_and_subordinates_key,
    role_key,
    user_key,
)
from metadata.models import ChildAccountAccess, GroupKind, ShareAccess, fold_email

#: The prefixes of group members other than e-mails (GroupDef.members).
_ROLE_MEMBER = "role:"
_SUBORDINATES_MEMBER = "role_and_subordinates:"
_GROUP_MEMBER = "group:"


@dataclass(frozen=True)
class UserFacts:
    """What record sharing needs of a user."""

    id: UUID
    email: str
    role: str | None
    partner_account: UUID | None
    active: bool


@dataclass
class Closure:
    """The rows the sharing tables should hold.

    Attributes:
        members: (user, principal) pairs.
        owners: the access of each (viewer, owner) pair.
    """

    members: set[tuple[UUID, str]] = field(default_factory=set)
    owners: dict[tuple[UUID, UUID], str] = field(default_factory=dict)

    def see(self, viewer: UUID, owner: UUID, access: str) -> None:
        """Let `viewer` see `owner`'s records with `access` (the larger access wins)."""
        if self.owners.get((viewer, owner)) != ShareAccess.READ_WRITE.value:
            self.owners[(viewer, owner)] = access


class _Hierarchy:
    """The role hierarchy, walked upwards with a guard against cycles."""

    def __init__(self, settings: SharingSettings) -> None:
        self._settings = settings
        self._ancestors: dict[str, tuple[str, ...]] = {}

    def ancestors(self, role: str | None) -> tuple[str, ...]:
        """`role` and every role above it, nearest first (unknown roles: none)."""
        if role is None or role not in self._settings.roles:
            return ()
        cached = self._ancestors.get(role)
        if cached is None:
            chain: list[str] = []
            current: str | None = role
            while current is not None and current in self._settings.roles and current not in chain:
                chain.append(current)
                current = self._settings.roles[current].definition.parent
            cached = self._ancestors[role] = tuple(chain)
        return cached


def compute_closure(
    users: Iterable[UserFacts],
    settings: SharingSettings,
    *,
    account_parents: Mapping[UUID, UUID | None],
) -> Closure:
    """The closure of `users` under `settings`; `account_parents` maps each partner account
    to its parent account (empty without partner settings)."""
    everyone = list(users)
    active = [user for user in everyone if user.active]
    index = MembershipIndex(settings)
    by_role: dict[str, list[UUID]] = defaultdict(list)
    for user in active:
        if user.role is not None:
            by_role[user.role].append(user.id)
    closure = Closure()
    read_write = ShareAccess.READ_WRITE.value
    for user in active:
        closure.see(user.id, user.id, read_write)
        closure.members |= {(user.id, key) for key in principals_of(user, index)}
        for name in index.groups_of(user):
            group = settings.groups[name]
            if group.definition.kind is GroupKind.QUEUE:
                # Queue members see and edit the records the queue owns.
                closure.see(user.id, group.id, read_write)
    # A role sees what the roles below it own.
    for owner in everyone:
        for role in index.hierarchy.ancestors(owner.role)[1:]:
            for viewer in by_role.get(role, ()):
                closure.see(viewer, owner.id, read_write)
    _add_partners(closure, everyone, active, settings, account_parents)
    return closure


def principals_of(user: UserFacts, index: MembershipIndex) -> frozenset[str]:
    """The principals an active `user` counts as: itself, its role, the role-and-subordinates
    groups of its role and each role above, its groups and queues, its partner account."""
    settings = index.settings
    keys = {user_key(user.id)}
    chain = index.hierarchy.ancestors(user.role)
    if chain:
        keys.add(role_key(settings.roles[chain[0]].id))
    keys |= {role_and_subordinates_key(settings.roles[role].id) for role in chain}
    keys |= {group_key(settings.groups[name].id) for name in index.groups_of(user)}
    if settings.partner is not None and user.partner_account is not None:
        keys.add(partner_key(user.partner_account))
    return frozenset(keys)


class MembershipIndex:
    """Who is in which group, looked up from the user's side: built once per settings, it
    answers for one user in time proportional to that user's groups, not the tenant's."""

    def __init__(self, settings: SharingSettings) -> None:
        self.settings = settings
        self.hierarchy = _Hierarchy(settings)
        self._by_email: dict[str, set[str]] = defaultdict(set)
        self._by_role: dict[str, set[str]] = defaultdict(set)
        self._by_subtree: dict[str, set[str]] = defaultdict(set)
        self._nested_in: dict[str, set[str]] = defaultdict(set)
        for name, group in settings.groups.items():
            for member in group.definition.members:
                if member.startswith(_SUBORDINATES_MEMBER):
                    self._by_subtree[member.removeprefix(_SUBORDINATES_MEMBER)].add(name)
                elif member.startswith(_ROLE_MEMBER):
                    self._by_role[member.removeprefix(_ROLE_MEMBER)].add(name)
                elif member.startswith(_GROUP_MEMBER):
                    self._nested_in[member.removeprefix(_GROUP_MEMBER)].add(name)
                else:
                    self._by_email[fold_email(member)].add(name)

    def groups_of(self, user: UserFacts) -> set[str]:
        """The groups `user` is in: those naming its e-mail, its role or a role above it
        with its subordinates, and every group nesting one of those, at any depth (a cycle
        of groups makes them all one group)."""
        direct = set(self._by_email.get(fold_email(user.email), ()))
        if user.role is not None:
            direct |= self._by_role.get(user.role, set())
        for role in self.hierarchy.ancestors(user.role):
            direct |= self._by_subtree.get(role, set())
        found: set[str] = set()
        pending = list(direct)
        while pending:
            name = pending.pop()
            if name in found or name not in self.settings.groups:
                continue
            found.add(name)
            pending.extend(self._nested_in.get(name, ()))
        return found


def _add_partners(
    closure: Closure,
    everyone: list[UserFacts],
    active: list[UserFacts],
    settings: SharingSettings,
    account_parents: Mapping[UUID, UUID | None],
) -> None:
    """Users of a partner account see what its users own (and, where granted, what the
    users of the accounts below it own), never a sibling account's."""
    if settings.partner is None:
        return
    owners_by_account: dict[UUID, list[UUID]] = defaultdict(list)
    for user in everyone:
        if user.partner_account is not None:
            owners_by_account[user.partner_account].append(user.id)
    children: dict[UUID, list[UUID]] = defaultdict(list)
    for child, parent in account_parents.items():
        if parent is not None:
            children[parent].append(child)
    child_access = settings.partner.child_accounts
    for viewer in active:
        account = viewer.partner_account
        if account is None:
            continue
        for owner in owners_by_account.get(account, ()):
            closure.see(viewer.id, owner, ShareAccess.READ_WRITE.value)
        if child_access is ChildAccountAccess.NONE:
            continue
        for below in _descendants(account, children):
            for owner in owners_by_account.get(below, ()):
                closure.see(viewer.id, owner, child_access.value)


def _descendants(account: UUID, children: Mapping[UUID, list[UUID]]) -> list[UUID]:
    """The accounts below `account`, at any depth (a cycle stops where it closes)."""
    found: list[UUID] = []
    seen = {account}
    pending = list(children.get(account, ()))
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        pending.extend(children.get(current, ()))
    return found
