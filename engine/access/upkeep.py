"""Keep what record sharing derives from users, roles, groups and accounts up to date.

Called in the transaction of every change that moves who sees what:

- `users_changed`: a user created, changed or deactivated (role, partner account, …);
- `metadata_changed`: after every metadata change (roles, groups, sharing settings and
  rules, partner settings, and the objects and fields rules read);
- `records_written` and `records_deleted`: by the save pipeline, for the records a save
  wrote (and those a delete's lookups emptied) or deleted.

Sharing rules store nothing: their filters join the read predicate (`rule_conditions.py`),
so only their references are checked here.

The costs are in docs/sharing.md ("What upkeep costs").
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from engine.access.closure_rows import rebuild_closure
from engine.access.rule_conditions import rule_condition
from engine.access.sharing_settings import (
    SharingSettings,
    read_sharing_settings,
    sharing_settings,
)
from engine.access.sharing_tables import (
    forget_records,
    group_key,
    role_and_subordinates_key,
    role_key,
    tables_of,
)
from engine.catalog import Catalog, CompiledObject, tenant_catalog
from engine.context import EngineContext, RequestContext, TenantRef
from engine.errors import MetadataError, Problem
from engine.query import InvalidQuery
from metadata.models import TenantMetadata
from metadata.store import load_tenant_metadata

logger = logging.getLogger(__name__)


def users_changed(connection: Connection, engine: EngineContext, tenant: TenantRef) -> None:
    """Bring the tenant's sharing data up to date after its users changed.

    `connection` must reach the tenant's schema (`engine.database.tenant_connection`), in
    the transaction that changed the users.
    """
    catalog = engine.catalogs.get(
        tenant.id, tenant.revision, lambda: load_tenant_metadata(connection, tenant.id)
    )
    changes = rebuild_closure(connection, catalog)
    logger.debug("sharing closure of %s: +%d -%d", tenant.name, changes.added, changes.removed)


def metadata_changed(
    connection: Connection, context: RequestContext, *, old: TenantMetadata, new: TenantMetadata
) -> None:
    """Bring the tenant's sharing data up to date after a metadata change, in its transaction.

    `context` is at the change's new revision (its catalog is `new`, compiled).

    Raises:
        MetadataError: the change leaves a sharing rule or the partner settings naming
            what no longer exists (the change is rolled back).
    """
    catalog = tenant_catalog(context)
    before = read_sharing_settings(old)
    after = sharing_settings(catalog)
    _check_references(catalog, after, dialect=connection.dialect.name)
    partner_object = _partner_object(new, after)
    if (
        before.roles != after.roles
        or before.groups != after.groups
        or before.partner != after.partner
        or (partner_object is not None and _object_changed(old, new, partner_object))
    ):
        rebuild_closure(connection, catalog)
    _forget_removed(connection, catalog, before, after, old=old)


def records_written(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    ids: Sequence[UUID],
    *,
    changed: Collection[str],
) -> None:
    """After a save wrote records of `obj`: rebuild the partner closure when partner
    accounts moved under another parent.

    `changed` names the fields the save wrote (a creation: every field it set).
    """
    if not ids:
        return
    partner = sharing_settings(catalog).partner
    if (
        partner is not None
        and partner.object == obj.state.api_name
        and partner.parent_field in changed
    ):
        rebuild_closure(connection, catalog)


def records_deleted(
    connection: Connection, catalog: Catalog, obj: CompiledObject, ids: Sequence[UUID]
) -> None:
    """After records of `obj` were deleted: drop their shares; a deleted partner account
    leaves the partner closure."""
    forget_records(connection, tables_of(catalog), object_id=obj.state.id, ids=ids)
    partner = sharing_settings(catalog).partner
    if partner is not None and partner.object == obj.state.api_name:
        rebuild_closure(connection, catalog)


def _check_references(catalog: Catalog, settings: SharingSettings, *, dialect: str) -> None:
    """Refuse metadata whose sharing rules or partner settings name what is gone."""
    problems: list[Problem] = []
    for rules in settings.rules.values():
        for rule in rules:
            obj = _object_by_id(catalog, rule.object_id)
            if obj is None:
                continue  # a deleted object's rules wait for it
            where = f"sharing rule {rule.definition.api_name!r} of {obj.state.api_name!r}"
            if settings.grantee(rule.definition) is None:
                problems.append(
                    Problem(
                        "/share_with",
                        "unknown-principal",
                        f"{where} shares with a role or group that no longer exists; "
                        "change or delete the rule first",
                    )
                )
            try:
                rule_condition(catalog, obj, rule, dialect=dialect)
            except InvalidQuery as exc:
                problems.append(
                    Problem(
                        "/filter",
                        "invalid-filter",
                        f"{where} no longer applies: {exc.detail}; change or delete the rule first",
                    )
                )
    partner = settings.partner
    if partner is not None:
        obj = catalog.objects.get(partner.object)
        if obj is None or (partner.parent_field and partner.parent_field not in obj.fields):
            problems.append(
                Problem(
                    "/partner_settings",
                    "unknown-field",
                    f"the partner settings name {partner.object!r}"
                    f"{f'.{partner.parent_field}' if partner.parent_field else ''}, which "
                    "no longer exists; change the partner settings first",
                )
            )
    if problems:
        raise MetadataError(problems[0].detail, problems=problems)


def _forget_removed(
    connection: Connection,
    catalog: Catalog,
    before: SharingSettings,
    after: SharingSettings,
    *,
    old: TenantMetadata,
) -> None:
    """Drop the manual shares of purged objects and to principals removed."""
    shares = tables_of(catalog).shares
    objects = {obj.id for obj in catalog.metadata_state.objects}
    purged = [obj.id for obj in old.objects if obj.id not in objects]
    if purged:
        connection.execute(delete(shares).where(shares.c.object_id.in_(purged)))
    gone = _principals(before) - _principals(after)
    if gone:
        connection.execute(delete(shares).where(shares.c.grantee.in_(sorted(gone))))


def _principals(settings: SharingSettings) -> set[str]:
    keys = {group_key(group.id) for group in settings.groups.values()}
    for role in settings.roles.values():
        keys |= {role_key(role.id), role_and_subordinates_key(role.id)}
    return keys


def _partner_object(state: TenantMetadata, settings: SharingSettings) -> UUID | None:
    if settings.partner is None:
        return None
    obj = state.find_object(settings.partner.object)
    return None if obj is None else obj.id


def _object_changed(old: TenantMetadata, new: TenantMetadata, object_id: UUID) -> bool:
    before = next((o for o in old.objects if o.id == object_id), None)
    after = next((o for o in new.objects if o.id == object_id), None)
    return before != after


def _object_by_id(catalog: Catalog, object_id: UUID) -> CompiledObject | None:
    return next((o for o in catalog.objects.values() if o.state.id == object_id), None)
