"""Which computed fields, defaults and rules read a field: the dependencies of one field.

Deleting a field that something reads is refused with this list; a metadata change that
rewrites a field's stored values recomputes the formulas and roll-ups on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.catalog.expression_references import FieldUser, expression_sites, references
from engine.catalog.rules import rollup_link_field
from engine.expressions import FunctionSignature
from engine.query.filter_keys import filter_fields
from metadata.models import TenantMetadata


def field_users(
    state: TenantMetadata,
    object_name: str,
    field_name: str,
    functions: Mapping[str, FunctionSignature],
) -> list[FieldUser]:
    """The expressions and roll-ups of `state` that read a field.

    An expression reads it by name, through a lookup path (`account.industry`) or in a
    cross-object function; a roll-up aggregates it, filters on it, or follows it to
    its parent.
    """
    users: list[FieldUser] = [
        site
        for site in expression_sites(state)
        if any(
            ref.object == object_name and ref.field == field_name
            for ref in references(state, site, functions)
        )
    ]
    for obj in state.live_objects:
        for field in obj.live_fields:
            rollup = field.definition.rollup
            if rollup is None or rollup.child != object_name:
                continue
            child = state.find_object(object_name)
            link = rollup_link_field(child, obj.api_name, link=rollup.link) if child else None
            if (
                field_name == rollup.field
                or field_name in filter_fields(rollup.filter or {})
                or (link is not None and link.api_name == field_name)
            ):
                users.append(FieldUser(obj.api_name, "roll-up", field.api_name))
    return users
