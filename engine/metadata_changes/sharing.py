"""The admin operations on sharing: object sharing settings, sharing rules, partner settings.

Each is a component change (`components.py`): checked, planned and applied by
`run_change`, so revisions and dry runs come with it, and `metadata_changed` brings the
sharing tables up to date in the change's transaction. Every operation needs the
`customize` system right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.access import require_system_right
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.errors import MetadataError, NotFound, Problem, summarize
from engine.metadata_changes.commands import checked_body
from engine.metadata_changes.components import (
    ComponentKindSpec,
    delete_component,
    get_component,
    list_components,
    patch_component,
    put_component,
    render_component,
    save_component,
)
from engine.metadata_changes.service import ChangeResult, run_change
from engine.metadata_changes.sharing_kinds import (
    PARTNER_SETTINGS,
    PARTNER_SETTINGS_KIND,
    SHARING_SETTINGS,
    sharing_rule_spec,
    sharing_settings_spec,
)
from engine.metadata_changes.state_edits import require_object
from engine.shape_problems import parse_body
from metadata.models import (
    ComponentKind,
    ComponentState,
    ObjectSharingDef,
    SystemRight,
    TenantMetadata,
)


def _customizer(context: RequestContext) -> None:
    require_system_right(context, tenant_catalog(context), SystemRight.CUSTOMIZE)


def _rules(context: RequestContext, object_name: str) -> ComponentKindSpec:
    return sharing_rule_spec(
        object_name, compiler=context.engine.expressions, dialect=context.engine.dialect_name
    )


# -- an object's sharing settings ----------------------------------------------------------


def get_sharing(context: RequestContext, object_name: str) -> dict[str, Any]:
    """An object's sharing settings; `private` until they are set.

    Raises:
        PermissionDenied: no `customize` right. NotFound: no such object.
    """
    _customizer(context)
    state = tenant_catalog(context).metadata_state
    obj = require_object(state, object_name)
    found = state.find_component(ComponentKind.OBJECT_SHARING, SHARING_SETTINGS, object_id=obj.id)
    if found is None:
        return ObjectSharingDef().model_dump(mode="json")
    return render_component(found)


def put_sharing(
    context: RequestContext, object_name: str, body: Any, *, dry_run: bool = False
) -> ChangeResult:
    """Set an object's sharing settings (a PUT: the body is the whole of them).

    Raises:
        PermissionDenied, NotFound, InvalidRequest, MetadataError.
    """
    _customizer(context)
    return _save_sharing(context, object_name, lambda _: body, dry_run=dry_run)


def patch_sharing(
    context: RequestContext, object_name: str, patch: Any, *, dry_run: bool = False
) -> ChangeResult:
    """Change some keys of an object's sharing settings (unset ones count as the default).

    Raises:
        PermissionDenied, NotFound, InvalidRequest, MetadataError.
    """
    _customizer(context)
    return _save_sharing(
        context,
        object_name,
        lambda current: _merged(current, patch, noun="sharing settings"),
        dry_run=dry_run,
    )


def _merged(current: dict[str, Any], patch: Any, *, noun: str) -> dict[str, Any]:
    """The keys a PATCH sends over the stored ones."""
    if not isinstance(patch, dict):
        problem = Problem("", "invalid-type", f"send a JSON object of {noun} keys")
        raise MetadataError(summarize([problem]), problems=[problem])
    return {**current, **patch}


def _save_sharing(
    context: RequestContext,
    object_name: str,
    body_of: Callable[[dict[str, Any]], Any],
    *,
    dry_run: bool,
) -> ChangeResult:
    return _save_singleton(
        context,
        sharing_settings_spec(object_name),
        body_of,
        object_name=object_name,
        summary=f"change sharing settings of object {object_name}",
        dry_run=dry_run,
    )


def _save_singleton(
    context: RequestContext,
    spec: ComponentKindSpec,
    body_of: Callable[[dict[str, Any]], Any],
    *,
    object_name: str | None,
    summary: str,
    dry_run: bool,
) -> ChangeResult:
    """Set an unnamed component (an object's or the tenant's only one of its kind) to the
    body `body_of` makes of its current definition (the model's defaults when unset)."""
    name = spec.kind.value

    def mutate(state: TenantMetadata) -> tuple[TenantMetadata, Any]:
        object_id = require_object(state, object_name).id if object_name else None
        found = state.find_component(spec.kind, name, object_id=object_id)
        current = dict(found.definition) if found else {}
        parsed = parse_body(spec.model, body_of(current))
        return checked_body(
            parsed,
            lambda inner, definition: put_component(
                inner, spec, definition, object_name=object_name, name=name
            ),
        )(state)

    return run_change(
        context, summary=summary, mutate=mutate, render=render_component, dry_run=dry_run
    )


# -- an object's sharing rules -------------------------------------------------------------


def list_sharing_rules(context: RequestContext, object_name: str) -> list[dict[str, Any]]:
    """An object's sharing rules."""
    _customizer(context)
    return list_components(context, _rules(context, object_name), object_name=object_name)


def get_sharing_rule(context: RequestContext, object_name: str, name: str) -> dict[str, Any]:
    """One sharing rule of an object."""
    _customizer(context)
    return get_component(context, _rules(context, object_name), name, object_name=object_name)


def save_sharing_rule(
    context: RequestContext,
    object_name: str,
    body: Any,
    *,
    name: str | None = None,
    dry_run: bool = False,
) -> ChangeResult:
    """Add a sharing rule (no `name`), or replace the rule `name` (a PUT: it must exist)."""
    _customizer(context)
    return save_component(
        context,
        _rules(context, object_name),
        body,
        name=name,
        object_name=object_name,
        must_exist=name is not None,
        dry_run=dry_run,
    )


def patch_sharing_rule(
    context: RequestContext, object_name: str, name: str, patch: Any, *, dry_run: bool = False
) -> ChangeResult:
    """Change some keys of a sharing rule."""
    _customizer(context)
    return patch_component(
        context, _rules(context, object_name), name, patch, object_name=object_name, dry_run=dry_run
    )


def delete_sharing_rule(
    context: RequestContext, object_name: str, name: str, *, dry_run: bool = False
) -> ChangeResult:
    """Remove a sharing rule (and the shares it made)."""
    _customizer(context)
    return delete_component(
        context, _rules(context, object_name), name, object_name=object_name, dry_run=dry_run
    )


# -- the tenant's partner settings ---------------------------------------------------------


def get_partner_settings(context: RequestContext) -> dict[str, Any]:
    """The tenant's partner settings.

    Raises:
        NotFound: none are set.
    """
    _customizer(context)
    return render_component(_partner_settings(context))


def _partner_settings(context: RequestContext) -> ComponentState:
    state = tenant_catalog(context).metadata_state
    found = state.find_component(ComponentKind.PARTNER_SETTINGS, PARTNER_SETTINGS)
    if found is None:
        raise NotFound(
            'the tenant has no partner settings; PUT {"object", "parent_field"} to name '
            "the object whose records are partner accounts"
        )
    return found


def put_partner_settings(
    context: RequestContext, body: Any, *, dry_run: bool = False
) -> ChangeResult:
    """Set the tenant's partner settings (the whole of them)."""
    _customizer(context)
    return _save_singleton(
        context,
        PARTNER_SETTINGS_KIND,
        lambda _: body,
        object_name=None,
        summary="change partner settings",
        dry_run=dry_run,
    )


def patch_partner_settings(
    context: RequestContext, patch: Any, *, dry_run: bool = False
) -> ChangeResult:
    """Change some keys of the tenant's partner settings.

    Raises:
        NotFound: none are set.
    """
    _customizer(context)
    _partner_settings(context)
    return _save_singleton(
        context,
        PARTNER_SETTINGS_KIND,
        lambda current: _merged(current, patch, noun="partner settings"),
        object_name=None,
        summary="change partner settings",
        dry_run=dry_run,
    )


def delete_partner_settings(context: RequestContext, *, dry_run: bool = False) -> ChangeResult:
    """Remove the partner settings: partner users see only what they own or is shared."""
    _customizer(context)
    _partner_settings(context)
    return delete_component(context, PARTNER_SETTINGS_KIND, PARTNER_SETTINGS, dry_run=dry_run)
