"""Public groups and queues, as a component kind (`/api/v1/admin/groups`).

A member is a user's e-mail (a user of the tenant), `role:R` (the users holding role
R), `role_and_subordinates:R` (those of R and every role below it) or `group:G` (the
members of group G; groups may not contain themselves, at any depth). A queue is a group
that can also own records: its `id`, shown by the API, is what a record's `owner_id`
takes. A rename carries along to groups and sharing rules that name the group; a group
still named, or a queue still owning records, is not removed (409 naming them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.access.kinds.references import (
    GROUP_PREFIX,
    ROLE_PREFIXES,
    follow_group_rename,
    group_referrers,
    refuse_referenced,
)
from engine.access.kinds.users import tenant_users
from engine.access.users import normalized_email
from engine.catalog import build_tables
from engine.errors import MetadataError, Problem, summarize
from engine.metadata_changes.components import ComponentChange, ComponentKindSpec
from engine.suggestions import did_you_mean
from metadata.models import (
    ComponentKind,
    ComponentState,
    GroupDef,
    GroupKind,
    TenantMetadata,
    fold_email,
)


def _names(state: TenantMetadata, kind: ComponentKind) -> list[str]:
    return [component.api_name for component in state.components_of(kind)]


def check_group(
    state: TenantMetadata, group: GroupDef, own: ComponentState | None
) -> list[Problem]:
    """The problems of `group`'s members in `state` (e-mails are checked in `guard_group`)."""
    roles = _names(state, ComponentKind.ROLE)
    groups = {
        component.api_name: list(component.definition.get("members", []))
        for component in state.components_of(ComponentKind.GROUP)
        if own is None or component.id != own.id
    }
    groups[group.api_name] = list(group.members)
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, member in enumerate(group.members):
        pointer = f"/members/{index}"
        if member in seen:
            problems.append(Problem(pointer, "repeated-member", f"{member!r} is listed twice"))
            continue
        seen.add(member)
        kind, _, name = member.partition(":")
        if f"{kind}:" in ROLE_PREFIXES:
            if name not in roles:
                problems.append(
                    Problem(
                        pointer,
                        "unknown-role",
                        f"there is no role {name!r}{did_you_mean(name, roles)}",
                    )
                )
        elif f"{kind}:" == GROUP_PREFIX:
            if name not in groups:
                problems.append(
                    Problem(
                        pointer,
                        "unknown-group",
                        f"there is no group {name!r}{did_you_mean(name, groups)}",
                    )
                )
            elif _reaches(groups, name, group.api_name):
                problems.append(
                    Problem(
                        pointer,
                        "group-cycle",
                        f"group {name!r} contains {group.api_name!r}: groups may not loop",
                    )
                )
        else:
            try:
                normalized_email(member, pointer=pointer)
            except MetadataError as exc:
                problems.append(
                    Problem(
                        pointer,
                        "invalid-member",
                        f"{member!r} is neither an e-mail nor role:R, "
                        f"role_and_subordinates:R or group:G ({exc.problems[0].detail})",
                    )
                )
    return problems


def _reaches(groups: dict[str, list[str]], start: str, wanted: str) -> bool:
    """Whether group `start` contains group `wanted`, at any depth."""
    pending, seen = [start], set()
    while pending:
        name = pending.pop()
        if name == wanted:
            return True
        if name in seen:
            continue
        seen.add(name)
        pending += [
            member.removeprefix(GROUP_PREFIX)
            for member in groups.get(name, [])
            if member.startswith(GROUP_PREFIX)
        ]
    return False


def guard_group(change: ComponentChange) -> None:
    """Check member e-mails against the tenant's users; refuse removing what is in use.

    Raises:
        MetadataError: a member e-mail is no user of the tenant (422).
        Conflict: the removed group is still named, or a queue that stops being one (or
            is removed) still owns records (409).
    """
    before, after = change.before, change.after
    if after is not None:
        _check_emails(change, after)
    if before is not None and after is None:
        refuse_referenced("group", before.api_name, group_referrers(change.new, before.api_name))
    was_queue = before is not None and before.definition.get("kind") == GroupKind.QUEUE.value
    is_queue = after is not None and after.definition.get("kind") == GroupKind.QUEUE.value
    if was_queue and not is_queue:
        assert before is not None
        refuse_referenced("queue", before.api_name, _owned_records(change, before), verb="used:")


def _check_emails(change: ComponentChange, group: ComponentState) -> None:
    known = {fold_email(user.email) for user in tenant_users(change)}
    problems = [
        Problem(
            f"/members/{index}",
            "unknown-user",
            f"no user of this tenant has the e-mail {member!r}",
        )
        for index, member in enumerate(group.definition.get("members", []))
        if ":" not in member and fold_email(member) not in known
    ]
    if problems:
        raise MetadataError(summarize(problems), problems=problems)


def _owned_records(change: ComponentChange, queue: ComponentState) -> list[str]:
    """The objects with records the queue owns, with how many."""
    _, tables = build_tables(change.old)
    owned = []
    for obj in change.old.live_objects:
        table = tables[obj.id]
        count = change.connection.execute(
            select(func.count()).select_from(table).where(table.c.owner_id == queue.id)
        ).scalar_one()
        if count:
            owned.append(f"{count} {obj.api_name} record(s) it owns")
    return owned


def render_group(component: ComponentState) -> dict[str, Any]:
    """A group in its API shape, with its `id` (a queue's is what `owner_id` takes)."""
    return {"id": str(component.id), **component.definition}


def _check(state: TenantMetadata, definition: Any, own: ComponentState | None) -> list[Problem]:
    return check_group(state, definition, own)


#: The group kind (public groups and queues), as the commands and the admin routes use it.
GROUPS = ComponentKindSpec(
    kind=ComponentKind.GROUP,
    model=GroupDef,
    noun="group",
    check=_check,
    follow_rename=follow_group_rename,
    guard=guard_group,
    render=render_group,
)
