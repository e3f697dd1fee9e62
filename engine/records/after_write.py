"""Stage 9 of the save pipeline: hand every written record to the after-write hooks.

A save collects what it wrote (the caller's records, children deleted with a parent,
records whose lookups a deletion emptied, then what the cascade recomputed) and runs
the engine's hooks once, in its transaction. The admin recalculate and metadata changes
collect what they rewrite the same way, with their own `WriteOrigin`. Hooks may write
records through the in-transaction API; those saves run the hooks in turn, so the
nesting is counted on the connection and refused past `MAX_AFTER_WRITE_DEPTH`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from engine.catalog import CompiledObject
from engine.context import RequestContext
from engine.errors import Problem, RecordValidationError
from engine.extensions import AfterWriteHook, WriteOrigin, WrittenRecord
from engine.rules.cascade import RecordChange
from engine.rules.cascade_writes import Change, ChangeListener

#: How many saves deep after-write hooks may nest (a hook writing a record whose save
#: runs the hooks, which write another, …).
MAX_AFTER_WRITE_DEPTH = 5

_DEPTH_KEY = "tessera.after_write_depth"


class AfterWrite:
    """Collects the records one save wrote, then runs the after-write hooks on them.

    `origin` says what writes: `save` (the caller; what the cascade recomputes is then
    `cascade`), `recalculate` or `metadata-change` (everything they rewrite).
    """

    def __init__(
        self, hooks: Sequence[AfterWriteHook], *, origin: WriteOrigin = WriteOrigin.SAVE
    ) -> None:
        self._hooks = tuple(hooks)
        self._origin = origin
        self._records: list[WrittenRecord] = []

    @property
    def is_listening(self) -> bool:
        """Whether any hook runs: without one, nothing is collected."""
        return bool(self._hooks)

    @property
    def listener(self) -> ChangeListener | None:
        """What `CascadeWrites` reports its changes to: None when no hook listens."""
        return self.cascaded if self._hooks else None

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
        if not self._hooks:
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
        """Run every hook on what was collected, in the save's transaction.

        Raises:
            RecordValidationError: hooks nest more than MAX_AFTER_WRITE_DEPTH saves deep.
        """
        if not self._hooks or not self._records:
            return
        records, self._records = tuple(self._records), []
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
