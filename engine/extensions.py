"""The extension surface: where expression functions come from, and the after-write hook.

Tessera's own function library and third-party packages register the same way: a
plugin is any object with a `register(registry)` method, published under the
entry-point group `tessera.plugins`. `load_extensions()` loads every installed plugin
into a fresh registry; the engine context owns it for the life of the process.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

# What plugins need from the expression engine, re-exported: plugins import only this module.
from engine.expressions.evaluation_context import EvaluationContext, ExpressionTimeout, RecordSource
from engine.expressions.example_records import EXAMPLE_ACCOUNT, EXAMPLE_OTHER_ACCOUNT
from engine.expressions.kinds import Kind
from engine.expressions.operators import describe_value
from engine.expressions.patterns import PatternRefused, compile_pattern

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from engine.context import RequestContext

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tessera.plugins"

Function = TypeVar("Function", bound=Callable[..., Any])

#: Checks an argument written as a literal when the expression is saved: the problem, or None.
LiteralCheck = Callable[[Any], "str | None"]


class Usage(StrEnum):
    """Where an expression is used; some functions only make sense in some places."""

    FORMULA = "formula"
    DEFAULT = "default"
    VALIDATION = "validation"
    CONDITION = "condition"


ALL_USAGES = frozenset(Usage)


@dataclass(frozen=True)
class Example:
    """An expression, the record it is evaluated on, and the result it gives (tested).

    `prior` holds the stored values before the save; None means the record is new.
    """

    expression: str
    result: Any
    record: Mapping[str, Any] = field(default_factory=dict)
    prior: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ObjectQuery:
    """Which arguments of a cross-object function name the object, its fields and the filter.

    The engine checks these against the tenant's metadata when the expression is saved,
    refuses to delete what they use, and rewrites them when the object or a field is renamed.
    """

    object: int
    fields: tuple[int, ...] = ()
    filter: int | None = None


@dataclass(frozen=True)
class LibraryFunction:
    """A function expressions may call.

    Attributes:
        name: the name expressions call it by (upper case).
        implementation: the Python callable; with `needs_context` it receives the
            `EvaluationContext` first, before the expression's arguments.
        category: the heading it is listed under in docs/expressions.md.
        summary: one line saying what it does.
        description: the rest of its docstring.
        minimum, maximum: how many arguments it takes (maximum None: any number).
        returns: the kind of value it returns, for save-time type checks.
        examples: expressions with their results; each is run by the test suite.
        needs_context: whether it reads the save (prior values, user, clock, records).
        field_arguments: positions of arguments that name a field of the record
            (ISCHANGED(amount) receives "amount", not the amount).
        usages: where it may be used.
        is_costly: whether it checks the evaluation's deadline itself.
        queries: for cross-object functions, where their object, fields and filter are.
        literal_checks: by argument position, checks of an argument written as a literal,
            run when the expression is saved (REGEX refuses a bad pattern there).
    """

    name: str
    implementation: Callable[..., Any]
    category: str
    summary: str
    description: str
    minimum: int
    maximum: int | None
    returns: Kind
    examples: tuple[Example, ...]
    needs_context: bool = False
    field_arguments: tuple[int, ...] = ()
    usages: frozenset[Usage] = ALL_USAGES
    is_costly: bool = False
    queries: ObjectQuery | None = None
    literal_checks: Mapping[int, LiteralCheck] = field(default_factory=dict)


def library_function(
    *,
    category: str,
    returns: Kind,
    examples: Iterable[Example | tuple[str, Any] | tuple[str, Any, Mapping[str, Any]]],
    name: str | None = None,
    needs_context: bool = False,
    field_arguments: tuple[int, ...] = (),
    usages: Iterable[Usage] = ALL_USAGES,
    is_costly: bool = False,
    queries: ObjectQuery | None = None,
    literal_checks: Mapping[int, LiteralCheck] | None = None,
) -> Callable[[Function], Function]:
    """Describe a Python function as a library function (read back by `describe_function`).

    The name defaults to the Python name; the arity comes from the signature
    (a `*args` parameter means any number); the summary and description from the
    docstring. With `needs_context`, the first parameter receives the context.
    """

    def decorate(implementation: Function) -> Function:
        implementation.__tessera_function__ = _describe(  # type: ignore[attr-defined]
            implementation,
            name=name or implementation.__name__,
            category=category,
            returns=returns,
            examples=tuple(_example(item) for item in examples),
            needs_context=needs_context,
            field_arguments=field_arguments,
            usages=frozenset(usages),
            is_costly=is_costly,
            queries=queries,
            literal_checks=dict(literal_checks or {}),
        )
        return implementation

    return decorate


def _example(item: Example | tuple[Any, ...]) -> Example:
    return item if isinstance(item, Example) else Example(*item)


def _describe(
    implementation: Callable[..., Any], *, name: str, needs_context: bool, **options: Any
) -> LibraryFunction:
    parameters = list(inspect.signature(implementation).parameters.values())
    if needs_context:
        parameters = parameters[1:]
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    is_variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    required = [p for p in positional if p.default is p.empty]
    doc = inspect.cleandoc(implementation.__doc__ or "")
    summary, _, description = doc.partition("\n")
    if not summary:
        raise ValueError(f"library function {name} needs a docstring")
    return LibraryFunction(
        name=name,
        implementation=implementation,
        summary=summary.strip(),
        description=description.strip(),
        minimum=len(required),
        maximum=None if is_variadic else len(positional),
        needs_context=needs_context,
        **options,
    )


def describe_function(implementation: Callable[..., Any]) -> LibraryFunction:
    """Return what `@library_function` recorded about `implementation`.

    Raises:
        ValueError: it was not decorated.
    """
    described = getattr(implementation, "__tessera_function__", None)
    if not isinstance(described, LibraryFunction):
        raise ValueError(f"{implementation!r} is not a @library_function")
    return described


class DuplicateFunction(ValueError):
    """Two plugins register a function under the same name."""


class Registry:
    """The functions expressions may call, filled by plugins at start-up."""

    def __init__(self) -> None:
        self._functions: dict[str, LibraryFunction] = {}
        self._origins: dict[str, str] = {}
        self.loading = "the application"

    def add_function(self, implementation: Callable[..., Any]) -> None:
        """Register a `@library_function`.

        Raises:
            DuplicateFunction: a function of that name is already registered.
        """
        described = describe_function(implementation)
        if described.name in self._functions:
            raise DuplicateFunction(
                f"function {described.name} of {self.loading} is already "
                f"registered by {self._origins[described.name]}"
            )
        self._functions[described.name] = described
        self._origins[described.name] = self.loading

    def add_functions(self, implementations: Iterable[Callable[..., Any]]) -> None:
        """Register several `@library_function`s."""
        for implementation in implementations:
            self.add_function(implementation)

    @property
    def functions(self) -> Mapping[str, LibraryFunction]:
        """Every registered function by name."""
        return MappingProxyType(self._functions)

    def origin(self, name: str) -> str:
        """The plugin that registered `name`."""
        return self._origins[name]


class Plugin(Protocol):
    """What a package publishes under the `tessera.plugins` entry-point group."""

    def register(self, registry: Registry) -> None:
        """Add the plugin's functions to `registry`."""
        ...


