"""Manual shares of one record: list who it is shared with, share it, take a share back.

Shares are about records of an object the caller may read (404 otherwise, as for every
data path). Anyone who may read a record sees its shares (manual ones and those sharing rules
make). Sharing it, or taking a manual share back, is for those who stand for the record
(`sharers.py`), and a share grants no more than the sharer may do (docs/sharing.md).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, RowMapping

from engine.access import (
    MANUAL,
    SharingSettings,
    rights_of,
    sharing_settings,
    tables_of,
)
from engine.access.grantees import grantee_of, render_grantees
from engine.access.rule_conditions import matching_rules
from engine.audit import record_event
from engine.catalog import Catalog, CompiledObject
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import NotFound, Problem, RecordValidationError
from engine.records.object_rights import caller_object
from engine.records.permissions import caller_scope
from engine.records.service import parse_record_id, read_connection, read_record
from engine.records.sharers import refuse_share_beyond_rights, require_sharer
from engine.shape_problems import parse_body
from metadata.models import DefaultAccess, ManualShareDef, ObjectRight, SystemRight


def list_shares(context: RequestContext, object_name: str, record_id: str) -> list[dict[str, Any]]:
    """Who a record is shared with, and why (`manual`, or the sharing rule).

    Raises:
        NotFound: no such object, or no record the caller may read.
    """
    caller = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = caller.catalog, caller.obj
    key = parse_record_id(obj, record_id)
    with read_connection(context, catalog) as connection:
        _readable(connection, context, obj, key, record_id)
        shares = tables_of(catalog).shares
        manual = connection.execute(
            select(shares.c.grantee, shares.c.access)
            .where(shares.c.object_id == obj.state.id, shares.c.record_id == key)
            .order_by(shares.c.grantee)
        ).all()
        settings = sharing_settings(catalog)
        rules = matching_rules(connection, catalog, obj, key, settings=settings)
        by_rule = [(settings.grantee(rule.definition) or "", rule) for rule in rules]
        grantees = render_grantees(
            connection,
            settings,
            [row.grantee for row in manual] + [grantee for grantee, _ in by_rule],
            with_emails=_sees_users(catalog, context),
        )
    shown = [{**grantees[row.grantee], "access": row.access, "cause": MANUAL} for row in manual]
    shown += [
        {
            **grantees[grantee],
            "access": rule.definition.access.value,
            "cause": "sharing_rule",
            "rule": rule.definition.api_name,
        }
        for grantee, rule in by_rule
    ]
    return shown


def _parsed_share(body: Any) -> ManualShareDef:
    """The share a body names.

    Raises:
        RecordValidationError: the body is not a share (every problem named).
    """
    parsed = parse_body(ManualShareDef, body)
    if parsed.value is None or parsed.problems:
        raise RecordValidationError("the share is not valid", problems=parsed.problems)
    return parsed.value


def add_share(
    context: RequestContext, object_name: str, record_id: str, body: Any
) -> dict[str, Any]:
    """Share a record with a user, group, role or partner account (again: a new access).

    Raises:
        NotFound: no record the caller may read.
        PermissionDenied: the caller may not share it, or names a user by e-mail without
            manage_users.
        RecordValidationError: a bad body, an unknown principal, or an object whose
            records follow their master's sharing.
    """
    caller = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = caller.catalog, caller.obj
    key = parse_record_id(obj, record_id)
    share = _parsed_share(body)
    settings = sharing_settings(catalog)
    _refuse_controlled_by_parent(settings, obj)
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin(),
    ):
        _sharer_of(connection, context, catalog, obj, key, record_id)
        refuse_share_beyond_rights(catalog, context.caller, obj, share.access)
        grantee = _grantee(connection, context, catalog, settings, share)
        _put_share(connection, tables_of(catalog).shares, obj, key, grantee, share.access.value)
        audited = render_grantees(connection, settings, [grantee], with_emails=True)[grantee]
        _audit(
            connection,
            context,
            "share.granted",
            obj,
            key,
            {**audited, "access": share.access.value},
        )
    # The audit log keeps the e-mail; the answer shows it to user managers only.
    shown = (
        audited
        if _sees_users(catalog, context)
        else {k: v for k, v in audited.items() if k != "email"}
    )
    return {**shown, "access": share.access.value, "cause": MANUAL}


def remove_share(
    context: RequestContext, object_name: str, record_id: str, principal: dict[str, Any]
) -> None:
    """Take back the manual share of a record with the principal `principal` names.

    Raises:
        NotFound: no record the caller may read, or no such manual share.
        PermissionDenied: the caller may not share the record, or names a user by
            e-mail without manage_users.
    """
    caller = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = caller.catalog, caller.obj
    key = parse_record_id(obj, record_id)
    share = _parsed_share(principal)
    settings = sharing_settings(catalog)
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin(),
    ):
        _sharer_of(connection, context, catalog, obj, key, record_id)
        grantee = _grantee(connection, context, catalog, settings, share)
        shares = tables_of(catalog).shares
        removed = connection.execute(_manual(shares, obj, key, grantee, delete(shares)))
        if not removed.rowcount:
            raise NotFound(
                f"the {obj.state.api_name} record {record_id!r} has no such manual share"
            )
        shown = render_grantees(connection, settings, [grantee], with_emails=True)[grantee]
        _audit(connection, context, "share.revoked", obj, key, shown)


def _put_share(
    connection: Connection, shares: Any, obj: CompiledObject, key: UUID, grantee: str, access: str
) -> None:
    """Write a manual share, or give an existing one its new access: one atomic upsert, so
    grants of the same share at once all succeed and the last one's access stays."""
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(
        dialect_insert(shares)
        .values(object_id=obj.state.id, record_id=key, grantee=grantee, access=access, cause=MANUAL)
        .on_conflict_do_update(
            index_elements=[
                shares.c.object_id,
                shares.c.record_id,
                shares.c.grantee,
                shares.c.cause,
            ],
            set_={"access": access},
        )
    )


