"""How the cascade writes what it recomputes: stamped like any update, and reported.

Roll-ups and lookup formulas recomputed after a save, and lookups a deletion empties,
are writes of other records. They go through here, so each gets a new version,
`updated_at` and `updated_by` like any update, and the save pipeline's after-write stage
(stage 9) sees each changed record with its values before and after.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, update
from sqlalchemy.engine import Connection

from engine.catalog import CompiledObject, update_stamp
from engine.extensions import WriteOrigin
from engine.rules.stored_rows import load_rows

#: One changed record: (id, values before, values after, the fields that changed).
Change = tuple[UUID, Mapping[str, Any], Mapping[str, Any], frozenset[str]]


class ChangeListener(Protocol):
    """Receives the records the cascade changed (stage 9's collector)."""

    def __call__(
        self, obj: CompiledObject, changes: Sequence[Change], *, origin: WriteOrigin | None = None
    ) -> None:
        """Take the changed records of `obj`; `origin` says what wrote them (None: the cascade)."""
        ...

    def listens_to(self, obj: CompiledObject, fields: Collection[str] | None = None) -> bool:
        """Whether writes of `fields` of `obj` (None: any) are reported, values before too."""
        ...


@dataclass
class CascadeWrites:
    """Writes the cascade's recomputed values of stored records.

    Attributes:
        connection: the save's connection.
        now: the save's clock, written to `updated_at`.
        actor: who saves, written to `updated_by` (the cascade acts for the caller).
        listener: stage 9's collector, or None when nothing listens (no hook, no tracked
            field).
    """

    connection: Connection
    now: Any
    actor: str
    listener: ChangeListener | None = None

    @property
    def stamp(self) -> dict[str, Any]:
        """The system values every cascaded update writes (besides the version bump)."""
        return update_stamp(now=self.now, actor=self.actor)

    def listens_to(self, obj: CompiledObject, fields: Collection[str] | None = None) -> bool:
        """Whether writes of `fields` of `obj` (None: any) must be reported with their
        values before and after.

        Folding new children into a stored roll-up in one statement cannot tell the
        value before; while someone listens, the cascade recounts instead.
        """
        return self.listener is not None and self.listener.listens_to(obj, fields)

    def update(
        self,
        obj: CompiledObject,
        record_id: UUID,
        values: Mapping[str, Any],
        *,
        before: Mapping[str, Any] | None = None,
        is_new_version: bool = True,
        origin: WriteOrigin | None = None,
    ) -> None:
        """Write `values` (by field api name) to one record, with a new version.

        `before` is the stored record where the caller has it; a listener of the write
        gets it read (and locked) otherwise. `is_new_version=False` writes a record that
        got its new version earlier in the same step of the cascade (its roll-ups changed).
        `origin` tells the listener what wrote it, when that is not the cascade.
        """
        is_listening = self.listens_to(obj, values)
        if is_listening and before is None:
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
        if is_listening and self.listener is not None:
            prior = dict(before or {})
            self.listener(
                obj,
                [(record_id, prior, self._after(prior, values, is_new_version), frozenset(values))],
                origin=origin,
            )

    def update_many(
        self,
        obj: CompiledObject,
        changes: Sequence[tuple[UUID, Mapping[str, Any]]],
        *,
        before: Mapping[UUID, Mapping[str, Any]] | None = None,
        origin: WriteOrigin | None = None,
    ) -> None:
        """Write several records' new values, one statement per set of changed fields.

        A roll-up recount can change thousands of parents; one UPDATE each would cost
        a statement each (and the request's statement budget). A listener needs each
        record's values before: given as `before` (read and locked by the caller), or
        else each record is read and written on its own.
        """
        if not changes:
            return
        is_listening = self.listens_to(obj, {name for _, values in changes for name in values})
        if is_listening and before is None:
            for record_id, values in changes:
                self.update(obj, record_id, values, origin=origin)
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
        if is_listening and self.listener is not None and before is not None:
            self.listener(
                obj,
                [
                    (
                        record_id,
                        before[record_id],
                        self._after(before[record_id], values, True),
                        frozenset(values),
                    )
                    for record_id, values in changes
                ],
                origin=origin,
            )

    def clear(
        self,
        obj: CompiledObject,
        field: str,
        condition: ColumnElement[bool],
        *,
        sparing: Collection[UUID] = (),
    ) -> list[UUID]:
        """Empty `field` of the records of `obj` that `condition` (on its table) selects.

        One UPDATE … RETURNING, each record with a new version; returns their ids.
        Records of `sparing` (those the same deletion removes) are left alone. Only
        without a listener: the values before are not read.
        """
        assert not self.listens_to(obj, [field]), "a listener needs the values before"
        table = obj.table
        statement = update(table).where(condition)
        if sparing:
            statement = statement.where(table.c.id.not_in(list(sparing)))
        statement = statement.values(
            {obj.fields[field].column.name: None, "version": table.c.version + 1, **self.stamp}
        )
        return list(self.connection.execute(statement.returning(table.c.id)).scalars())

    def _after(
        self, before: Mapping[str, Any], values: Mapping[str, Any], is_new_version: bool
    ) -> dict[str, Any]:
        """A record's values after this write: `values`, the stamp and its version."""
        return {
            **before,
            **values,
            **self.stamp,
            "version": (before.get("version") or 0) + int(is_new_version),
        }