def load_extensions(plugins: Iterable[tuple[str, Plugin]] | None = None) -> Registry:
    """Return a registry filled by `plugins`, or by every installed entry point of the group.

    Raises:
        DuplicateFunction: two plugins define the same function.
    """
    registry = Registry()
    for origin, plugin in installed_plugins() if plugins is None else plugins:
        before = len(registry.functions)
        registry.loading = origin
        plugin.register(registry)
        logger.debug(
            "plugin %s registered %d function(s)", origin, len(registry.functions) - before
        )
    return registry


def installed_plugins() -> list[tuple[str, Plugin]]:
    """Load the plugins published under `tessera.plugins`, Tessera's own first."""
    found = sorted(
        entry_points(group=ENTRY_POINT_GROUP),
        key=lambda point: (point.name != "tessera", point.name),
    )
    return [(f"plugin {point.name} ({point.value})", point.load()) for point in found]


class WriteOrigin(StrEnum):
    """What wrote a record that stage 9 of the save pipeline hands to the hooks."""

    #: The caller's own write: a create, update, upsert, import or delete.
    SAVE = "save"
    #: A roll-up or lookup formula that a save recomputed.
    CASCADE = "cascade"
    #: A master-detail (or `on_delete: cascade`) child deleted with its parent.
    PARENT_DELETED = "parent-deleted"
    #: A record whose lookup (`on_delete: set_null`) a deletion emptied, because the
    #: record it pointed at was deleted (or went with its parent).
    REFERENCE_CLEARED = "reference-cleared"
    #: A formula or roll-up rebuilt by the admin recalculate, and what that moved.
    RECALCULATE = "recalculate"
    #: Values a metadata change rewrote (a forced conversion, removed picklist values, a
    #: default filling empty values) and the formulas and roll-ups it recomputed.
    METADATA_CHANGE = "metadata-change"


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    """One record a save changed, as stage 9 of the save pipeline hands it to hooks.

    Attributes:
        object: the object's api name.
        record_id: the record's id.
        before: its values by field api name (system columns too) before the save;
            None when the save created it.
        after: its values after the save; None when the save deleted it.
        changed: the fields whose values changed (every field on create and delete).
        is_cascaded: whether the engine changed it rather than the caller's own write
            (any origin but `save`).
        origin: what wrote it (see `WriteOrigin`); `save` unless the engine did.
    """

    object: str
    record_id: UUID
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changed: frozenset[str]
    is_cascaded: bool = False
    origin: WriteOrigin = WriteOrigin.SAVE

    def __post_init__(self) -> None:
        # Records built before `origin` existed say only `is_cascaded=True`.
        if self.is_cascaded and self.origin is WriteOrigin.SAVE:
            object.__setattr__(self, "origin", WriteOrigin.CASCADE)
        elif self.origin is not WriteOrigin.SAVE:
            object.__setattr__(self, "is_cascaded", True)


