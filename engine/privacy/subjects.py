"""A data subject's records: the record itself, and every record that refers to it.

A person (a contact, a lead, a customer account) is one record; what else is theirs is
what points at it: records whose lookup or master-detail field names it, in any object
(activities of the contact, orders of the customer). One step only: records that point
at those records are not the subject's (an order's lines are the order's).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection, RowMapping

from engine.catalog import Catalog, CompiledObject
from engine.errors import InvalidRequest, NotFound, Problem
from engine.query import QueryScope
from metadata.models import REFERENCE_TYPES


@dataclass(frozen=True)
class Referrer:
    """A lookup or master-detail field `field` of `obj` that points at the subject's object."""

    obj: CompiledObject
    field: str


@dataclass(frozen=True)
class SubjectRecord:
    """One record of the subject's: its object, the stored row, and how it refers to them.

    Attributes:
        obj: the record's object.
        row: its stored values, by column.
        via: the fields of `obj` that point at the subject (empty for the subject itself).
    """

    obj: CompiledObject
    row: RowMapping
    via: tuple[str, ...] = field(default=())

    @property
    def record_id(self) -> UUID:
        """The record's id."""
        key: UUID = self.row["id"]
        return key


def subject_key(object_name: str, record_id: str) -> UUID:
    """The id of the subject's record, as given on the command line.

    A text that is no record id is a mistake in the request, not a record that is
    missing: it names no record of any object.

    Raises:
        InvalidRequest: `record_id` is not a record id (a UUID).
    """
    try:
        return UUID(record_id)
    except ValueError as exc:
        detail = (
            f"{record_id!r} is not a record id; give the id of the subject's {object_name} "
            "record, such as 01a22cc7-e4fb-76f6-9730-fe338eb2668f"
        )
        raise InvalidRequest(detail, problems=[Problem("/id", "invalid-id", detail)]) from exc


def referrers(catalog: Catalog, obj: CompiledObject) -> list[Referrer]:
    """Every live reference field of every live object that targets `obj`, by name."""
    target = obj.state.api_name
    return [
        Referrer(obj=other, field=name)
        for other_name, other in sorted(catalog.objects.items())
        for name, compiled in other.fields.items()
        if compiled.state.definition.type in REFERENCE_TYPES
        and compiled.state.definition.target == target
    ]


def subject_records(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    key: UUID,
    *,
    scope: QueryScope,
    lock: bool = False,
) -> list[SubjectRecord]:
    """The subject's record first, then every record that refers to it (once each, in
    object and id order), as `scope` shows them; `lock` takes their row locks (an
    erasure: nobody fills a field in between the read and the write).

    Raises:
        NotFound: the scope shows no such record.
    """
    row = _one(
        connection, _visible(select(obj.table), obj, scope).where(obj.table.c.id == key), lock
    )
    if row is None:
        raise NotFound(f"there is no {obj.state.api_name} record {key}")
    found = [SubjectRecord(obj=obj, row=row)]
    by_record: dict[tuple[str, UUID], list[str]] = {}
    rows: dict[tuple[str, UUID], tuple[CompiledObject, RowMapping]] = {}
    for referrer, referring in _referring_rows(connection, catalog, obj, key, scope, lock):
        mark = (referrer.obj.state.api_name, referring["id"])
        if mark == (obj.state.api_name, key):
            continue  # the subject pointing at itself is the subject
        by_record.setdefault(mark, []).append(referrer.field)
        rows[mark] = (referrer.obj, referring)
    for mark in sorted(rows):
        other, referring = rows[mark]
        found.append(SubjectRecord(obj=other, row=referring, via=tuple(by_record[mark])))
    return found


def _visible(query: Select[Any], obj: CompiledObject, scope: QueryScope) -> Select[Any]:
    visible = scope.predicate(obj, obj.table)
    return query if visible is None else query.where(visible)


def _locked(connection: Connection, query: Select[Any], lock: bool) -> Select[Any]:
    # FOR NO KEY UPDATE, as the save pipeline locks the records it is about to change.
    if lock and connection.dialect.name == "postgresql":
        return query.with_for_update(key_share=True)
    return query


def _one(connection: Connection, query: Select[Any], lock: bool) -> RowMapping | None:
    return connection.execute(_locked(connection, query, lock)).mappings().one_or_none()


def _referring_rows(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    key: UUID,
    scope: QueryScope,
    lock: bool,
) -> Iterator[tuple[Referrer, Any]]:
    for referrer in referrers(catalog, obj):
        table = referrer.obj.table
        column = referrer.obj.fields[referrer.field].column
        query = _visible(select(table), referrer.obj, scope).where(column == key)
        query = _locked(connection, query.order_by(table.c.id), lock)
        for row in connection.execute(query).mappings():
            yield referrer, row
