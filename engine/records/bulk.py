"""Write many records at once: create or upsert, all-or-nothing or record by record.

One batch is validated in full first (every problem of every record reported together),
then written with one INSERT and one UPDATE per shape of record, in a single transaction.
In partial mode, records that fail are reported and the others are written; a database
refusal (a unique clash) is isolated record by record with savepoints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import BindParameter, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from uuid_utils.compat import uuid7

from engine.budget import RequestBudget
from engine.catalog import (
    Catalog,
    CompiledObject,
    creation_stamp,
    hold_catalog_revision,
    update_stamp,
)
from engine.catalog.values import ValueProblem, coerce_value
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Conflict, Problem, RecordValidationError
from engine.query import QueryScope
from engine.records.copy_rows import insert_rows
from engine.records.permissions import caller_scope
from engine.records.pipeline import SavePipeline
from engine.records.record_input import parse_record_input
from engine.records.service import compiled_object
from engine.rules.evaluate import RecordSave
from metadata.models import REFERENCE_TYPES

MAX_BATCH = 10_000
_CHUNK = 500


@dataclass
class RecordOutcome:
    """What happened to one record of a batch."""

    index: int
    status: str
    id: UUID | None = None
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a per-record result."""
        document: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.id is not None:
            document["id"] = str(self.id)
        if self.errors:
            document["errors"] = [problem.as_dict() for problem in self.errors]
        return document


@dataclass
class BatchResult:
    """The outcome of a batch: counts and one entry per record."""

    outcomes: list[RecordOutcome]

    def count(self, status: str) -> int:
        """How many records ended with `status`."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    def as_dict(self, *, budget: RequestBudget | None = None) -> dict[str, Any]:
        """The JSON shape of a bulk response.

        With `budget`, other requests may run between results: 10,000 of them take a
        while to build.
        """
        results = []
        for outcome in self.outcomes:
            if budget is not None:
                budget.checkpoint()
            results.append(outcome.as_dict())
        return {
            "created": self.count("created"),
            "updated": self.count("updated"),
            "errors": self.count("error"),
            "results": results,
        }


def bulk_write(
    context: RequestContext,
    object_name: str,
    bodies: Sequence[Any],
    *,
    upsert_on: str | None = None,
    is_partial: bool = False,
) -> BatchResult:
    """Create (or upsert by a unique field) up to 10,000 records in one transaction.

    Raises:
        RecordValidationError: all-or-nothing mode and some record is invalid (nothing written).
        Conflict: all-or-nothing mode and the database refused a record (nothing written).
    """
    if len(bodies) > MAX_BATCH:
        raise RecordValidationError(
            f"a batch holds at most {MAX_BATCH} records; split the {len(bodies)} records",
            problems=[Problem("", "batch-too-large", f"at most {MAX_BATCH} records per request")],
        )
    catalog, obj = compiled_object(context, object_name)
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin(),
    ):
        hold_catalog_revision(connection, catalog)
        return write_batch(
            connection,
            context,
            catalog=catalog,
            obj=obj,
            scope=caller_scope(context),
            bodies=bodies,
            upsert_on=upsert_on,
            is_partial=is_partial,
        )


def write_batch(
    connection: Connection,
    context: RequestContext,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    scope: QueryScope,
    bodies: Sequence[Any],
    upsert_on: str | None = None,
    is_partial: bool = False,
    from_text: bool = False,
    first_index: int = 0,
) -> BatchResult:
    """Validate and write a batch inside the caller's transaction (see `bulk_write`)."""
    writer = _BatchWriter(
        connection=connection,
        context=context,
        catalog=catalog,
        obj=obj,
        upsert_on=upsert_on,
        is_partial=is_partial,
        from_text=from_text,
        first_index=first_index,
        scope=scope,
    )
    return writer.run(bodies)


@dataclass
class _Pending:
    outcome: RecordOutcome
    values: dict[str, Any]
    existing_id: UUID | None = None
    given: frozenset[str] = frozenset()
    record_id: UUID | None = None
    save: RecordSave | None = None