def _sharer_of(
    connection: Connection,
    context: RequestContext,
    catalog: Catalog,
    obj: CompiledObject,
    key: UUID,
    shown: str,
) -> None:
    """Refuse a caller who may not read the record (404) or not share it (403)."""
    row = _readable(connection, context, obj, key, shown)
    require_sharer(connection, context, catalog, obj, row)


def _grantee(
    connection: Connection,
    context: RequestContext,
    catalog: Catalog,
    settings: SharingSettings,
    share: ManualShareDef,
) -> str:
    """The key of the principal `share` names, as the caller may name it."""
    return grantee_of(
        connection,
        catalog=catalog,
        settings=settings,
        share=share,
        scope=caller_scope(context),
        may_name_by_email=_sees_users(catalog, context),
    )


def _sees_users(catalog: Catalog, context: RequestContext) -> bool:
    """Whether the caller may see the user directory (e-mails): `manage_users`."""
    return rights_of(catalog, context.caller).has_system(SystemRight.MANAGE_USERS)


def _manual(shares: Any, obj: CompiledObject, key: UUID, grantee: str, statement: Any) -> Any:
    return statement.where(
        shares.c.object_id == obj.state.id,
        shares.c.record_id == key,
        shares.c.grantee == grantee,
        shares.c.cause == MANUAL,
    )


def _readable(
    connection: Connection, context: RequestContext, obj: CompiledObject, key: UUID, shown: str
) -> RowMapping:
    row = read_record(connection, obj, key, scope=caller_scope(context))
    if row is None:
        raise NotFound(f"there is no {obj.state.api_name} record {shown!r}")
    return row


def _refuse_controlled_by_parent(settings: SharingSettings, obj: CompiledObject) -> None:
    if settings.default_access(obj.state.id) is DefaultAccess.CONTROLLED_BY_PARENT:
        message = (
            f"records of {obj.state.api_name!r} follow their master's sharing "
            "(controlled_by_parent): share the master record instead"
        )
        raise RecordValidationError(
            message, problems=[Problem("", "controlled-by-parent", message)]
        )


def _audit(
    connection: Connection,
    context: RequestContext,
    action: str,
    obj: CompiledObject,
    key: UUID,
    details: dict[str, Any],
) -> None:
    record_event(
        connection,
        context.tenant.id,
        at=context.engine.clock(),
        action=action,
        actor=context.actor,
        target=f"{obj.state.api_name}:{key}",
        details=details,
    )
