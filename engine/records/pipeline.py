"""The save pipeline: the one owner of the stages every write goes through.

Single creates and updates, bulk creates and upserts, imports, deletes, the public
in-transaction API and the cascade's recomputations all run here. Callers pick a
strategy (one record, a batch: `engine/records/strategies.py`) that decides how rows
reach the database and how failures are reported, never the order of the stages, which
follows DESIGN decision 7 (docs/save-pipeline.md describes each):

1. permissions: the caller's scope, applied to every read and write of a stored row (its
   edit predicate to the rows a save changes, docs/sharing.md)
2. type coercion and literal defaults (`parse_record_input`)
3. expression defaults and auto-numbers, then the required-field check (`required_fields.py`)
4. before-save field updates (workflows, when they arrive)
5. formulas, in dependency order
6. validation: every failing rule, unknown lookup and unknown owner reported together
7. write, with the version check
8. roll-ups of parents and formulas reading the record through lookups (the cascade)
9. after-write hooks: every written record, cascaded ones included, with before/after;
   then record sharing follows partner accounts moved under another parent
10. commit, by the caller's transaction
11. after the commit, the caller removes the blobs of the files the save let go
    (`SavePipeline.released`: replaced, removed, or of deleted records)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, FromClause, select
from sqlalchemy.engine import Connection, RowMapping
from uuid_utils.compat import uuid7

from engine.access.partner_guard import refuse_partner_delete, refuse_partner_moves
from engine.access.upkeep import records_deleted, records_written
from engine.catalog import Catalog, CompiledObject, creation_stamp, update_stamp
from engine.context import RequestContext
from engine.database import bind_budget
from engine.errors import Problem
from engine.expressions import EvaluationContext
from engine.extensions import WriteOrigin
from engine.query import AllRows, FieldAccess, QueryScope
from engine.records.after_write import AfterWrite
from engine.records.auto_number import advance_counter, format_auto_number
from engine.records.constraints import check_references
from engine.records.file_releases import files_of_deletion, replaced_files
from engine.records.owners import check_owners, refuse_owner_transfers
from engine.records.record_input import parse_record_input
from engine.records.required_fields import find_missing_required
from engine.rules.cascade import Cascade, RecordChange
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.cleared_references import (
    ClearedRecords,
    Deletion,
    clear_references,
    recompute_cleared,
)
from engine.rules.detail_records import DetailRecords, detail_records
from engine.rules.evaluate import (
    RULE_FAILED,
    RecordSave,
    apply_expression_defaults,
    apply_formulas,
    bind_context,
    run_validations,
)
from engine.rules.path_values import load_path_values
from engine.rules.record_source import evaluation_contexts
from engine.rules.stored_rows import load_rows
from metadata.models import FieldType


class WriteStatus(StrEnum):
    """Where one record of a save stands."""

    PENDING = "pending"
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    ERROR = "error"


@dataclass(slots=True)
class WriteRequest:
    """One record a caller asks to write.

    Attributes:
        body: the JSON body (field values by api name); anything else is reported.
        record_id: the record to update; None creates one.
        expected_version: with an update, the version the caller holds (stale: 412).
        pointer: where the record sits in the request (`/3` in a bulk body).
        problems: problems the caller found before the pipeline (a bad upsert key, a
            lookup value that names no record); the body is still coerced, and checked.
        files: file fields to set, by api name: a stored file's value, or None to remove
            the file. Only the files endpoint sets them (a body never writes a file field).
    """

    body: Any
    record_id: UUID | None = None
    expected_version: int | None = None
    pointer: str = ""
    problems: list[Problem] = field(default_factory=list)
    files: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PendingWrite:
    """One record on its way through the pipeline, and what became of it."""

    request: WriteRequest
    save: RecordSave
    status: WriteStatus = WriteStatus.PENDING
    #: Whether its body was coerced (an object, with no problem found before the pipeline).
    is_parsed: bool = False
    #: The stored row after the write, where the strategy read it back.
    row: RowMapping | None = None

    @property
    def problems(self) -> list[Problem]:
        """Everything wrong with the record, reported together."""
        return self.save.problems

    def fail(self, *problems: Problem) -> None:
        """Mark the record as failed with `problems`."""
        self.status = WriteStatus.ERROR
        self.save.problems.extend(problems)

    @property
    def is_checked(self) -> bool:
        """Whether the later stages still check it: valid so far, or only some values refused.

        A record some of whose values were refused goes on with the others, so one answer
        lists a mistyped value and a failed rule; it is never written.
        """
        return self.status is not WriteStatus.ERROR or bool(self.save.refused)


@dataclass(slots=True)
class _Evaluation:
    """What stages 3 to 6 of a save evaluate with: one context, each record's scope."""

    context: EvaluationContext
    scopes: list[dict[str, Any]]


