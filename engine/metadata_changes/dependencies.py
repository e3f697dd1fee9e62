"""Which expressions and roll-ups use a field or an object, and rewriting them on renames.

Deleting a referenced field is refused with the list of its users; renaming one
rewrites exactly the spans that name it (see `expression_references`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from engine.catalog.expression_references import (
    OBJECT,
    FieldUser,
    expression_sites,
    references,
    rewrite_spans,
)
from engine.catalog.field_users import field_users
from engine.expressions import FunctionSignature
from engine.query.filter_keys import filter_fields, map_filter_keys
from metadata.models import FieldType, TenantMetadata, default_expression


def users_of_field(
    state: TenantMetadata,
    object_name: str,
    field_name: str,
    functions: Mapping[str, FunctionSignature],
) -> list[str]:
    """Descriptions of the expressions and roll-ups that use a field (its value, or as a link).

    Inactive validation rules count too: they could not be switched on again without it.
    """
    return [
        user.describe()
        for user in field_users(state, object_name, field_name, functions)
        if user.kind != "roll-up" or _aggregates(state, user, field_name)
    ]


def _aggregates(state: TenantMetadata, user: FieldUser, field_name: str) -> bool:
    """Whether roll-up `user` aggregates, filters on or names `field_name` as its `link`.

    A roll-up that follows the field only by default (the first lookup to its parent)
    follows the next one when it goes, so it does not hold the field.
    """
    parent = state.find_object(user.object)
    field = parent.find_field(user.name) if parent else None
    rollup = field.definition.rollup if field else None
    return rollup is not None and (
        field_name in (rollup.field, rollup.link)
        or field_name in filter_fields(rollup.filter or {})
    )


def users_of_object(
    state: TenantMetadata, object_name: str, functions: Mapping[str, FunctionSignature]
) -> list[str]:
    """Descriptions of expressions of other objects whose cross-object functions name it."""
    return [
        site.describe()
        for site in expression_sites(state)
        if site.is_active
        and site.object != object_name
        and any(
            ref.object == object_name and ref.field == OBJECT
            for ref in references(state, site, functions)
        )
    ]


def rename_filter_keys(document: Mapping[str, object], old: str, new: str) -> dict[str, object]:
    """Return a filter with keys naming field `old` (or paths starting with it) renamed."""
    return map_filter_keys(document, lambda head: new if head == old else head)


SiteKey = tuple[str, str, str]


def renamed_sources(
    state: TenantMetadata,
    functions: Mapping[str, FunctionSignature],
    *,
    object_name: str,
    old: str,
    new: str,
) -> dict[SiteKey, str]:
    """New texts of the expressions naming field `old` of `object_name` (OBJECT: the object).

    Computed on the state before the rename, keyed by (object, kind, name) there.
    """
    rewritten: dict[SiteKey, str] = {}
    for site in expression_sites(state):
        spans = [
            (ref.start, ref.end)
            for ref in references(state, site, functions)
            if ref.object == object_name and ref.field == old
        ]
        if spans:
            rewritten[(site.object, site.kind, site.name)] = rewrite_spans(site.source, spans, new)
    return rewritten


def apply_sources(state: TenantMetadata, sources: Mapping[SiteKey, str]) -> TenantMetadata:
    """Return `state` with the expressions of `sources` replaced."""
    if not sources:
        return state
    objects = []
    for obj in state.objects:
        fields = []
        for field in obj.fields:
            definition = field.definition
            formula = sources.get((obj.api_name, "formula", field.api_name))
            if formula is not None and not field.is_deleted:
                definition = definition.model_copy(update={"expression": formula})
            default = sources.get((obj.api_name, "default", field.api_name))
            if default is not None and not field.is_deleted:
                definition = definition.model_copy(update={"default": {"expression": default}})
            fields.append(field.model_copy(update={"definition": definition}))
        rules = []
        for rule in obj.validation_rules:
            source = sources.get((obj.api_name, "validation rule", rule.api_name))
            if source is not None:
                definition_ = rule.definition.model_copy(update={"expression": source})
                rule = rule.model_copy(update={"definition": definition_})
            rules.append(rule)
        objects.append(
            obj.model_copy(update={"fields": tuple(fields), "validation_rules": tuple(rules)})
        )
    return state.model_copy(update={"objects": tuple(objects)})


def describe_rewrites(old: TenantMetadata, new: TenantMetadata) -> list[str]:
    """`rewrite formula deal.total: 'a * b' → 'a * c'` for each expression a change rewrote.

    Expressions are matched by the id of the component holding them, so a renamed
    formula field or rule is still compared with its former self.
    """
    before = _sources_by_id(old)
    lines = []
    for key, (label, source) in _sources_by_id(new).items():
        previous = before.get(key)
        if previous is not None and previous[1] != source:
            lines.append(f"rewrite {label}: {previous[1]!r} → {source!r}")
    return lines


def _sources_by_id(state: TenantMetadata) -> dict[tuple[str, str], tuple[str, str]]:
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for obj in state.live_objects:
        for field in obj.live_fields:
            definition = field.definition
            where = f"{obj.api_name}.{field.api_name}"
            if definition.type is FieldType.FORMULA and definition.expression:
                found[(str(field.id), "formula")] = (f"formula {where}", definition.expression)
            source = default_expression(definition)
            if source is not None:
                found[(str(field.id), "default")] = (f"default {where}", source)
            if definition.rollup is not None:
                found[(str(field.id), "roll-up")] = (
                    f"roll-up {where}",
                    json.dumps(definition.rollup.model_dump(mode="json", exclude_none=True)),
                )
        for rule in obj.validation_rules:
            found[(str(rule.id), "rule")] = (
                f"validation rule {obj.api_name}.{rule.api_name}",
                rule.definition.expression,
            )
    return found
