"""Read and write a tenant's objects, fields and revisions in the system tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from metadata.models import (
    ComponentKind,
    ComponentState,
    FieldDef,
    FieldState,
    ObjectState,
    TenantMetadata,
    ValidationRuleDef,
    ValidationRuleState,
)
from metadata.store.tables import components, fields, objects, revisions, tenants

VALIDATION_RULE = "validation_rule"


class StaleRevision(Exception):
    """The tenant's revision moved while a change was being prepared."""


def load_tenant_metadata(
    connection: Connection, tenant_id: UUID, *, lock: bool = False
) -> TenantMetadata:
    """Return everything the tenant has declared, deleted components included.

    With `lock`, the tenant row is locked (PostgreSQL) so metadata changes of one tenant
    run one after another.
    """
    tenant_query = select(tenants.c.schema_name, tenants.c.revision).where(
        tenants.c.id == tenant_id
    )
    if lock and connection.dialect.name == "postgresql":
        tenant_query = tenant_query.with_for_update()
    tenant = connection.execute(tenant_query).one()
    field_rows = connection.execute(
        select(fields).where(fields.c.tenant_id == tenant_id).order_by(fields.c.position)
    ).all()
    fields_by_object: dict[UUID, list[FieldState]] = {}
    for row in field_rows:
        fields_by_object.setdefault(row.object_id, []).append(
            FieldState(
                id=row.id,
                column_name=row.column_name,
                definition=FieldDef.model_validate(row.definition),
                deleted_at=row.deleted_at,
            )
        )
    rules_by_object: dict[UUID, list[ValidationRuleState]] = {}
    for row in connection.execute(
        select(components)
        .where(components.c.tenant_id == tenant_id, components.c.kind == VALIDATION_RULE)
        .order_by(components.c.position)
    ):
        rules_by_object.setdefault(row.object_id, []).append(
            ValidationRuleState(
                id=row.id, definition=ValidationRuleDef.model_validate(row.definition)
            )
        )
    generic = [
        ComponentState(
            id=row.id,
            kind=ComponentKind(row.kind),
            api_name=row.api_name,
            object_id=row.object_id,
            definition=row.definition,
        )
        for row in connection.execute(
            select(components)
            .where(components.c.tenant_id == tenant_id, components.c.kind != VALIDATION_RULE)
            .order_by(components.c.position, components.c.created_at, components.c.id)
        )
    ]
    object_rows = connection.execute(
        select(objects)
        .where(objects.c.tenant_id == tenant_id)
        .order_by(objects.c.created_at, objects.c.id)
    ).all()
    return TenantMetadata(
        tenant_id=tenant_id,
        schema_name=tenant.schema_name,
        revision=tenant.revision,
        objects=tuple(
            ObjectState(
                id=row.id,
                api_name=row.api_name,
                table_name=row.table_name,
                label=row.label,
                plural_label=row.plural_label,
                description=row.description,
                deleted_at=row.deleted_at,
                fields=tuple(fields_by_object.get(row.id, ())),
                validation_rules=tuple(rules_by_object.get(row.id, ())),
            )
            for row in object_rows
        ),
        components=tuple(generic),
    )


def current_revision(connection: Connection, tenant_id: UUID) -> int:
    """Return the tenant's current metadata revision."""
    revision: int = connection.execute(
        select(tenants.c.revision).where(tenants.c.id == tenant_id)
    ).scalar_one()
    return revision


def schema_revision(connection: Connection, schema_name: str) -> int | None:
    """Return the current metadata revision of the tenant whose schema is `schema_name`.

    None when no tenant has that schema (it was dropped).
    """
    revision: int | None = connection.execute(
        select(tenants.c.revision).where(tenants.c.schema_name == schema_name)
    ).scalar_one_or_none()
    return revision


# Built once: a write runs it first in every transaction.
_REVISION = select(tenants.c.revision).where(tenants.c.id == bindparam("tenant_id"))
_SHARED_REVISION = _REVISION.with_for_update(read=True)


def hold_revision(connection: Connection, tenant_id: UUID) -> int:
    """Return the tenant's current revision and keep it from moving until this transaction ends.

    On PostgreSQL the tenant row is locked in share mode: writes hold it together, and a
    metadata change (which locks the row for update first) waits for them, and they for
    it. SQLite needs no lock: its write transactions run one at a time, so the revision
    read inside one stays current until it ends.
    """
    statement = _SHARED_REVISION if connection.dialect.name == "postgresql" else _REVISION
    revision: int = connection.execute(statement, {"tenant_id": tenant_id}).scalar_one()
    return revision


def save_tenant_metadata(
    connection: Connection,
    *,
    old: TenantMetadata,
    new: TenantMetadata,
    actor: str,
    summary: str,
    changes: list[dict[str, Any]],
    now: datetime,
) -> int:
    """Write the rows that differ between `old` and `new`, and record a new revision.

    Raises:
        StaleRevision: another change committed since `old` was loaded.
    """
    bumped = connection.execute(
        update(tenants)
        .where(tenants.c.id == old.tenant_id, tenants.c.revision == old.revision)
        .values(revision=tenants.c.revision + 1)
    )
    if bumped.rowcount != 1:
        raise StaleRevision(f"tenant {old.tenant_id} is no longer at revision {old.revision}")
    old_objects = {obj.id: obj for obj in old.objects}
    for obj in new.objects:
        _save_object(
            connection,
            tenant_id=new.tenant_id,
            obj=obj,
            before=old_objects.pop(obj.id, None),
            now=now,
        )
    _save_components(connection, tenant_id=new.tenant_id, old=old, new=new, now=now)
    for purged in old_objects.values():
        connection.execute(components.delete().where(components.c.object_id == purged.id))
        connection.execute(fields.delete().where(fields.c.object_id == purged.id))
        connection.execute(objects.delete().where(objects.c.id == purged.id))
    number = old.revision + 1
    connection.execute(
        insert(revisions).values(
            tenant_id=new.tenant_id,
            number=number,
            created_at=now,
            actor=actor,
            summary=summary,
            changes=changes,
        )
    )
    return number