@dataclass
class _BatchWriter:
    connection: Connection
    context: RequestContext
    catalog: Catalog
    obj: CompiledObject
    upsert_on: str | None
    is_partial: bool
    from_text: bool
    first_index: int
    scope: QueryScope
    pipeline: SavePipeline = field(init=False)

    def __post_init__(self) -> None:
        self.pipeline = SavePipeline(
            self.connection, self.context, self.catalog, self.obj, self.scope
        )

    def run(self, bodies: Sequence[Any]) -> BatchResult:
        self._check_upsert_field()
        existing = self._existing_keys(bodies)
        pending = [self._parse(index, body, existing) for index, body in enumerate(bodies)]
        self._run_pipeline([p for p in pending if p.outcome.status != "error"])
        self._check_references([p for p in pending if p.outcome.status != "error"])
        self._refuse_or_keep_going(pending)
        valid = [p for p in pending if p.outcome.status != "error"]
        self.pipeline.number([p.values for p in valid if p.existing_id is None])
        if self.is_partial:
            self._write_isolated(valid)
        else:
            self._write_all_or_nothing(valid)
        written = [p.save for p in valid if p.save is not None and p.outcome.status != "error"]
        self.pipeline.after_write(written)
        return BatchResult(outcomes=[p.outcome for p in pending])

    def _run_pipeline(self, pending: list[_Pending]) -> None:
        """Defaults, formulas and validation rules of every record (save pipeline stages 3-6)."""
        if not self.pipeline.has_stages:
            # Nothing to evaluate or cascade: skip building a save per record.
            for item in pending:
                item.record_id = item.existing_id or uuid7()
            return
        priors: dict[UUID, dict[str, Any]] = {}
        if self.pipeline.needs_prior:
            priors = self.pipeline.load_prior(
                p.existing_id for p in pending if p.existing_id is not None
            )
        for item in pending:
            self.context.budget.checkpoint()
            is_new = item.existing_id is None
            item.record_id = item.existing_id or uuid7()
            item.save = RecordSave(
                record_id=item.record_id,
                is_new=is_new,
                values=item.values,
                prior={} if item.existing_id is None else priors.get(item.existing_id, {}),
                given=item.given,
                pointer=f"/{item.outcome.index}",
            )
        self.pipeline.prepare([item.save for item in pending if item.save is not None])
        for item in pending:
            if item.save is not None and item.save.problems:
                item.outcome.status = "error"
                item.outcome.errors.extend(item.save.problems)

    # -- validation -------------------------------------------------------------------------

    def _check_upsert_field(self) -> None:
        if self.upsert_on is None:
            return
        compiled = self.obj.fields.get(self.upsert_on)
        if compiled is None or not compiled.state.definition.unique:
            raise RecordValidationError(
                f"upsert_on must name a unique field of {self.obj.state.api_name!r}",
                problems=[
                    Problem("/upsert_on", "not-unique", f"{self.upsert_on!r} is not a unique field")
                ],
            )

    def _existing_keys(self, bodies: Sequence[Any]) -> dict[Any, UUID]:
        if self.upsert_on is None:
            return {}
        definition = self.obj.fields[self.upsert_on].state.definition
        keys = set()
        for body in bodies:
            if isinstance(body, Mapping) and body.get(self.upsert_on) not in (None, ""):
                try:
                    keys.add(
                        coerce_value(definition, body[self.upsert_on], from_text=self.from_text)
                    )
                except ValueProblem:
                    continue
        column = self.obj.fields[self.upsert_on].column
        found: dict[Any, UUID] = {}
        ordered = list(keys)
        visible = self.pipeline.visible
        for start in range(0, len(ordered), _CHUNK):
            query = select(column, self.obj.table.c.id).where(
                column.in_(ordered[start : start + _CHUNK])
            )
            if visible is not None:
                query = query.where(visible)
            rows = self.connection.execute(query)
            found.update({row[0]: row[1] for row in rows})
        return found

    def _parse(self, index: int, body: Any, existing: dict[Any, UUID]) -> _Pending:
        # Coercing 10,000 records holds the CPU: let other requests in between records.
        self.context.budget.checkpoint()
        outcome = RecordOutcome(index=self.first_index + index, status="pending")
        pointer = f"/{self.first_index + index}"
        if not isinstance(body, Mapping):
            outcome.status = "error"
            outcome.errors.append(Problem(pointer, "not-an-object", "each record is a JSON object"))
            return _Pending(outcome=outcome, values={})
        existing_id = None
        if self.upsert_on is not None:
            definition = self.obj.fields[self.upsert_on].state.definition
            raw_key = body.get(self.upsert_on)
            try:
                key = coerce_value(definition, raw_key, from_text=self.from_text)
            except ValueProblem:
                key = None
            if key is None:
                outcome.status = "error"
                outcome.errors.append(
                    Problem(
                        f"{pointer}/{self.upsert_on}",
                        "required",
                        f"an upsert needs {self.upsert_on!r} on every record",
                    )
                )
                return _Pending(outcome=outcome, values={})
            existing_id = existing.get(key)
        parsed = parse_record_input(
            self.obj, body, is_create=existing_id is None, from_text=self.from_text, pointer=pointer
        )
        if parsed.problems:
            outcome.status = "error"
            outcome.errors.extend(parsed.problems)
        return _Pending(
            outcome=outcome,
            values=parsed.values,
            existing_id=existing_id,
            given=frozenset(body),
        )

    def _check_references(self, pending: list[_Pending]) -> None:
        for name, compiled in self.obj.fields.items():
            definition = compiled.state.definition
            if definition.type not in REFERENCE_TYPES:
                continue
            wanted = {p.values[name] for p in pending if p.values.get(name) is not None}
            if not wanted:
                continue
            target = self.catalog.objects[definition.target or ""]
            ordered = list(wanted)
            found: set[UUID] = set()
            for start in range(0, len(ordered), _CHUNK):
                found.update(
                    self.connection.execute(
                        select(target.table.c.id).where(
                            target.table.c.id.in_(ordered[start : start + _CHUNK])
                        )
                    ).scalars()
                )
            for item in pending:
                value = item.values.get(name)
                if value is not None and value not in found:
                    item.outcome.status = "error"
                    item.outcome.errors.append(
                        Problem(
                            f"/{item.outcome.index}/{name}",
                            "unknown-record",
                            f"there is no {target.state.api_name} record {value}",
                        )
                    )

    def _refuse_or_keep_going(self, pending: list[_Pending]) -> None:
        if self.upsert_on is not None:
            self._flag_repeated_keys(pending)
        if self.is_partial:
            return
        problems = [problem for p in pending for problem in p.outcome.errors]
        if problems:
            failed = sum(1 for p in pending if p.outcome.status == "error")
            raise RecordValidationError(
                f"{failed} of {len(pending)} records are not valid; nothing was written",
                problems=problems[:1000],
            )

    def _flag_repeated_keys(self, pending: list[_Pending]) -> None:
        seen: dict[Any, int] = {}
        assert self.upsert_on is not None
        for item in pending:
            key = item.values.get(self.upsert_on)
            if key is None or item.outcome.status == "error":
                continue
            if key in seen:
                item.outcome.status = "error"
                item.outcome.errors.append(
                    Problem(
                        f"/{item.outcome.index}/{self.upsert_on}",
                        "repeated-key",
                        f"record {seen[key]} of this batch has the same {self.upsert_on!r}",
                    )
                )
            else:
                seen[key] = item.outcome.index

    # -- writing ----------------------------------------------------------------------------

    def _write_all_or_nothing(self, valid: list[_Pending]) -> None:
        try:
            self._write(valid)
        except IntegrityError as exc:
            raise self._explain_clash(valid) from exc

    def _write_isolated(self, valid: list[_Pending]) -> None:
        for start in range(0, len(valid), _CHUNK):
            chunk = valid[start : start + _CHUNK]
            try:
                with self.connection.begin_nested():
                    self._write(chunk)
            except IntegrityError:
                for item in chunk:
                    try:
                        with self.connection.begin_nested():
                            self._write([item])
                    except IntegrityError:
                        item.outcome.status = "error"
                        item.outcome.id = None
                        item.outcome.errors.append(self._clash_problem(item))

    def _write(self, items: list[_Pending]) -> None:
        now = self.context.engine.clock()
        creations = [item for item in items if item.existing_id is None]
        updates = [item for item in items if item.existing_id is not None]
        rows = [self._insert_row(item, now) for item in creations]
        insert_rows(self.connection, self.obj.table, rows)
        for item, row in zip(creations, rows, strict=True):
            item.outcome.status, item.outcome.id = "created", row["id"]
        self._update(updates, now)

    def _insert_row(self, item: _Pending, now: Any) -> dict[str, Any]:
        self.context.budget.checkpoint()
        row: dict[str, Any] = {
            "id": item.record_id,
            **creation_stamp(now=now, actor=self.context.actor),
            "owner_id": None,
        }
        columns = self.obj.input.columns
        for column in columns.values():
            row[column] = None
        for name, value in item.values.items():
            row[columns.get(name, name)] = value
        return row

    def _update(self, updates: list[_Pending], now: Any) -> None:
        table = self.obj.table
        by_shape: dict[tuple[str, ...], list[_Pending]] = defaultdict(list)
        for item in updates:
            by_shape[tuple(sorted(item.values))].append(item)
        for shape, items in by_shape.items():
            columns: dict[str, BindParameter[Any]] = {
                (
                    self.obj.fields[name].state.column_name if name in self.obj.fields else name
                ): bindparam(f"v_{name}")
                for name in shape
            }
            statement = (
                update(table)
                .where(table.c.id == bindparam("record_id"))
                .values(
                    {
                        **columns,
                        "version": table.c.version + 1,
                        **update_stamp(now=now, actor=self.context.actor),
                    }
                )
            )
            self.connection.execute(
                statement,
                [
                    {"record_id": item.existing_id, **{f"v_{n}": item.values[n] for n in shape}}
                    for item in items
                ],
            )
            for item in items:
                item.outcome.status, item.outcome.id = "updated", item.existing_id

    # -- explaining clashes -----------------------------------------------------------------

    def _clash_problem(self, item: _Pending) -> Problem:
        for name, value in item.values.items():
            compiled = self.obj.fields.get(name)
            if compiled is None or not compiled.state.definition.unique or value is None:
                continue
            clash = self.connection.execute(
                select(self.obj.table.c.id).where(compiled.column == value).limit(1)
            ).scalar_one_or_none()
            if clash is not None and clash != item.existing_id:
                return Problem(
                    f"/{item.outcome.index}/{name}",
                    "not-unique",
                    f"record {clash} already has this value",
                )
        return Problem(f"/{item.outcome.index}", "constraint", "the database refused this record")

    def _explain_clash(self, valid: list[_Pending]) -> Conflict:
        unique_fields = [name for name, c in self.obj.fields.items() if c.state.definition.unique]
        problems: list[Problem] = []
        for name in unique_fields:
            owners: dict[Any, int] = {}
            for item in valid:
                value = item.values.get(name)
                if value is None:
                    continue
                if value in owners:
                    problems.append(
                        Problem(
                            f"/{item.outcome.index}/{name}",
                            "not-unique",
                            f"record {owners[value]} of this batch has the same value",
                        )
                    )
                owners.setdefault(value, item.outcome.index)
        return Conflict(
            "the batch clashes with a unique field; nothing was written",
            problems=problems[:1000],
            extra={
                "hint": "use ?upsert_on=<unique field> to update existing records, or ?mode=partial"
            },
        )
