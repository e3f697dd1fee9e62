"""Stage 9 of the save pipeline: field history, then the after-write hooks.

A save collects what it wrote (the caller's records, children deleted with a parent,
records whose lookups a deletion emptied, then what the cascade recomputed), writes the
field history of tracked fields and runs the engine's hooks once, in its transaction.
The admin recalculate and metadata changes collect what they rewrite the same way, with
their own `WriteOrigin`. Hooks may write records through the in-transaction API; those
saves run the hooks in turn, so the nesting is counted on the connection and refused
past `MAX_AFTER_WRITE_DEPTH`.

A hook hears of every record; field history only of objects with tracked fields. What
nobody listens to is not collected, and updates of such objects read nothing before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.context import RequestContext
from engine.errors import Problem, RecordValidationError
from engine.extensions import AfterWriteHook, WriteOrigin, WrittenRecord
from engine.history import FieldHistory
from engine.rules.cascade import RecordChange
from engine.rules.cascade_writes import Change, ChangeListener

#: How many saves deep after-write hooks may nest (a hook writing a record whose save
#: runs the hooks, which write another, …).
MAX_AFTER_WRITE_DEPTH = 5

_DEPTH_KEY = "tessera.after_write_depth"


class AfterWrite:
    """Collects the records one save wrote, then writes their field history and runs the
    after-write hooks on them.

    `origin` says what writes: `save` (the caller; what the cascade recomputes is then
    `cascade`), `recalculate` or `metadata-change` (everything they rewrite). `catalog`
    says which fields are tracked; `now` is when the save happened (its `updated_at`),
    which field history records (None: the engine clock when the history is written).
    """

    def __init__(
        self,
        hooks: Sequence[AfterWriteHook],
        *,
        catalog: Catalog,
        origin: WriteOrigin = WriteOrigin.SAVE,
        now: datetime | None = None,
    ) -> None:
        self._hooks = tuple(hooks)
        self._history = FieldHistory.of(catalog)
        self._origin = origin
        self._now = now
        self._records: list[WrittenRecord] = []

    @property
    def has_hooks(self) -> bool:
        """Whether any hook runs: hooks hear of every record, deleted ones included."""
        return bool(self._hooks)

    @property
    def is_listening(self) -> bool:
        """Whether a hook runs or any field is tracked: else nothing is ever collected."""
        return bool(self._hooks) or self._history is not None

    def listens_to(self, obj: CompiledObject, fields: Collection[str] | None = None) -> bool:
        """Whether a write of `fields` of `obj` (None: any) must be collected, with its
        values before: always for a hook, for field history when one is tracked."""
        if self._hooks:
            return True
        return self._history is not None and self._history.tracks(obj, fields)

    @property
    def listener(self) -> ChangeListener | None:
        """What `CascadeWrites` reports its changes to: None when nothing listens."""
        return self if self.is_listening else None

    def __call__(
        self, obj: CompiledObject, changes: Sequence[Change], *, origin: WriteOrigin | None = None
    ) -> None:
        """Take the cascade's changes (as `CascadeWrites`' listener): see `cascaded`."""
        self.cascaded(obj, changes, origin=origin)

    @property
    def records(self) -> Sequence[WrittenRecord]:
        """What was collected so far."""
        return tuple(self._records)

    def written(
        self,
        obj: CompiledObject,
        changes: Sequence[RecordChange],
        *,
        origin: WriteOrigin | None = None,
    ) -> None:
        """Collect records the caller wrote (or, with `origin`, what else wrote them)."""
        if not self.listens_to(obj):
            return
        name = obj.state.api_name
        for change in changes:
            self._records.append(
                WrittenRecord(
                    object=name,
                    record_id=change.record_id,
                    before=change.before,
                    after=change.after,
                    changed=_changed(change),
                    origin=origin or self._origin,
                )
            )

    def cascaded(
        self, obj: CompiledObject, changes: Sequence[Change], *, origin: WriteOrigin | None = None
    ) -> None:
        """Collect records the cascade changed (the listener of `CascadeWrites`).

        Without `origin`, what a save recomputes is `cascade`; what a recalculation or
        metadata change recomputes carries their own origin.
        """
        if not self.listens_to(obj):
            return
        name = obj.state.api_name
        if origin is None:
            origin = WriteOrigin.CASCADE if self._origin is WriteOrigin.SAVE else self._origin
        for record_id, before, after, changed in changes:
            self._records.append(
                WrittenRecord(
                    object=name,
                    record_id=record_id,
                    before=before,
                    after=after,
                    changed=changed,
                    origin=origin,
                )
            )

    def run(self, connection: Connection, context: RequestContext) -> None:
        """Write the field history of what was collected, then run every hook on it, in
        the save's transaction.

        Raises:
            RecordValidationError: hooks nest more than MAX_AFTER_WRITE_DEPTH saves deep.
        """
        if not self._records:
            return
        records, self._records = tuple(self._records), []
        if self._history is not None:
            at = self._now if self._now is not None else context.engine.clock()
            self._history.record(connection, context, records, at=at)
        if not self._hooks:
            return
        depth = int(connection.info.get(_DEPTH_KEY, 0))
        if depth >= MAX_AFTER_WRITE_DEPTH:
            raise RecordValidationError(
                f"after-write actions wrote records {MAX_AFTER_WRITE_DEPTH} saves deep; "
                "an action probably triggers itself: make its condition stop the loop",
                problems=[
                    Problem(
                        "",
                        "after-write-too-deep",
                        f"after-write actions nest at most {MAX_AFTER_WRITE_DEPTH} saves deep",
                    )
                ],
            )
        connection.info[_DEPTH_KEY] = depth + 1
        try:
            for hook in self._hooks:
                hook(connection, context, records)
        finally:
            connection.info[_DEPTH_KEY] = depth


def _changed(change: RecordChange) -> frozenset[str]:
    if change.before is not None and change.after is not None:
        return change.changed
    values = change.after if change.after is not None else change.before
    return frozenset(values or ())
