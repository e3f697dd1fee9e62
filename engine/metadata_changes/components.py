"""Changes of the component kinds stored beside objects (roles, groups, permission sets, …).

Every kind is changed the same way: a body checked as the kind's model, then by the kind's
own check against the whole metadata (one 422 lists every problem), then planned and
applied by `run_change` (a revision, a dry run, one transaction). A kind describes itself
once as a `ComponentKindSpec`; the commands here serve every kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from uuid_utils.compat import uuid7

from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.errors import MetadataError, NotFound, Problem, summarize
from engine.metadata_changes.commands import checked_body
from engine.metadata_changes.names import check_api_name
from engine.metadata_changes.service import ChangeResult, run_change
from engine.metadata_changes.state_edits import require_object
from engine.shape_problems import parse_body
from engine.suggestions import did_you_mean
from metadata.models import ComponentKind, ComponentState, TenantMetadata

#: A kind's own check of a definition against the metadata it joins: the problems found.
#: `own` is the component being changed (None for a new one).
Check = Callable[[TenantMetadata, Any, ComponentState | None], list[Problem]]


@dataclass(frozen=True)
class ComponentKindSpec:
    """How one component kind is checked and named.

    Attributes:
        kind: the stored kind.
        model: the pydantic model of its JSON shape.
        noun: how messages name one (`permission set`).
        check: the kind's own checks against the metadata (references, cycles).
        per_object: whether components of this kind belong to an object.
        is_named: whether components carry an `api_name` (a per-object singleton such as
            an object's sharing settings does not).
    """

    kind: ComponentKind
    model: type[BaseModel]
    noun: str
    check: Check
    per_object: bool = False
    is_named: bool = True


def _object_id(
    state: TenantMetadata, spec: ComponentKindSpec, object_name: str | None
) -> UUID | None:
    if not spec.per_object:
        return None
    assert object_name is not None, "a per-object kind needs its object"
    return require_object(state, object_name).id


def _where(spec: ComponentKindSpec, object_name: str | None) -> str:
    return f" of object {object_name!r}" if spec.per_object else ""


def require_component(
    state: TenantMetadata, spec: ComponentKindSpec, name: str, *, object_name: str | None = None
) -> ComponentState:
    """Return the component `name` of the kind.

    Raises:
        NotFound: there is no such component (or object).
    """
    object_id = _object_id(state, spec, object_name)
    component = state.find_component(spec.kind, name, object_id=object_id)
    if component is None:
        names = (c.api_name for c in state.components_of(spec.kind, object_id=object_id))
        raise NotFound(
            f"there is no {spec.noun} {name!r}{_where(spec, object_name)}"
            f"{did_you_mean(name, names)}",
            extra={"name": name},
        )
    return component


def _checked(
    state: TenantMetadata,
    spec: ComponentKindSpec,
    definition: BaseModel,
    *,
    object_id: UUID | None,
    own: ComponentState | None,
) -> None:
    name = getattr(definition, "api_name", spec.kind.value)
    problems: list[Problem] = []
    if spec.is_named:
        problems += check_api_name(name, pointer="/api_name", is_field=False)
        clash = state.find_component(spec.kind, name, object_id=object_id)
        if clash is not None and (own is None or clash.id != own.id):
            problems.append(
                Problem("/api_name", "name-taken", f"a {spec.noun} {name!r} already exists")
            )
    problems += spec.check(state, definition, own)
    if problems:
        raise MetadataError(f"{spec.noun} {name!r} is not valid", problems=problems)


def _replace(
    state: TenantMetadata, component: ComponentState, *, remove: bool = False
) -> TenantMetadata:
    kept = [c for c in state.components if c.id != component.id]
    if not remove:
        position = next(
            (i for i, c in enumerate(state.components) if c.id == component.id), len(kept)
        )
        kept.insert(position, component)
    return state.model_copy(update={"components": tuple(kept)})


def put_component(
    state: TenantMetadata,
    spec: ComponentKindSpec,
    definition: BaseModel,
    *,
    object_name: str | None = None,
    name: str | None = None,
    must_exist: bool = False,
) -> tuple[TenantMetadata, ComponentState]:
    """Add a component, or replace the one named `name` (its id stays: a rename is a rename).

    Raises:
        NotFound: `must_exist` and there is no component `name`.
        MetadataError: the definition does not fit the metadata.
    """
    object_id = _object_id(state, spec, object_name)
    own = (
        require_component(state, spec, name, object_name=object_name)
        if must_exist and name is not None
        else (state.find_component(spec.kind, name, object_id=object_id) if name else None)
    )
    _checked(state, spec, definition, object_id=object_id, own=own)
    component = ComponentState(
        id=own.id if own is not None else uuid7(),
        kind=spec.kind,
        api_name=getattr(definition, "api_name", spec.kind.value),
        object_id=object_id,
        definition=definition.model_dump(mode="json", exclude_none=True),
    )
    return _replace(state, component), component


def remove_component(
    state: TenantMetadata, spec: ComponentKindSpec, name: str, *, object_name: str | None = None
) -> tuple[TenantMetadata, ComponentState]:
    """Remove the component `name`.

    Raises:
        NotFound: there is no such component.
    """
    component = require_component(state, spec, name, object_name=object_name)
    return _replace(state, component, remove=True), component


def render_component(component: ComponentState) -> dict[str, Any]:
    """A component in its API shape."""
    return dict(component.definition)


def list_components(
    context: RequestContext, spec: ComponentKindSpec, *, object_name: str | None = None
) -> list[dict[str, Any]]:
    """The components of a kind (of one object), in their API shape."""
    state = tenant_catalog(context).metadata_state
    object_id = _object_id(state, spec, object_name)
    return [render_component(c) for c in state.components_of(spec.kind, object_id=object_id)]


def get_component(
    context: RequestContext, spec: ComponentKindSpec, name: str, *, object_name: str | None = None
) -> dict[str, Any]:
    """One component in its API shape.

    Raises:
        NotFound: there is no such component.
    """
    state = tenant_catalog(context).metadata_state
    return render_component(require_component(state, spec, name, object_name=object_name))


def save_component(
    context: RequestContext,
    spec: ComponentKindSpec,
    body: Any,
    *,
    name: str | None = None,
    object_name: str | None = None,
    must_exist: bool = False,
    dry_run: bool = False,
) -> ChangeResult:
    """Create a component from `body`, or replace the one named `name` with it.

    `must_exist` makes a missing `name` a 404 (a PUT of a named component); without it a
    missing one is created (an object's sharing settings).
    """
    parsed = parse_body(spec.model, body)
    shown = name or (str(body.get("api_name", "?")) if isinstance(body, dict) else spec.kind.value)
    verb = "change" if name is not None else "add"
    return run_change(
        context,
        summary=f"{verb} {spec.noun} {shown}{_where(spec, object_name)}",
        mutate=checked_body(
            parsed,
            lambda state, definition: put_component(
                state,
                spec,
                definition,
                object_name=object_name,
                name=name,
                must_exist=must_exist,
            ),
        ),
        render=render_component,
        dry_run=dry_run,
    )


def patch_component(
    context: RequestContext,
    spec: ComponentKindSpec,
    name: str,
    patch: Any,
    *,
    object_name: str | None = None,
    dry_run: bool = False,
) -> ChangeResult:
    """Change some keys of the component `name` (the keys `patch` sends)."""

    def mutate(state: TenantMetadata) -> tuple[TenantMetadata, ComponentState]:
        own = require_component(state, spec, name, object_name=object_name)
        if not isinstance(patch, dict):
            problem = Problem("", "invalid-type", f"send a JSON object of {spec.noun} keys")
            raise MetadataError(summarize([problem]), problems=[problem])
        parsed = parse_body(spec.model, {**own.definition, **patch})
        return checked_body(
            parsed,
            lambda inner, definition: put_component(
                inner, spec, definition, object_name=object_name, name=name, must_exist=True
            ),
        )(state)

    return run_change(
        context,
        summary=f"change {spec.noun} {name}{_where(spec, object_name)}",
        mutate=mutate,
        render=render_component,
        dry_run=dry_run,
    )


def delete_component(
    context: RequestContext,
    spec: ComponentKindSpec,
    name: str,
    *,
    object_name: str | None = None,
    dry_run: bool = False,
) -> ChangeResult:
    """Remove the component `name`."""
    return run_change(
        context,
        summary=f"delete {spec.noun} {name}{_where(spec, object_name)}",
        mutate=lambda state: remove_component(state, spec, name, object_name=object_name),
        render=render_component,
        dry_run=dry_run,
    )
