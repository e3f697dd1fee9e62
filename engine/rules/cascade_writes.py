"""How the cascade writes what it recomputes: stamped like any update, and reported.

Roll-ups and lookup formulas recomputed after a save are writes of other records. They
go through here, so each gets a new version, `updated_at` and `updated_by` like any
update, and the save pipeline's after-write stage (stage 9) sees each changed record
with its values before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from engine.catalog import CompiledObject, update_stamp
from engine.rules.stored_rows import load_rows

#: Receives the records the cascade changed: (object, [(id, before, after, changed)]).
ChangeListener = Callable[
    [CompiledObject, Sequence[tuple[UUID, Mapping[str, Any], Mapping[str, Any], frozenset[str]]]],
    None,
]


@dataclass
class CascadeWrites:
    """Writes the cascade's recomputed values of stored records.

    Attributes:
        connection: the save's connection.
        now: the save's clock, written to `updated_at`.
        actor: who saves, written to `updated_by` (the cascade acts for the caller).
        listener: stage 9's collector, or None when no after-write hook listens.
    """

    connection: Connection
    now: Any
    actor: str
    listener: ChangeListener | None = None

    @property
    def stamp(self) -> dict[str, Any]:
        """The system values every cascaded update writes (besides the version bump)."""
        return update_stamp(now=self.now, actor=self.actor)

    @property
    def is_listening(self) -> bool:
        """Whether changes must be reported with their values before and after.

        Folding new children into a stored roll-up in one statement cannot tell the
        value before; while someone listens, the cascade recounts instead.
        """
        return self.listener is not None

    def update(
        self,
        obj: CompiledObject,
        record_id: UUID,
        values: Mapping[str, Any],
        *,
        before: Mapping[str, Any] | None = None,
        is_new_version: bool = True,
    ) -> None:
        """Write `values` (by field api name) to one record, with a new version.

        `before` is the stored record where the caller has it; the listener gets it
        read (and locked) otherwise. `is_new_version=False` writes a record that got its
        new version earlier in the same step of the cascade (its roll-ups changed).
        """
        if self.listener is not None and before is None:
            before = load_rows(self.connection, obj, [record_id], lock=True).get(record_id, {})
        self.connection.execute(
            update(obj.table)
            .where(obj.table.c.id == record_id)
            .values(
                {
                    **{obj.fields[name].column.name: value for name, value in values.items()},
                    **({"version": obj.table.c.version + 1} if is_new_version else {}),
                    **self.stamp,
                }
            )
        )
        if self.listener is not None:
            prior = dict(before or {})
            after = {
                **prior,
                **values,
                **self.stamp,
                "version": (prior.get("version") or 0) + int(is_new_version),
            }
            self.listener(obj, [(record_id, prior, after, frozenset(values))])

    def update_many(
        self, obj: CompiledObject, changes: Sequence[tuple[UUID, Mapping[str, Any]]]
    ) -> None:
        """Write several records' new values, one statement per set of changed fields.

        A roll-up recount can change thousands of parents; one UPDATE each would cost
        a statement each (and the request's statement budget).
        """
        if not changes:
            return
        if self.listener is not None:
            for record_id, values in changes:
                self.update(obj, record_id, values)
            return
        table = obj.table
        by_shape: dict[tuple[str, ...], list[tuple[UUID, Mapping[str, Any]]]] = {}
        for record_id, values in changes:
            by_shape.setdefault(tuple(sorted(values)), []).append((record_id, values))
        for shape, group in by_shape.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("record_id"))
                .values(
                    {
                        **{obj.fields[name].column.name: bindparam(f"v_{name}") for name in shape},
                        "version": table.c.version + 1,
                        **self.stamp,
                    }
                )
            )
            self.connection.execute(
                statement,
                [
                    {"record_id": record_id, **{f"v_{name}": values[name] for name in shape}}
                    for record_id, values in group
                ],
            )
