"""The closure of users under roles, groups, queues and partner accounts (pure)."""

from __future__ import annotations

from uuid import UUID, uuid4

from engine.access import (
    group_key,
    partner_key,
    read_sharing_settings,
    role_and_subordinates_key,
    role_key,
    user_key,
)
from engine.access.closure import MembershipIndex, UserFacts, compute_closure, principals_of
from metadata.models import ComponentKind, ComponentState, TenantMetadata


def _state(*components: tuple[ComponentKind, str, dict[str, object]]) -> TenantMetadata:
    return TenantMetadata(
        tenant_id=uuid4(),
        schema_name="t_x",
        revision=1,
        components=tuple(
            ComponentState(id=uuid4(), kind=kind, api_name=name, definition=definition)
            for kind, name, definition in components
        ),
    )


def _user(email: str, *, role: str | None = None, account: UUID | None = None) -> UserFacts:
    return UserFacts(id=uuid4(), email=email, role=role, partner_account=account, active=True)


ROLES = (
    (ComponentKind.ROLE, "ceo", {"api_name": "ceo"}),
    (ComponentKind.ROLE, "vp", {"api_name": "vp", "parent": "ceo"}),
    (ComponentKind.ROLE, "rep", {"api_name": "rep", "parent": "vp"}),
)


def test_a_role_sees_what_every_role_below_owns_and_counts_in_each_group_above() -> None:
    settings = read_sharing_settings(_state(*ROLES))
    ceo, vp, rep, peer = (
        _user("ceo@x", role="ceo"),
        _user("vp@x", role="vp"),
        _user("rep@x", role="rep"),
        _user("peer@x", role="rep"),
    )
    closure = compute_closure([ceo, vp, rep, peer], settings, account_parents={})
    seen = {(v, o) for v, o in closure.owners}
    assert (ceo.id, rep.id) in seen and (vp.id, rep.id) in seen and (ceo.id, vp.id) in seen
    assert (rep.id, peer.id) not in seen and (rep.id, vp.id) not in seen
    assert set(closure.owners.values()) == {"read_write"}
    roles = settings.roles
    assert {key for user, key in closure.members if user == rep.id} == {
        user_key(rep.id),
        role_key(roles["rep"].id),
        role_and_subordinates_key(roles["rep"].id),
        role_and_subordinates_key(roles["vp"].id),
        role_and_subordinates_key(roles["ceo"].id),
    }


def test_groups_resolve_nested_groups_roles_and_e_mails_and_a_cycle_adds_nothing() -> None:
    settings = read_sharing_settings(
        _state(
            *ROLES,
            (
                ComponentKind.GROUP,
                "outer",
                {"api_name": "outer", "members": ["group:inner", "Ann@X"]},
            ),
            (
                ComponentKind.GROUP,
                "inner",
                {"api_name": "inner", "members": ["role_and_subordinates:vp", "group:outer"]},
            ),
        )
    )
    ann, ceo, rep = _user("ann@x"), _user("ceo@x", role="ceo"), _user("rep@x", role="rep")
    closure = compute_closure([ann, ceo, rep], settings, account_parents={})
    outer, inner = settings.groups["outer"].id, settings.groups["inner"].id
    assert {u for u, k in closure.members if k == group_key(outer)} == {ann.id, rep.id}
    assert {u for u, k in closure.members if k == group_key(inner)} == {ann.id, rep.id}


def test_partner_users_see_their_account_and_as_granted_the_accounts_below_never_a_sibling() -> (
    None
):
    a, a1, a1x, b = uuid4(), uuid4(), uuid4(), uuid4()
    parents = {a: None, a1: a, a1x: a1, b: None}
    users = {
        name: _user(f"{name}@x", account=acc)
        for name, acc in (("a", a), ("a1", a1), ("a1x", a1x), ("b", b))
    }
    for access in ("none", "read"):
        settings = read_sharing_settings(
            _state(
                (
                    ComponentKind.PARTNER_SETTINGS,
                    "partner_settings",
                    {"object": "dealer", "parent_field": "parent", "child_accounts": access},
                )
            )
        )
        closure = compute_closure(users.values(), settings, account_parents=parents)
        seen_by_a = {o: acc for (v, o), acc in closure.owners.items() if v == users["a"].id}
        expected = {users["a"].id: "read_write"}
        if access == "read":
            expected |= {users["a1"].id: "read", users["a1x"].id: "read"}
        assert seen_by_a == expected
        assert (users["a1"].id, users["a"].id) not in closure.owners
        assert (users["a"].id, users["b"].id) not in closure.owners
        assert (users["b"].id, partner_key(b)) in closure.members


def test_inactive_users_view_nothing_but_their_records_stay_with_the_roles_above() -> None:
    settings = read_sharing_settings(_state(*ROLES))
    ceo = _user("ceo@x", role="ceo")
    gone = UserFacts(id=uuid4(), email="gone@x", role="rep", partner_account=None, active=False)
    closure = compute_closure([ceo, gone], settings, account_parents={})
    assert (ceo.id, gone.id) in closure.owners
    assert not any(user == gone.id for user, _ in closure.members)


def test_one_users_principals_are_its_role_chain_groups_nested_groups_and_account() -> None:
    account = uuid4()
    settings = read_sharing_settings(
        _state(
            *ROLES,
            (ComponentKind.GROUP, "outer", {"api_name": "outer", "members": ["group:inner"]}),
            (
                ComponentKind.GROUP,
                "inner",
                {"api_name": "inner", "members": ["role_and_subordinates:vp", "Ann@X"]},
            ),
            (
                ComponentKind.GROUP,
                "desk",
                {"api_name": "desk", "kind": "queue", "members": ["role:rep"]},
            ),
            (ComponentKind.GROUP, "lone", {"api_name": "lone", "members": ["ceo@x"]}),
            (
                ComponentKind.PARTNER_SETTINGS,
                "partner_settings",
                {"object": "dealer", "child_accounts": "read"},
            ),
        )
    )
    index = MembershipIndex(settings)
    roles, groups = settings.roles, settings.groups
    ann, rep = _user("ANN@x"), _user("rep@x", role="rep")
    dealer, stray = _user("dealer@x", account=account), _user("nobody@x", role="gone")
    assert principals_of(ann, index) == {
        user_key(ann.id),
        group_key(groups["inner"].id),
        group_key(groups["outer"].id),
    }
    assert principals_of(rep, index) == {
        user_key(rep.id),
        role_key(roles["rep"].id),
        *(role_and_subordinates_key(roles[name].id) for name in ("rep", "vp", "ceo")),
        group_key(groups["inner"].id),
        group_key(groups["outer"].id),
        group_key(groups["desk"].id),
    }
    assert principals_of(dealer, index) == {user_key(dealer.id), partner_key(account)}
    assert principals_of(stray, index) == {user_key(stray.id)}
    # The closure of the whole tenant holds the same keys for each user.
    users = [ann, rep, dealer, stray, _user("ceo@x", role="ceo")]
    whole = compute_closure(users, settings, account_parents={account: None})
    for user in users:
        expected = {key for member, key in whole.members if member == user.id}
        assert principals_of(user, index) == expected, user.email