class AfterWriteHook(Protocol):
    """Stage 9 of the save pipeline: runs after every write, in the save's transaction.

    Workflows and field history plug in here. A hook receives every record whose stored
    values the save changed, once per save: the caller's, those the cascade recomputed,
    children deleted with their parent, records whose lookups a deletion emptied. The
    admin recalculate and metadata changes that rewrite stored values run the hooks the
    same way; `WrittenRecord.origin` tells them apart. A hook may write records with
    `engine.records.RecordWriter` on `connection`, whose saves run the hooks in turn (up
    to a fixed depth). Raising a `TesseraError` rolls the whole save (or change) back.
    """

    def __call__(
        self, connection: Connection, context: RequestContext, records: Sequence[WrittenRecord]
    ) -> None:
        """React to the records one save wrote."""
        ...


__all__ = [
    "ALL_USAGES",
    "ENTRY_POINT_GROUP",
    "EXAMPLE_ACCOUNT",
    "EXAMPLE_OTHER_ACCOUNT",
    "AfterWriteHook",
    "DuplicateFunction",
    "EvaluationContext",
    "Example",
    "ExpressionTimeout",
    "Kind",
    "LibraryFunction",
    "ObjectQuery",
    "PatternRefused",
    "Plugin",
    "RecordSource",
    "Registry",
    "Usage",
    "WriteOrigin",
    "WrittenRecord",
    "compile_pattern",
    "describe_function",
    "describe_value",
    "installed_plugins",
    "library_function",
    "load_extensions",
]
