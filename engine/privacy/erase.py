"""Erase a data subject's personal data: every `pii` field of their records, and its history.

What `tessera privacy erase` does (docs/audit.md says what it does not): in one
transaction, every `pii` field of the subject's record and of every record referring to
it is emptied through the save pipeline (each record gets a new version; validation
rules, formulas, roll-ups and after-write hooks see the change), then the values of those
fields in their field history are cleared and the rows marked `erased`. The erasure is
written to the audit log (`privacy.erase`) with the records and fields, never a value.
All or nothing: a record the save refuses (a validation rule, a required `pii` field
that has no placeholder) leaves everything as it was.

Erasing again is harmless: a field that is empty or holds the placeholder, and history
rows already marked `erased`, hold nothing to erase; a record with nothing left is not
written (no new version), and the audit event of such an erasure names no record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.engine import Connection

from engine.audit import record_event
from engine.catalog import Catalog, CompiledField, CompiledObject, hold_catalog_revision
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import InvalidRequest, Problem, RecordValidationError
from engine.history import history_table
from engine.privacy.subjects import SubjectRecord, referrers, subject_key, subject_records
from engine.records import RecordWriter, caller_object, caller_scope
from metadata.models import FieldType, ObjectRight

#: The action of the audit event an erasure writes.
ERASED = "privacy.erase"

#: What a required text field holds once erased: it cannot be empty.
PLACEHOLDER = "[erased]"
_PLACEHOLDER_TYPES = frozenset({FieldType.TEXT, FieldType.LONG_TEXT})


@dataclass(frozen=True)
class ErasedRecord:
    """One record an erasure changed: its object, id and the `pii` fields it emptied."""

    object: str
    id: UUID
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The record as the CLI and the audit log report it."""
        return {"object": self.object, "id": str(self.id), "fields": list(self.fields)}


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the records it changed, and the history rows it cleared."""

    subject: str
    records: list[ErasedRecord] = field(default_factory=list)
    history_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The outcome as the CLI reports it."""
        return {
            "subject": self.subject,
            "records": [record.as_dict() for record in self.records],
            "history_rows": self.history_rows,
        }


def erase_subject(
    context: RequestContext, object_name: str, record_id: str, *, dry_run: bool = False
) -> Erasure:
    """Empty every `pii` field of the subject's record and of the records referring to it.

    An erasure that finds nothing left to erase (the subject was erased before) changes
    nothing and answers no record; it is still written to the audit log. A dry run answers
    what would be erased and changes nothing, the audit log included.

    Raises:
        InvalidRequest: `record_id` is not a record id, or the object has no `pii` fields.
        NotFound: no such object, or no such record the caller may see.
        RecordValidationError: a required `pii` field with no placeholder, or a record
            the save refuses; nothing is erased.
        Conflict: a placeholder clashes with a unique value; nothing is erased.
    """
    target = caller_object(context, object_name, ObjectRight.EDIT)
    catalog, obj = target.catalog, target.obj
    key = subject_key(object_name, record_id)
    _refuse_no_pii(catalog, obj)
    subject = f"{object_name}:{key}"
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin() as transaction,
    ):
        hold_catalog_revision(connection, catalog)
        scope = caller_scope(context)
        writer = RecordWriter(connection, context, scope)
        found = subject_records(connection, catalog, obj, key, scope=scope, lock=True)
        _refuse_required(found)
        erased: list[ErasedRecord] = []
        cleared = 0
        for item in found:
            pii = _pii_fields(item.obj)
            if not pii:
                continue
            held = {
                name: compiled for name, compiled in pii.items() if _holds_value(item, compiled)
            }
            if held:
                body = {name: _emptied(compiled) for name, compiled in held.items()}
                writer.update(item.obj.state.api_name, item.record_id, body)
            # After the write: its own history rows (old values) are cleared too.
            rows = _clear_history(connection, context, item, pii)
            cleared += rows
            if held or rows:
                erased.append(
                    ErasedRecord(
                        object=item.obj.state.api_name, id=item.record_id, fields=tuple(held)
                    )
                )
        outcome = Erasure(subject=subject, records=erased, history_rows=cleared)
        if dry_run:
            transaction.rollback()
            return outcome
        record_event(
            connection,
            context.tenant.id,
            at=context.engine.clock(),
            action=ERASED,
            actor=context.actor,
            target=subject,
            details=outcome.as_dict(),
        )
    return outcome


