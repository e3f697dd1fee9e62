"""Sharing rules as SQL conditions on the rows of their object, evaluated as records are read.

A rule shares the records matching its filter with a principal. Rather than storing a
row per matching record (which every write would have to keep up to date), the read
predicate of a caller who counts as the rule's principal carries the rule's filter itself:
the database checks it per row, as it checks any filter, so a record matches the moment
its fields do, and adding or changing a rule writes nothing but metadata.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import ColumnElement, FromClause, case, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.util import ClauseAdapter

from engine.access.sharing_settings import SharingRule, SharingSettings
from engine.catalog import Catalog, CompiledObject
from engine.errors import Problem
from engine.query import AllFields, AllRows, InvalidQuery, build_plan, compile_filter
from metadata.models import ShareAccess


def rule_condition(
    catalog: Catalog, obj: CompiledObject, rule: SharingRule, *, dialect: str
) -> ColumnElement[bool]:
    """The SQL condition of a rule's filter on `obj.table` (compiled once per revision and
    dialect when `obj` is the catalog's own).

    Raises:
        InvalidQuery: the filter does not compile (unknown fields, wrong values), or
            follows a lookup (a rule reads the record's own fields only).
    """
    if catalog.objects.get(obj.state.api_name) is not obj:
        # An object of another revision's catalog (a change committed between the
        # request's reads): its table is not the one this catalog's statements are on.
        return _compile(catalog, obj, rule, dialect=dialect)
    # A revision holds one definition per rule id (a rule being checked gets an id of its own).
    return catalog.statements.get_or_build(
        ("sharing_rule", rule.id, dialect),
        lambda: _compile(catalog, obj, rule, dialect=dialect),
    )


def rules_condition(
    catalog: Catalog,
    obj: CompiledObject,
    table: FromClause,
    *,
    settings: SharingSettings,
    principals: Collection[str],
    is_edit: bool,
    dialect: str,
) -> list[ColumnElement[bool]]:
    """The conditions of the rules of `obj` that share with one of `principals` (for an
    edit, those granting `read_write`), on `table` (the object's table or an alias of it)."""
    conditions = []
    for rule in settings.rules.get(obj.state.id, ()):
        if is_edit and rule.definition.access is not ShareAccess.READ_WRITE:
            continue
        if settings.grantee(rule.definition) not in principals:
            continue
        condition = rule_condition(catalog, obj, rule, dialect=dialect)
        if table is not obj.table:
            condition = ClauseAdapter(table).traverse(condition)
        conditions.append(condition)
    return conditions


def _compile(
    catalog: Catalog, obj: CompiledObject, rule: SharingRule, *, dialect: str
) -> ColumnElement[bool]:
    plan = build_plan(catalog, obj, scope=AllRows(), access=AllFields(), dialect=dialect)
    condition = compile_filter(rule.definition.filter, plan)
    if plan.joins:
        path = ".".join(next(iter(plan.joins)))
        message = (
            f"a sharing rule's filter uses the record's own fields, not a path through "
            f"{path!r}: it is checked on every row each time {obj.state.api_name!r} is read, "
            f"and a path would join another object into every such read; add a formula "
            f"field to {obj.state.api_name!r} that reads it and filter on that"
        )
        raise InvalidQuery(message, problems=[Problem("/filter", "path-in-filter", message)])
    return condition


def matching_rules(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    record_id: UUID,
    *,
    settings: SharingSettings,
) -> list[SharingRule]:
    """The rules of `obj` whose filters the record `record_id` matches now (one query)."""
    rules = [
        rule
        for rule in settings.rules.get(obj.state.id, ())
        if settings.grantee(rule.definition) is not None
    ]
    if not rules:
        return []
    dialect = connection.dialect.name
    checks = [
        case((rule_condition(catalog, obj, rule, dialect=dialect), True), else_=False).label(
            f"rule_{index}"
        )
        for index, rule in enumerate(rules)
    ]
    row = connection.execute(select(*checks).where(obj.table.c.id == record_id)).first()
    if row is None:
        return []
    return [rule for rule, matches in zip(rules, row, strict=True) if matches]
