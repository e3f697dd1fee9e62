"""Export a data subject's data: their record, the records referring to it, their history.

What `tessera privacy export` writes (docs/audit.md): one JSON document, for a data
subject's access request (PIPL art. 45, GDPR art. 15). The export itself is written to
the audit log (`privacy.export`), without any value.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any
from uuid import UUID

from engine.access.field_access import access_of
from engine.audit import record_event
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.privacy.subjects import subject_key, subject_records
from engine.query import ObjectAccess
from engine.records import HistoryReader, caller_object, caller_scope
from engine.records.service import read_connection
from metadata.models import ObjectRight

#: The action of the audit event an export writes.
EXPORTED = "privacy.export"


def export_subject(context: RequestContext, object_name: str, record_id: str) -> dict[str, Any]:
    """The subject's record and every record that refers to it, each with its field history.

    `{"tenant", "exported_at", "subject": {"object", "id"}, "records": [{"object", "id",
    "via", "record", "history"}, …]}`: the subject's record first (`via` empty), then
    the records whose lookups or master-detail fields (`via`) point at it.

    Records and history hold what the caller may read; personal data they would see
    masked is left out, as exports leave it out (the command line acts as the tenant's
    administrator: everything).

    Raises:
        NotFound: no such object, or no such record the caller may see.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = target.catalog, target.obj
    key = subject_key(object_name, record_id)
    access = access_of(catalog, context.caller)
    schema = context.tenant.schema_name
    with read_connection(context, catalog) as connection:
        found = subject_records(connection, catalog, obj, key, scope=caller_scope(context))
        records = []
        for item in found:
            view = _exported(access.on(item.obj))
            if not view.is_readable:
                continue  # records of an object the caller may not read are not theirs to give
            records.append(
                {
                    "object": item.obj.state.api_name,
                    "id": str(item.record_id),
                    "via": list(item.via),
                    "record": render_record(
                        item.obj,
                        item.row,
                        fields=view.readable_fields(item.obj),
                        masks=view.masks,
                    ),
                    "history": HistoryReader(obj=item.obj, access=view, schema=schema).entries(
                        connection, item.record_id
                    ),
                }
            )
    now = context.engine.clock()
    _audit(context, object_name, key, now=now, records=len(records))
    return {
        "tenant": context.tenant.name,
        "exported_at": now.isoformat(),
        "subject": {"object": object_name, "id": str(key)},
        "records": records,
    }


def _exported(view: ObjectAccess) -> ObjectAccess:
    """What an export shows: the readable fields, less those shown masked (an export is
    never masked: without view_pii, personal data is left out, as `tessera data export`
    leaves it out)."""
    if not view.masks:
        return view
    return replace(view, hidden=view.hidden | frozenset(view.masks), masks=MappingProxyType({}))


def _audit(context: RequestContext, object_name: str, key: UUID, *, now: Any, records: int) -> None:
    with context.engine.db.begin() as connection:
        record_event(
            connection,
            context.tenant.id,
            at=now,
            action=EXPORTED,
            actor=context.actor,
            target=f"{object_name}:{key}",
            details={"object": object_name, "record": str(key), "records": records},
        )