def _pii_fields(obj: CompiledObject) -> Mapping[str, CompiledField]:
    """The `pii` fields of `obj`."""
    return {
        name: compiled for name, compiled in obj.fields.items() if compiled.state.definition.pii
    }


def _refuse_no_pii(catalog: Catalog, obj: CompiledObject) -> None:
    """Refuse to erase a subject whose object has no `pii` fields: it is no person's record,
    and erasing would empty the personal data of every record referring to it (a company's
    contacts) while leaving the subject's own record as it is.

    Raises:
        InvalidRequest: `obj` has no `pii` fields (422).
    """
    if _pii_fields(obj):
        return
    name = obj.state.api_name
    others = sorted(
        {
            f"{referrer.obj.state.api_name}.{field}"
            for referrer in referrers(catalog, obj)
            for field in _pii_fields(referrer.obj)
        }
    )
    would = (
        "only the pii fields of the records referring to it would be erased ("
        + ", ".join(others)
        + ")"
        if others
        else "and nor do the objects referring to it: nothing would be erased"
    )
    detail = (
        f"{name} has no pii fields, so nothing of a {name} record would be erased; {would}. "
        f"Name the object of the person (a contact, a lead), or flag the {name} fields that "
        "hold personal data pii first"
    )
    raise InvalidRequest(detail, problems=[Problem("/object", "no-pii-fields", detail)])


def _holds_value(item: SubjectRecord, compiled: CompiledField) -> bool:
    """Whether the field holds personal data: a value, other than what erasing leaves
    (the placeholder of a required text is no personal data, and is not erased again)."""
    value = item.row[compiled.state.column_name]
    return value is not None and value != _emptied(compiled)


def _emptied(compiled: CompiledField) -> Any:
    """What the field holds once erased: nothing, or for a required text its placeholder."""
    definition = compiled.state.definition
    if not definition.required:
        return None
    limit = definition.max_length or len(PLACEHOLDER)
    return PLACEHOLDER[:limit]


def _refuse_required(found: list[SubjectRecord]) -> None:
    """Refuse the erasure, before anything is written, for required `pii` fields that can
    be neither emptied nor given a placeholder."""
    problems = [
        Problem(
            f"/{item.obj.state.api_name}/{item.record_id}/{name}",
            "cannot-erase",
            f"{item.obj.state.api_name}.{name} is required and personal data, and only "
            "text can hold a placeholder: make the field optional, then erase again",
        )
        for item in found
        for name, compiled in _pii_fields(item.obj).items()
        if _holds_value(item, compiled)
        and compiled.state.definition.required
        and compiled.state.definition.type not in _PLACEHOLDER_TYPES
    ]
    if problems:
        raise RecordValidationError(
            "nothing was erased: some personal data cannot be emptied", problems=problems
        )


def _clear_history(
    connection: Connection,
    context: RequestContext,
    item: SubjectRecord,
    pii: Mapping[str, CompiledField],
) -> int:
    """Clear the values of the record's `pii` fields in its field history; the rows stay,
    marked `erased`, so who changed what when is still known."""
    table = history_table(context.tenant.schema_name)
    statement = (
        update(table)
        .where(
            table.c.record_id == item.record_id,
            table.c.field_id.in_([compiled.state.id for compiled in pii.values()]),
            # Rows an erasure cleared before hold nothing: a second erasure leaves them.
            table.c.erased.is_(False),
        )
        .values(old_value=None, new_value=None, erased=True)
    )
    return int(connection.execute(statement).rowcount)
