"""Pure changes of an object's validation rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uuid_utils.compat import uuid7

from engine.errors import MetadataError, NotFound, Problem
from engine.metadata_changes.expression_checks import Functions, check_rule
from engine.metadata_changes.names import check_api_name
from engine.metadata_changes.state_edits import replace_object, require_object
from engine.metadata_changes.storable_values import check_storable_options
from engine.shape_problems import parse_body
from engine.suggestions import did_you_mean
from metadata.models import (
    ObjectState,
    TenantMetadata,
    ValidationRuleDef,
    ValidationRuleState,
)


def require_rule(obj: ObjectState, name: str) -> ValidationRuleState:
    """Return the rule `name` of `obj`.

    Raises:
        NotFound: there is no such rule.
    """
    rule = obj.find_rule(name)
    if rule is None:
        hint = did_you_mean(name, (r.api_name for r in obj.validation_rules))
        raise NotFound(
            f"object {obj.api_name!r} has no validation rule {name!r}{hint}", extra={"rule": name}
        )
    return rule


def _with_rules(obj: ObjectState, rules: list[ValidationRuleState]) -> ObjectState:
    return obj.model_copy(update={"validation_rules": tuple(rules)})


def _check(
    definition: ValidationRuleDef,
    *,
    obj: ObjectState,
    state: TenantMetadata,
    functions: Functions,
    own: ValidationRuleState | None = None,
) -> None:
    problems = check_api_name(definition.api_name, pointer="/api_name", is_field=False)
    problems += check_storable_options(definition.model_dump(exclude={"api_name"}), "")
    problems += check_rule(definition, obj=obj, state=state, functions=functions)
    clash = obj.find_rule(definition.api_name)
    if clash is not None and (own is None or clash.id != own.id):
        problems.append(
            Problem(
                "/api_name",
                "name-taken",
                f"object {obj.api_name!r} already has a rule {definition.api_name!r}",
            )
        )
    if problems:
        raise MetadataError(
            f"validation rule {definition.api_name!r} is not valid", problems=problems
        )


def add_rule(
    state: TenantMetadata, object_name: str, definition: ValidationRuleDef, *, functions: Functions
) -> tuple[TenantMetadata, ValidationRuleState]:
    """Add a validation rule to an object.

    Raises:
        NotFound, MetadataError.
    """
    obj = require_object(state, object_name)
    _check(definition, obj=obj, state=state, functions=functions)
    rule = ValidationRuleState(id=uuid7(), definition=definition)
    return replace_object(state, _with_rules(obj, [*obj.validation_rules, rule])), rule


def update_rule(
    state: TenantMetadata,
    object_name: str,
    rule_name: str,
    patch: Mapping[str, Any],
    *,
    functions: Functions,
) -> tuple[TenantMetadata, ValidationRuleState]:
    """Change a rule's expression, message, field, activity or name.

    Raises:
        NotFound, MetadataError.
    """
    obj = require_object(state, object_name)
    rule = require_rule(obj, rule_name)
    merged = {**rule.definition.model_dump(), **patch}
    parsed = parse_body(ValidationRuleDef, merged)
    if parsed.value is None or parsed.problems:
        raise MetadataError("the change is not valid", problems=parsed.problems)
    definition = parsed.value
    _check(definition, obj=obj, state=state, functions=functions, own=rule)
    updated = rule.model_copy(update={"definition": definition})
    rules = [updated if r.id == rule.id else r for r in obj.validation_rules]
    return replace_object(state, _with_rules(obj, rules)), updated


def delete_rule(
    state: TenantMetadata, object_name: str, rule_name: str
) -> tuple[TenantMetadata, ValidationRuleState]:
    """Remove a rule (it holds no data, so it goes at once).

    Raises:
        NotFound.
    """
    obj = require_object(state, object_name)
    rule = require_rule(obj, rule_name)
    rules = [r for r in obj.validation_rules if r.id != rule.id]
    return replace_object(state, _with_rules(obj, rules)), rule
