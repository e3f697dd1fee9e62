"""The caller's scope under record sharing: the SQL predicates of what a user may read or edit.

For each object (and each alias of its table a query joins), the predicate follows from
the object's organization-wide default and the caller's rights:

- view_all (read) or modify_all (edit) on the object, or a default that allows the access
  (`read` for reading, `read_write` for both): no predicate;
- `controlled_by_parent`: the master's predicate, through each master-detail column;
- otherwise (`private`, or `read` when editing): the record's owner is among those whose
  records the caller sees (`_access_owners`), or the record is shared by hand with one of
  the caller's principals (`_access_shares`), or it matches the filter of a sharing rule
  that shares with one of them (`rule_conditions.py`). Editing asks for `read_write`.

The caller's principals (a handful of keys) follow from its user and the metadata
(`closure.principals_of`), so they go into the statement as values: they drive the index
of `_access_shares`, and they pick the rules whose filters join the predicate. The two
tables are read by uncorrelated subqueries the database runs once per statement and
probes per row (indexed semi-joins); a rule's filter is checked per row like any other.
No list of visible ids is ever built in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import FromClause, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from engine.access.closure import MembershipIndex, UserFacts, principals_of
from engine.access.rights import Rights, rights_of
from engine.access.rule_conditions import rules_condition
from engine.access.sharing_settings import SharingSettings, sharing_settings
from engine.access.sharing_tables import AccessTables, tables_of
from engine.catalog import Catalog, CompiledField, CompiledObject
from engine.context import Caller
from metadata.models import DefaultAccess, FieldType, ObjectRight, ShareAccess

#: How many masters deep a controlled-by-parent predicate follows (detail of a detail …);
#: past it, the object is treated as private.
MAX_PARENT_DEPTH = 5


@dataclass(frozen=True)
class SharingScope:
    """The rows one user may read and edit (a `QueryScope`).

    Attributes:
        catalog: the tenant's catalog the queries are built from.
        user_id: the caller.
        rights: the caller's rights (view_all and modify_all lift the predicates).
        settings: the tenant's sharing settings.
        tables: the tenant's sharing tables.
        principals: the keys of the principals the caller counts as (`principals_of`).
        dialect: the database's dialect, which the rules' filters compile for.
    """

    catalog: Catalog
    user_id: UUID
    rights: Rights
    settings: SharingSettings
    tables: AccessTables
    principals: frozenset[str]
    dialect: str

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """The condition on the rows of `obj` (as `table`) the caller may read."""
        return self._condition(obj, table, is_edit=False, depth=0)

    def edit_predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """The condition on the rows of `obj` (as `table`) the caller may change."""
        return self._condition(obj, table, is_edit=True, depth=0)

    def _condition(
        self, obj: CompiledObject, table: FromClause, *, is_edit: bool, depth: int
    ) -> ColumnElement[bool] | None:
        name = obj.state.api_name
        if self.rights.can(name, ObjectRight.MODIFY_ALL if is_edit else ObjectRight.VIEW_ALL):
            return None
        default = self.settings.default_access(obj.state.id)
        if default is DefaultAccess.READ_WRITE or (default is DefaultAccess.READ and not is_edit):
            return None
        if default is DefaultAccess.CONTROLLED_BY_PARENT and depth < MAX_PARENT_DEPTH:
            masters = [
                compiled
                for compiled in obj.fields.values()
                if compiled.state.definition.type is FieldType.MASTER_DETAIL
            ]
            if masters:
                return self._through_masters(table, masters, is_edit=is_edit, depth=depth)
        return self._private(obj, table, is_edit=is_edit)

    def _through_masters(
        self, table: FromClause, masters: list[CompiledField], *, is_edit: bool, depth: int
    ) -> ColumnElement[bool] | None:
        """A detail follows each of its masters (a junction record needs both)."""
        conditions = []
        for compiled in masters:
            master = self.catalog.objects[compiled.state.definition.target or ""]
            alias = master.table.alias()
            inner = self._condition(master, alias, is_edit=is_edit, depth=depth + 1)
            if inner is None:
                continue
            column = table.c[compiled.state.column_name]
            conditions.append(column.in_(select(alias.c.id).where(inner).correlate(None)))
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else and_(*conditions)

    def _private(
        self, obj: CompiledObject, table: FromClause, *, is_edit: bool
    ) -> ColumnElement[bool]:
        if table is not obj.table or self.catalog.objects.get(obj.state.api_name) is not obj:
            return self._build_private(obj, table, is_edit=is_edit)
        # Building the expression costs about a millisecond; a user's next request under
        # the same revision (the same principals) reuses it.
        key = (obj.state.id, is_edit, self.user_id, self.principals, self.dialect)
        return self.catalog.sharing_predicates.get_or_build(
            key, lambda: self._build_private(obj, table, is_edit=is_edit)
        )

    def _build_private(
        self, obj: CompiledObject, table: FromClause, *, is_edit: bool
    ) -> ColumnElement[bool]:
        owners = self.tables.owners
        shares = self.tables.shares
        seen_owners = select(owners.c.owner_id).where(owners.c.viewer_id == self.user_id)
        shared = select(shares.c.record_id).where(
            shares.c.object_id == obj.state.id,
            shares.c.grantee.in_(sorted(self.principals)),
        )
        if is_edit:
            seen_owners = seen_owners.where(owners.c.access == ShareAccess.READ_WRITE.value)
            shared = shared.where(shares.c.access == ShareAccess.READ_WRITE.value)
        by_rules = rules_condition(
            self.catalog,
            obj,
            table,
            settings=self.settings,
            principals=self.principals,
            is_edit=is_edit,
            dialect=self.dialect,
        )
        return or_(
            table.c.owner_id.in_(seen_owners.correlate(None)),
            table.c.id.in_(shared.correlate(None)),
            *by_rules,
        )


def sharing_scope(catalog: Catalog, caller: Caller, *, dialect: str) -> SharingScope:
    """The scope of `caller` (an active user) under the catalog's revision."""
    settings = sharing_settings(catalog)
    facts = UserFacts(
        id=caller.user_id,
        email=caller.email,
        role=caller.role,
        partner_account=caller.partner_account,
        active=True,
    )
    return SharingScope(
        catalog=catalog,
        user_id=caller.user_id,
        rights=rights_of(catalog, caller),
        settings=settings,
        tables=tables_of(catalog),
        principals=principals_of(facts, _membership(catalog, settings)),
        dialect=dialect,
    )


def _membership(catalog: Catalog, settings: SharingSettings) -> MembershipIndex:
    """Who is in which group under the catalog's revision (built once per revision)."""
    return catalog.statements.get_or_build(("membership_index",), lambda: MembershipIndex(settings))