class WriteStrategy(Protocol):
    """How records reach the database (one record, a batch) and how failures are told."""

    def missing(self, pipeline: SavePipeline, item: PendingWrite) -> None:
        """React to an update of a record the scope does not show (or that is gone)."""
        ...

    def settle(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """After stage 6: refuse the save (raise) or let the valid records go on."""
        ...

    def write(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """Stage 7: write the valid records; set each one's status (and row)."""
        ...


@dataclass
class SavePipeline:
    """Runs the stages of the save pipeline for records of one object, in one transaction.

    Attributes:
        connection: the connection whose transaction the save runs in (the caller commits).
        context: who saves, for which tenant; its actor is written to created_by/updated_by.
        catalog: the tenant's compiled catalog.
        obj: the object whose records are saved.
        scope: the rows the caller may read and write (stage 1); always given.
        fields: the fields a body may name: the caller's (`access_of`), for whom a field
            they may not read is answered as one that does not exist; `AllFields()` for
            code that names the fields it writes (`RecordWriter`).
        from_text: whether bodies hold text cells (imports) rather than JSON values.
        now: the engine clock at the start of the save: every timestamp of it.
    """

    connection: Connection
    context: RequestContext
    catalog: Catalog
    obj: CompiledObject
    scope: QueryScope
    fields: FieldAccess
    from_text: bool = False
    now: Any = field(init=False)
    #: Stage 9: the engine's after-write hooks, collecting what this save writes.
    hooks: AfterWrite = field(init=False)
    #: The records of the current save, once coerced (to explain a refused write).
    pending: list[PendingWrite] = field(init=False, default_factory=list)
    #: Records the cascade changed, as (object, id); a saved record can be among them.
    touched: set[tuple[str, UUID]] = field(init=False, default_factory=set)
    #: Keys of the blobs this save stopped referring to (replaced, removed or deleted
    #: files): the caller removes them once its transaction commits (`release_blobs`).
    released: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.context.engine.clock()
        # Every statement of the save, the rules' and the cascade's included, is charged.
        bind_budget(self.connection, self.context.budget)
        self.hooks = AfterWrite(
            self.context.engine.after_write_hooks, catalog=self.catalog, now=self.now
        )

    # -- the stages ---------------------------------------------------------------------

    def save(self, requests: Sequence[WriteRequest], strategy: WriteStrategy) -> list[PendingWrite]:
        """Run `requests` through every stage, in order; return one entry per request.

        Raises:
            whatever `strategy` raises to refuse the save, and RecordValidationError when
            the cascade (stage 8) or an after-write hook (stage 9) fails.
        """
        items = [self._coerce(request) for request in requests]  # stage 2
        self.pending = items
        self._read_prior(items, strategy)  # stage 1 on stored rows, and 7's version check
        self.prepare(items)  # stages 3 to 6, the required check after 3
        refuse_partner_moves(
            self.catalog,
            self.obj,
            self.context.caller,
            [
                (item.save.is_new, _moved(item.save), item.save.pointer)
                for item in items
                if item.is_parsed
            ],
        )
        if not isinstance(self.scope, AllRows):
            # A writer acting for the whole tenant (a hook, a workflow) may move owners.
            refuse_owner_transfers(
                self.connection,
                context=self.context,
                catalog=self.catalog,
                obj=self.obj,
                visible=self.visible,
                saves=[item.save for item in items if item.is_parsed],
            )
        self._check_references(items)
        for item in items:
            if item.save.problems:
                item.status = WriteStatus.ERROR
        strategy.settle(self, items)
        valid = [item for item in items if item.status is not WriteStatus.ERROR]
        self.number([item.save.values for item in valid if item.save.is_new])
        strategy.write(self, valid)
        written = [item for item in valid if item.status is not WriteStatus.ERROR]
        touched = self.after_write([item.save for item in written])
        self.touched |= touched
        self._keep_sharing([item.save for item in written])
        with_files = [item.save for item in written if item.request.files]
        if with_files:
            self.released += replaced_files(self.context.tenant.id, self.obj, with_files)
        return items

    def _keep_sharing(self, saves: Sequence[RecordSave]) -> None:
        """After the write: record sharing follows partner accounts that moved (the
        cascade recomputes computed values only, which move none)."""
        ids = [save.record_id for save in saves]
        changed = {name for save in saves for name in save.values}
        records_written(self.connection, self.catalog, self.obj, ids, changed=changed)

    def _coerce(self, request: WriteRequest) -> PendingWrite:
        """Stage 2: coerce the body; a body that is not an object is one problem."""
        # Coercing 10,000 records holds the CPU: let other requests in between records.
        self.context.budget.checkpoint()
        is_new = request.record_id is None
        save = RecordSave(
            record_id=uuid7() if request.record_id is None else request.record_id,
            is_new=is_new,
            values={},
            pointer=request.pointer,
            problems=list(request.problems),
        )
        item = PendingWrite(request=request, save=save)
        if request.problems:
            item.status = WriteStatus.ERROR
        body = request.body
        if not isinstance(body, Mapping):
            item.fail(Problem(request.pointer, "not-an-object", "each record is a JSON object"))
            return item
        # A record the caller already found wrong (a bad upsert key, a lookup value that
        # names no record) is still coerced: every problem of it is reported together.
        parsed = parse_record_input(
            self.obj,
            body,
            access=self.fields.on(self.obj),
            is_create=is_new,
            from_text=self.from_text,
            pointer=request.pointer,
        )
        save.values = {**parsed.values, **request.files}
        save.given = frozenset(body) | frozenset(request.files)
        item.is_parsed = True
        if parsed.problems:
            item.fail(*parsed.problems)
            if not request.problems:
                # The values that did coerce still meet the rules that read none of these.
                save.refused = frozenset(
                    problem.pointer.removeprefix(f"{request.pointer}/").split("/")[0]
                    for problem in parsed.problems
                )
        for name in request.files:
            compiled = self.obj.fields.get(name)
            if compiled is None or compiled.state.definition.type is not FieldType.FILE:
                item.fail(
                    Problem(
                        f"{request.pointer}/{name}",
                        "not-a-file-field",
                        f"{self.obj.state.api_name!r} has no file field {name!r}",
                    )
                )
        return item

    def _read_prior(self, items: Sequence[PendingWrite], strategy: WriteStrategy) -> None:
        """Read and lock the stored records of updates, when expressions or the cascade need them.

        A record the scope does not show, or a version the caller does not hold, is the
        strategy's to report.
        """
        # A file set or removed needs the file it replaces, to release its blob.
        if not self.needs_prior and not any(item.request.files for item in items):
            return
        updates = [item for item in items if not item.save.is_new and item.is_checked]
        if not updates:
            return
        priors = self.load_prior(item.save.record_id for item in updates)
        for item in updates:
            prior = priors.get(item.save.record_id)
            expected = item.request.expected_version
            if prior is None or (expected is not None and prior["version"] != expected):
                if item.status is WriteStatus.ERROR:
                    # Its refused values are the answer; no rule runs on a record not read.
                    item.save.refused = frozenset()
                else:
                    strategy.missing(self, item)
                continue
            item.save.prior = prior

    def prepare(self, items: Sequence[PendingWrite]) -> None:
        """Stages 3 to 6, with the required-field check after stage 3; problems land on each.

        A record some of whose values were refused goes on with the others: the defaults,
        formulas and rules that read none of the refused values still run (see
        `RecordSave.refused`). Records that failed otherwise skip stage 3 but are checked
        for required values, so one answer names everything missing. A record missing a
        required value goes no further: formulas and rules are not evaluated without it.
        """
        active = [item for item in items if item.is_checked]
        evaluation = self._fill_defaults([item.save for item in active])  # stage 3
        self._check_required(items)
        if evaluation is None:
            return
        complete = [
            (item.save, scope)
            for item, scope in zip(active, evaluation.scopes, strict=True)
            if item.is_checked
        ]
        if not complete:
            return
        rules = self.obj.rules
        context = evaluation.context
        if rules.paths:
            scopes = [scope for _, scope in complete]
            found = load_path_values(self.connection, self.catalog, self.obj, scopes, rules.paths)
            for save, _ in complete:
                # Lookups whose targets were read need no second look in stage 6.
                save.verified = {
                    name for name, ids in found.items() if save.values.get(name) in ids
                }
        for save, scope in complete:
            bind_context(scope, context, save, obj=self.obj)
            apply_formulas(self.obj, save, scope, context)
            reported = len(save.problems)
            run_validations(self.obj, save, scope, context)
            self._hide_unreadable_in_rules(save, since=reported)

    def _hide_unreadable_in_rules(self, save: RecordSave, *, since: int) -> None:
        """Validation problems name no field the writer may not read: a rule on one points
        at the record, and a rule reading one that could not be evaluated does not quote
        the error (it could show the value)."""
        access = self.fields.on(self.obj)
        rules = {rule.api_name: rule for rule in self.obj.rules.validations}
        for index in range(since, len(save.problems)):
            problem = save.problems[index]
            rule = rules.get(problem.rule or "")
            if rule is None:
                continue
            pointer, detail = problem.pointer, problem.detail
            if rule.field and not access.can_read(rule.field):
                pointer = save.pointer
            hidden = any(
                name in self.obj.fields and not access.can_read(name)
                for name in rule.expression.fields
            )
            if problem.code == RULE_FAILED and hidden:
                detail = (
                    f"validation rule {rule.api_name!r} could not be evaluated; ask an "
                    "administrator"
                )
            save.problems[index] = replace(problem, pointer=pointer, detail=detail)

    def _fill_defaults(self, saves: Sequence[RecordSave]) -> _Evaluation | None:
        """Stage 3: the auto-numbers expressions read, then expression defaults.

        Returns what stages 5 and 6 evaluate with, None when nothing is evaluated (no
        scope is built per record).
        """
        if not self.has_stages or not saves:
            return None
        rules = self.obj.rules
        numbered = [
            name
            for name in rules.reads
            if name in self.obj.fields
            and self.obj.fields[name].state.definition.type is FieldType.AUTO_NUMBER
        ]
        if numbered:
            # A record that already failed draws no number: rules reading one skip it.
            for save in saves:
                if save.refused:
                    save.refused |= frozenset(numbered)
            self.number(
                [save.values for save in saves if save.is_new and not save.refused], only=numbered
            )
        if not rules.evaluates:
            return None
        context = self.evaluation_context()
        scopes = [save.scope(self.obj, budget=self.context.budget) for save in saves]
        # Expressions see the record as it will be stored, system columns included.
        created = creation_stamp(now=self.now, actor=self.context.actor)
        updated = update_stamp(now=self.now, actor=self.context.actor)
        for save, scope in zip(saves, scopes, strict=True):
            if save.is_new:
                scope.update(created)
                if scope.get("owner_id") is None:
                    scope["owner_id"] = self.context.caller.user_id
            else:
                scope.update(updated)
                scope["version"] = (save.prior.get("version") or 0) + 1
        if rules.defaults:
            for save, scope in zip(saves, scopes, strict=True):
                bind_context(scope, context, save, obj=self.obj)
                apply_expression_defaults(self.obj, save, scope, context)
        return _Evaluation(context=context, scopes=scopes)

    def _check_required(self, items: Sequence[PendingWrite]) -> None:
        """After stage 3: every required field each coerced record leaves without a value."""
        for item in items:
            if item.is_parsed:
                missing = find_missing_required(
                    self.obj, item.save, access=self.fields.on(self.obj)
                )
                if missing:
                    item.fail(*missing)
                    item.save.refused = frozenset()  # it goes no further

    def _check_references(self, items: Sequence[PendingWrite]) -> None:
        """Stage 6, last: lookups naming no record of their target, owners naming no one."""
        active = [item for item in items if item.is_checked]
        saves = [item.save for item in active]
        problems = check_references(
            self.connection,
            catalog=self.catalog,
            obj=self.obj,
            saves=saves,
            scope=self.scope,
        )
        owners = check_owners(
            self.connection, catalog=self.catalog, tenant_id=self.context.tenant.id, saves=saves
        )
        for item in active:
            found = problems.get(item.save.record_id, []) + owners.get(item.save.record_id, [])
            if found:
                item.fail(*found)

    def number(
        self, records: Sequence[dict[str, Any]], *, only: Iterable[str] | None = None
    ) -> None:
        """Give new records (their values by field) auto-numbers not drawn yet, in order.

        Auto-numbers an expression reads are drawn in stage 3; the others just before the
        write, so a record that fails validation in a partial batch leaves no gap.
        """
        wanted = set(only) if only is not None else None
        for name, compiled in self.obj.fields.items():
            definition = compiled.state.definition
            if definition.type is not FieldType.AUTO_NUMBER:
                continue
            if wanted is not None and name not in wanted:
                continue
            pending = [values for values in records if name not in values]
            if not pending:
                continue
            last = advance_counter(
                self.connection,
                tenant_id=self.context.tenant.id,
                field_id=compiled.state.id,
                by=len(pending),
            )
            first = last - len(pending) + 1
            for offset, values in enumerate(pending):
                values[name] = format_auto_number(
                    definition.format or "{0}", counter=first + offset, now=self.now
                )

    def after_write(self, saves: Sequence[RecordSave]) -> set[tuple[str, UUID]]:
        """Stages 8 and 9 for written records: the cascade, then the after-write hooks.

        Returns the records the cascade changed, as (object, id): a saved record can be
        among them (its formula reads a roll-up it feeds).
        """
        hooks = self.hooks
        rules = self.obj.rules
        if not (rules.rollups or rules.watchers) and not hooks.listens_to(self.obj):
            return set()
        changes = [self.change_of(save) for save in saves]
        hooks.written(self.obj, changes)
        touched: set[tuple[str, UUID]] = set()
        if rules.rollups or rules.watchers:
            cascade = self.cascade()
            cascade.follow(self.obj, changes)
            touched = cascade.touched
        hooks.run(self.connection, self.context)
        return touched

    def delete(self, record_id: UUID, *, expected_version: int | None) -> bool:
        """Delete one record and run stages 8 and 9 for it; return whether it was there.

        Master-detail children go with it and lookups follow their delete rule (the
        database's foreign keys). What the deletion changes elsewhere, the children it
        takes along and the files it releases are found before the rows go; `set_null`
        lookups pointing at anything deleted are emptied first, as writes of their records
        (the database's ON DELETE SET NULL then finds nothing left to do).
        """
        refuse_partner_delete(self.catalog, self.obj, self.context.caller)
        table = self.obj.table
        hooks = self.hooks
        cascade = self.cascade()
        feeds = self._feeds_others()
        # The same conditions as the DELETE, on an alias of the table: it empties the
        # lookups of the object to itself too.
        alias = table.alias("deleted")
        deleted = select(alias.c.id).where(*self._deleting(alias, record_id, expected_version))
        pending = None
        details: Sequence[DetailRecords] = ()
        before: list[Mapping[str, Any]] = []
        if feeds or hooks.has_hooks:
            before = list(self.load_prior([record_id]).values())
            # Gone, out of scope or at another version: refused before anything is written.
            if not before or expected_version not in (None, before[0]["version"]):
                return False
        if feeds:
            pending = cascade.before_delete(self.obj, before)
            details = pending.details
        elif self.obj.rules.details:
            # Every record the deletion takes along loses its shares with it.
            details = detail_records(
                self.connection, self.catalog, self.obj, [record_id], query=deleted
            )
        # Only a hook needs the children's values (field history keeps no row of a
        # deletion); they are read (and locked) while they exist, the database deleting
        # them with the parent.
        doomed = [
            (group.obj, load_rows(self.connection, group.obj, group.ids, lock=True))
            for group in (details if hooks.has_hooks else ())
        ]
        files = files_of_deletion(
            self.connection,
            catalog=self.catalog,
            obj=self.obj,
            ids=[record_id],
            details=details,
            tenant_id=self.context.tenant.id,
        )
        cleared = clear_references(
            cascade.writes,
            self.catalog,
            Deletion(self.obj, [record_id], query=deleted, details=details),
        )
        statement = table.delete().where(*self._deleting(table, record_id, expected_version))
        if self.connection.execute(statement).rowcount == 0:
            return False
        records_deleted(self.connection, self.catalog, self.obj, [record_id])
        for group in details:
            records_deleted(self.connection, self.catalog, group.obj, group.ids)
        self.released += files
        # Deepest first, as the database deletes them: a child's children before it.
        for obj, rows in reversed(doomed):
            hooks.written(
                obj,
                [RecordChange(key, before=row, after=None) for key, row in rows.items()],
                origin=WriteOrigin.PARENT_DELETED,
            )
        hooks.written(self.obj, [RecordChange(row["id"], before=row, after=None) for row in before])
        if pending is not None:
            cascade.after_delete(self.obj, pending)
        recompute_cleared(cascade, cleared)
        self._keep_sharing_after_delete(cleared, cascade.touched)
        hooks.run(self.connection, self.context)
        return True

    def _keep_sharing_after_delete(
        self, cleared: Sequence[ClearedRecords], touched: set[tuple[str, UUID]]
    ) -> None:
        """After a delete: record sharing follows the lookups it emptied (a partner
        account's parent among them), as after a save."""
        self.touched |= touched
        for group in cleared:
            changed = {name for names in group.fields.values() for name in names}
            records_written(
                self.connection, self.catalog, group.obj, list(group.fields), changed=changed
            )

    def _deleting(
        self, rows: FromClause, record_id: UUID, expected_version: int | None
    ) -> list[ColumnElement[bool]]:
        """What a deleted row of `rows` (the table or an alias) must be: the record, at the
        version the caller holds, one the caller may change."""
        conditions = [rows.c.id == record_id]
        if expected_version is not None:
            conditions.append(rows.c.version == expected_version)
        editable = self.scope.edit_predicate(self.obj, rows)
        if editable is not None:
            conditions.append(editable)
        return conditions

    # -- what the stages share ----------------------------------------------------------

    @property
    def needs_prior(self) -> bool:
        """Whether updates must read (and lock) the stored records before the write."""
        return self.obj.rules.needs_prior or self.hooks.listens_to(self.obj)

    @property
    def has_stages(self) -> bool:
        """Whether records of this object need anything between coercion and the write."""
        rules = self.obj.rules
        return rules.evaluates or bool(rules.reads)

    @property
    def visible(self) -> ColumnElement[bool] | None:
        """The scope's condition on the object's table (None: every row is visible)."""
        return self.scope.predicate(self.obj, self.obj.table)

    @property
    def editable(self) -> ColumnElement[bool] | None:
        """The scope's condition on the rows the caller may change (None: every row)."""
        return self.scope.edit_predicate(self.obj, self.obj.table)

    @property
    def creation_values(self) -> dict[str, Any]:
        """The system values of a new row (besides its id): the caller owns it unless the
        record names another owner."""
        return {
            **creation_stamp(now=self.now, actor=self.context.actor),
            "owner_id": self.context.caller.user_id,
        }

    @property
    def update_values(self) -> dict[str, Any]:
        """The system values every update writes (besides the version bump)."""
        return update_stamp(now=self.now, actor=self.context.actor)

    def load_prior(self, ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        """Read and lock the stored records about to change, those the caller may change."""
        rows = load_rows(self.connection, self.obj, list(ids), lock=True)
        condition = self.editable
        if condition is None or not rows:
            return rows
        table = self.obj.table
        shown = set(
            self.connection.execute(
                select(table.c.id).where(table.c.id.in_(list(rows)), condition)
            ).scalars()
        )
        return {key: row for key, row in rows.items() if key in shown}

    def evaluation_context(self) -> EvaluationContext:
        """A context for this save: clock, caller, tenant, and SQL for cross-object functions."""
        return evaluation_contexts(self.connection, self.context, self.catalog, now=self.now)()

    def cascade(self) -> Cascade:
        """The cascade that follows this save into roll-ups and lookup formulas.

        Its writes are stamped with this save's clock and actor, and reported to stage 9.
        """
        writes = CascadeWrites(
            self.connection,
            now=self.now,
            actor=self.context.actor,
            listener=self.hooks.listener,
        )
        return Cascade(
            connection=self.connection,
            catalog=self.catalog,
            writes=writes,
            new_context=self.evaluation_context,
        )

    @staticmethod
    def change_of(save: RecordSave) -> RecordChange:
        """The change a written record makes: values before (None: created) and after."""
        if save.is_new:
            return RecordChange(save.record_id, before=None, after=save.values)
        return RecordChange(
            save.record_id,
            before=save.prior,
            after={**save.prior, **save.values},
            changed=frozenset(
                name for name, value in save.values.items() if save.prior.get(name) != value
            ),
        )

    def _feeds_others(self) -> bool:
        """Whether deleting records of the object can change roll-ups elsewhere.

        Children deleted with it may feed roll-ups of other parents, at any depth of
        master-detail, so any roll-up in the tenant makes a deletion look. (Formulas
        reading the deleted records through lookups are reached through those lookups,
        emptied before the rows go.)
        """
        return any(other.rules.rollups for other in self.catalog.objects.values())


def _moved(save: RecordSave) -> dict[str, Any]:
    """The values of `save` that differ from the stored record (all of a new one's)."""
    prior = save.prior or {}
    return {
        name: value
        for name, value in save.values.items()
        if save.is_new or name not in prior or prior[name] != value
    }


def changed_columns(obj: CompiledObject, values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of `values`, keyed by column name."""
    columns = obj.input.columns
    return {columns.get(name, name): value for name, value in values.items()}