def _object_values(obj: ObjectState) -> dict[str, Any]:
    return {
        "api_name": obj.api_name,
        "table_name": obj.table_name,
        "label": obj.label,
        "plural_label": obj.plural_label,
        "description": obj.description,
        "deleted_at": obj.deleted_at,
    }


def _field_values(field: FieldState, position: int) -> dict[str, Any]:
    return {
        "api_name": field.api_name,
        "column_name": field.column_name,
        "definition": field.definition.model_dump(mode="json", exclude_none=True),
        "deleted_at": field.deleted_at,
        "position": position,
    }


def _save_object(
    connection: Connection,
    *,
    tenant_id: UUID,
    obj: ObjectState,
    before: ObjectState | None,
    now: datetime,
) -> None:
    if before is None:
        connection.execute(
            insert(objects).values(
                id=obj.id, tenant_id=tenant_id, created_at=now, **_object_values(obj)
            )
        )
    elif _object_values(before) != _object_values(obj):
        connection.execute(
            update(objects).where(objects.c.id == obj.id).values(**_object_values(obj))
        )
    old_fields = {
        field.id: (position, field)
        for position, field in enumerate(before.fields if before else ())
    }
    for position, field in enumerate(obj.fields):
        previous = old_fields.pop(field.id, None)
        values = _field_values(field, position)
        if previous is None:
            connection.execute(
                insert(fields).values(
                    id=field.id, tenant_id=tenant_id, object_id=obj.id, created_at=now, **values
                )
            )
        elif _field_values(previous[1], previous[0]) != values:
            connection.execute(update(fields).where(fields.c.id == field.id).values(**values))
    for field_id in old_fields:
        connection.execute(fields.delete().where(fields.c.id == field_id))
    _save_rules(connection, tenant_id=tenant_id, obj=obj, before=before, now=now)


def _rule_values(rule: ValidationRuleState, position: int) -> dict[str, Any]:
    return {
        "api_name": rule.api_name,
        "definition": rule.definition.model_dump(mode="json", exclude_none=True),
        "position": position,
    }


def _save_rules(
    connection: Connection,
    *,
    tenant_id: UUID,
    obj: ObjectState,
    before: ObjectState | None,
    now: datetime,
) -> None:
    old_rules = {
        rule.id: _rule_values(rule, position)
        for position, rule in enumerate(before.validation_rules if before else ())
    }
    for position, rule in enumerate(obj.validation_rules):
        previous = old_rules.pop(rule.id, None)
        values = _rule_values(rule, position)
        if previous is None:
            connection.execute(
                insert(components).values(
                    id=rule.id,
                    tenant_id=tenant_id,
                    object_id=obj.id,
                    kind=VALIDATION_RULE,
                    created_at=now,
                    **values,
                )
            )
        elif previous != values:
            connection.execute(
                update(components).where(components.c.id == rule.id).values(**values)
            )
    for rule_id in old_rules:
        connection.execute(components.delete().where(components.c.id == rule_id))


def _component_values(component: ComponentState, position: int) -> dict[str, Any]:
    return {
        "kind": component.kind.value,
        "api_name": component.api_name,
        "object_id": component.object_id,
        "definition": component.definition,
        "position": position,
    }


def _save_components(
    connection: Connection,
    *,
    tenant_id: UUID,
    old: TenantMetadata,
    new: TenantMetadata,
    now: datetime,
) -> None:
    """Write the access (and later) components that differ between `old` and `new`."""
    before = {
        component.id: _component_values(component, position)
        for position, component in enumerate(old.components)
    }
    for position, component in enumerate(new.components):
        previous = before.pop(component.id, None)
        values = _component_values(component, position)
        if previous is None:
            connection.execute(
                insert(components).values(
                    id=component.id, tenant_id=tenant_id, created_at=now, **values
                )
            )
        elif previous != values:
            connection.execute(
                update(components).where(components.c.id == component.id).values(**values)
            )
    for component_id in before:
        connection.execute(components.delete().where(components.c.id == component_id))


def list_revisions(
    connection: Connection, tenant_id: UUID, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Return the tenant's revisions, newest first."""
    query = (
        select(
            revisions.c.number,
            revisions.c.created_at,
            revisions.c.actor,
            revisions.c.summary,
            revisions.c.changes,
        )
        .where(revisions.c.tenant_id == tenant_id)
        .order_by(revisions.c.number.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(revisions.c.number < before)
    return [dict(row._mapping) for row in connection.execute(query)]


def count_revisions(connection: Connection, tenant_id: UUID) -> int:
    """Return how many revisions the tenant has."""
    return connection.execute(
        select(func.count()).select_from(revisions).where(revisions.c.tenant_id == tenant_id)
    ).scalar_one()
