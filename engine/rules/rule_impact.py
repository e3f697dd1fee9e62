"""How many existing records a new or changed validation rule would refuse.

A rule is checked when records are saved, so adding one never changes stored data; but a
record that fails it will be refused at its next save, whatever that save changes. The
plan of a rule change says how many of the existing records fail it (the first 10,000
are checked) and names a few, so an implementer can fix the data or the rule first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from engine.catalog import Catalog
from engine.expressions import EvaluationContext, EvaluationError, ExpressionTimeout
from engine.rules.evaluate import RecordSave, bind_context, evaluate_expression
from engine.rules.path_values import load_path_values
from engine.rules.stored_rows import first_rows
from metadata.models import TenantMetadata

#: How many existing records a rule change is tried on.
MAX_CHECKED = 10_000
_SAMPLE = 5


def changed_rules(old: TenantMetadata, new: TenantMetadata) -> list[tuple[str, str]]:
    """(object, rule) of active rules that are new, or whose expression or activity changed.

    Only objects that already exist count: a new object has no records yet.
    """
    before = {rule.id: rule.definition for obj in old.live_objects for rule in obj.validation_rules}
    existing = {obj.id for obj in old.live_objects}
    found = []
    for obj in new.live_objects:
        if obj.id not in existing:
            continue
        for rule in obj.validation_rules:
            previous = before.get(rule.id)
            if not rule.definition.active:
                continue
            if (
                previous is None
                or not previous.active
                or (previous.expression != rule.definition.expression)
            ):
                found.append((obj.api_name, rule.api_name))
    return found


def check_existing_records(
    connection: Connection,
    catalog: Catalog,
    targets: list[tuple[str, str]],
    new_context: Callable[[], EvaluationContext],
) -> list[dict[str, Any]]:
    """For each (object, rule), how many of the first records fail it, with sample ids."""
    results = []
    for object_name, rule_name in targets:
        obj = catalog.objects[object_name]
        rule = next(r for r in obj.rules.validations if r.api_name == rule_name)
        rows = first_rows(connection, obj, MAX_CHECKED)
        saves = [
            RecordSave(record_id=row["id"], is_new=False, values={}, prior=row) for row in rows
        ]
        scopes = [save.scope(obj) for save in saves]
        if rule.expression.paths:
            load_path_values(connection, catalog, obj, scopes, rule.expression.paths)
        context = new_context()
        failing: list[str] = []
        unevaluable = 0
        for save, scope in zip(saves, scopes, strict=True):
            bind_context(scope, context, save, obj=obj)
            try:
                if evaluate_expression(rule.expression, scope, context):
                    failing.append(str(save.record_id))
            except (EvaluationError, ExpressionTimeout):
                unevaluable += 1
        results.append(
            {
                "object": object_name,
                "rule": rule_name,
                "records_checked": len(rows),
                "failing": len(failing),
                "not_evaluable": unevaluable,
                "first_failing_ids": failing[:_SAMPLE],
            }
        )
    return results
