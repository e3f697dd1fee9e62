"""Changes of the component kinds stored beside objects (roles, groups, permission sets, …).

Every kind is changed the same way: a body checked as the kind's model, then by the kind's
own check against the whole metadata (one 422 lists every problem), then planned and
applied by `run_change` (a revision, a dry run, one transaction). A kind describes itself
once as a `ComponentKindSpec`; the commands here serve every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.engine import Connection
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
#: What a kind's rename carries along in the other components that name it (pure):
#: `(state, old_name, new_name)` → the state with their references renamed.
FollowRename = Callable[[TenantMetadata, str, str], TenantMetadata]


@dataclass(frozen=True)
class ComponentChange:
    """One component of a kind added, changed or removed, seen in the change's transaction.

    Attributes:
        connection: the change's connection (its transaction is open).
        tenant_id: the tenant changed.
        old: the metadata before the change; `new`, after it.
        before: the component before (None: added); `after`, after it (None: removed).
    """

    connection: Connection
    tenant_id: UUID
    old: TenantMetadata
    new: TenantMetadata
    before: ComponentState | None
    after: ComponentState | None

    @property
    def is_renamed(self) -> bool:
        """Whether the component kept its id under another name."""
        return (
            self.before is not None
            and self.after is not None
            and self.before.api_name != self.after.api_name
        )


#: A kind's check of a change against the tenant's data (its users), in the change's
#: transaction: raises to refuse it, and may write what follows from it (renamed
#: references in users).
Guard = Callable[[ComponentChange], None]


def render_component(component: ComponentState) -> dict[str, Any]:
    """A component in its API shape."""
    return dict(component.definition)


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
        follow_rename: carries a rename along in the components that name this one.
        guard: checks each change of a component of this kind against the tenant's data.
        render: the API shape of a component (its definition, unless the kind adds to it).
        normalize: the definition as stored, from the one given (a kind whose keys imply
            others writes them out, so what is stored and answered says what it grants).
    """

    kind: ComponentKind
    model: type[BaseModel]
    noun: str
    check: Check
    per_object: bool = False
    is_named: bool = True
    follow_rename: FollowRename | None = None
    guard: Guard | None = None
    render: Callable[[ComponentState], dict[str, Any]] = render_component
    normalize: Callable[[Any], BaseModel] | None = None


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
    if spec.normalize is not None:
        definition = spec.normalize(definition)
    own = (
        require_component(state, spec, name, object_name=object_name)
        if must_exist and name is not None
        else (state.find_component(spec.kind, name, object_id=object_id) if name else None)
    )
    _checked(state, spec, definition, object_id=object_id, own=own)
    state = _followed(state, spec, own, getattr(definition, "api_name", spec.kind.value))
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


def _followed(
    state: TenantMetadata, spec: ComponentKindSpec, before: ComponentState | None, after: str
) -> TenantMetadata:
    """`state` with a rename of `before` to `after` carried along, where the kind does."""
    if spec.follow_rename is None or before is None or before.api_name == after:
        return state
    return spec.follow_rename(state, before.api_name, after)


def _guard(
    context: RequestContext, spec: ComponentKindSpec
) -> Callable[[Connection, TenantMetadata, TenantMetadata], None] | None:
    """The change's guard: the kind's own, run on each of its components that changed."""
    guard = spec.guard
    if guard is None:
        return None

    def run(connection: Connection, old: TenantMetadata, new: TenantMetadata) -> None:
        before = {c.id: c for c in old.components_of(spec.kind)}
        after = {c.id: c for c in new.components_of(spec.kind)}
        for key in [*before, *(k for k in after if k not in before)]:
            was, now = before.get(key), after.get(key)
            if was != now:
                guard(
                    ComponentChange(
                        connection=connection,
                        tenant_id=context.tenant.id,
                        old=old,
                        new=new,
                        before=was,
                        after=now,
                    )
                )

    return run


def list_components(
    context: RequestContext, spec: ComponentKindSpec, *, object_name: str | None = None
) -> list[dict[str, Any]]:
    """The components of a kind (of one object), in their API shape."""
    state = tenant_catalog(context).metadata_state
    object_id = _object_id(state, spec, object_name)
    return [spec.render(c) for c in state.components_of(spec.kind, object_id=object_id)]


def get_component(
    context: RequestContext, spec: ComponentKindSpec, name: str, *, object_name: str | None = None
) -> dict[str, Any]:
    """One component in its API shape.

    Raises:
        NotFound: there is no such component.
    """
    state = tenant_catalog(context).metadata_state
    return spec.render(require_component(state, spec, name, object_name=object_name))


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
        render=spec.render,
        dry_run=dry_run,
        guard=_guard(context, spec),
    )


@dataclass(frozen=True)
class NewComponent:
    """A component to add in `add_components`: its kind, its body (a dict or the kind's
    model) and, for a per-object kind, its object."""

    spec: ComponentKindSpec
    body: Any
    object_name: str | None = None


@dataclass(frozen=True)
class _Added:
    spec: ComponentKindSpec
    component: ComponentState


def _add(state: TenantMetadata, item: NewComponent) -> tuple[TenantMetadata, ComponentState]:
    """`state` with `item` added, checked as `save_component` checks a new component."""
    return checked_body(
        parse_body(item.spec.model, item.body),
        lambda inner, definition: put_component(
            inner, item.spec, definition, object_name=item.object_name
        ),
    )(state)


def add_components(
    context: RequestContext,
    components: Sequence[NewComponent],
    *,
    summary: str,
    dry_run: bool = False,
) -> ChangeResult:
    """Add several components, of any kinds, as one change: one revision, all or nothing.

    Each is checked as `save_component` checks it, against the metadata the ones before
    it leave (a role may name as its parent a role added earlier in the list); the guard
    of each kind runs once, over all its components. The plan's operations name every
    component added; `result` is `{"components": [...]}`, each in its API shape.

    Raises:
        InvalidRequest, MetadataError, NotFound: a body is refused (its problems point
            inside that body); nothing is written.
    """

    def mutate(state: TenantMetadata) -> tuple[TenantMetadata, list[_Added]]:
        added = []
        for item in components:
            state, component = _add(state, item)
            added.append(_Added(item.spec, component))
        return state, added

    specs = {item.spec.kind: item.spec for item in components}
    guards = [guard for guard in map(partial(_guard, context), specs.values()) if guard]

    def guard_all(connection: Connection, old: TenantMetadata, new: TenantMetadata) -> None:
        for guard in guards:
            guard(connection, old, new)

    return run_change(
        context,
        summary=summary,
        mutate=mutate,
        render=lambda added: {"components": [a.spec.render(a.component) for a in added]},
        dry_run=dry_run,
        guard=guard_all,
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
        shown = spec.render(own)
        # Keys the API shows but a definition does not hold (a group's `id`) may come back
        # unchanged, as a client sends back what it read.
        sent = {k: v for k, v in patch.items() if k in own.definition or shown.get(k) != v}
        parsed = parse_body(spec.model, {**own.definition, **sent})
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
        render=spec.render,
        dry_run=dry_run,
        guard=_guard(context, spec),
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
        render=spec.render,
        dry_run=dry_run,
        guard=_guard(context, spec),
    )
