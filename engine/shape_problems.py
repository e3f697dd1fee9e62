"""Say what is wrong with the shape of a request, in Tessera's words.

Pydantic checks the shape of admin bodies and query parameters. Its messages ("Input
should be a valid integer", "Extra inputs are not permitted") speak of Python, not of
the request: every one of its errors is turned into a `Problem` here, and nowhere else,
with a code of Tessera's vocabulary, the key it is about and what to send instead. A
key missing from a body is `missing-key`: `required` is a record's missing value, which
only the save pipeline's required check reports.

`parse_body` validates a body leniently: what the shape check refuses is left out, so
the metadata checks can still look at the rest and one answer lists every problem.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from engine.errors import Problem
from engine.suggestions import did_you_mean
from metadata.models import FIELD_TYPE_SYNONYMS, FieldType

Model = TypeVar("Model", bound=BaseModel)

#: How much of a refused value a message repeats.
_ECHO_LENGTH = 40

#: What other systems call the choices of an enum, for its "did you mean" hints.
_CHOICE_SYNONYMS: dict[type[enum.Enum], Mapping[str, str]] = {
    FieldType: {name: str(field_type) for name, field_type in FIELD_TYPE_SYNONYMS.items()},
}

#: What a value of each pydantic type family should have been.
_EXPECTED = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "bool": "true or false",
    "dict": "a JSON object",
    "model": "a JSON object",
    "list": "a list",
    "tuple": "a list",
    "set": "a list",
    "uuid": "an id (a UUID)",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date-time (ISO 8601)",
    "url": "a URL",
}


def shape_problems(
    errors: Iterable[Mapping[str, Any]],
    *,
    model: Any = None,
    pointer: str = "",
) -> list[Problem]:
    """Return pydantic's `errors` as problems, one per place, in Tessera's words.

    `model` is the type that was validated (a pydantic model, possibly inside a union or
    a list): it tells union members from keys and lists the keys an unknown one could
    have meant. `pointer` is prefixed to every problem's pointer.
    """
    places: dict[str, list[tuple[Mapping[str, Any], _Location]]] = {}
    for error in errors:
        where = _locate(model, tuple(error.get("loc", ())))
        at = pointer + "".join(f"/{_segment(part)}" for part in where.path)
        places.setdefault(at, []).append((error, where))
    problems = []
    for at, found in places.items():
        error, where = found[0]
        expected = [_expected(str(e.get("type", ""))) for e, _ in found]
        if len(found) > 1 and all(expected):
            # Each member of a union refuses the value: one problem says what would fit.
            problems.append(_wrong_type(at, where, [e for e in expected if e], error.get("input")))
        else:
            problems.append(_problem(error, at, where))
    return problems


@dataclass(frozen=True)
class ParsedBody(Generic[Model]):
    """A body checked leniently: what validated, what did not, and what was left out.

    Attributes:
        value: the body as the model, its refused parts left out; None when even that
            does not validate (a required key is missing or refused).
        problems: the shape problems, in Tessera's words.
        left_out: pointers of the parts left out of `value`; problems the metadata checks
            find there are about the refused value and are not repeated.
    """

    value: Model | None
    problems: list[Problem] = field(default_factory=list)
    left_out: tuple[str, ...] = ()

    def without_repeats(self, problems: Iterable[Problem]) -> list[Problem]:
        """Return `problems` less those about a part the shape check already refused."""
        return [
            problem
            for problem in problems
            if not any(
                problem.pointer == gone or problem.pointer.startswith(f"{gone}/")
                for gone in self.left_out
            )
        ]


def parse_body(model: type[Model], body: Any) -> ParsedBody[Model]:
    """Validate `body` as `model`, leaving out the parts it refuses (see `ParsedBody`)."""
    if isinstance(body, model):
        return ParsedBody(value=body)
    try:
        return ParsedBody(value=model.model_validate(body))
    except ValidationError as exc:
        errors = exc.errors()
    problems = shape_problems(errors, model=model)
    if not isinstance(body, Mapping):
        return ParsedBody(value=None, problems=problems)
    rest, left_out = _without_refused(body, errors, model)
    try:
        value = model.model_validate(rest)
    except ValidationError:
        return ParsedBody(value=None, problems=problems)
    return ParsedBody(value=value, problems=problems, left_out=left_out)


def _without_refused(
    body: Mapping[str, Any], errors: Sequence[Mapping[str, Any]], model: Any
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Return a copy of `body` without the keys holding refused values, and their pointers.

    A refused key inside a list item goes, the item stays. A refused list item takes its
    whole list with it: dropping the item alone would renumber the items after it, and
    problems found there would point at the wrong one.
    """
    rest: dict[str, Any] = _copy(body)
    left_out: list[str] = []
    for error in errors:
        if error.get("type") == "missing":
            continue
        path = list(_locate(model, tuple(error.get("loc", ()))).path)
        while path and isinstance(path[-1], int):
            path.pop()
        if not path:
            continue
        container: Any = rest
        for part in path[:-1]:
            if isinstance(container, dict):
                container = container.get(part)
            elif isinstance(container, list) and isinstance(part, int) and part < len(container):
                container = container[part]
            else:
                container = None
        if isinstance(container, dict) and path[-1] in container:
            del container[path[-1]]
            left_out.append("".join(f"/{_segment(part)}" for part in path))
    return rest, tuple(left_out)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


@dataclass(frozen=True)
class _Location:
    """Where an error is: its path without union members, and what the types say there."""

    path: tuple[str | int, ...]
    #: The models whose keys the last key could have been (for an unknown key).
    models: tuple[type[BaseModel], ...] = ()
    #: The type expected at the place (for the choices of an enum).
    expected: Any = None


def _locate(model: Any, loc: tuple[Any, ...]) -> _Location:
    """Follow `loc` through the types of `model`, dropping the names of union members."""
    path: list[str | int] = []
    current: Any = model
    parents: tuple[type[BaseModel], ...] = ()
    for part in loc:
        options = _options(current)
        if isinstance(part, int):
            sequences = [o for o in options if get_origin(o) in (list, tuple, set, frozenset)]
            current = get_args(sequences[0])[0] if sequences and get_args(sequences[0]) else None
            path.append(part)
            continue
        models = tuple(o for o in options if isinstance(o, type) and issubclass(o, BaseModel))
        owner = next((m for m in models if part in m.model_fields), None)
        if owner is not None:
            parents = models
            current = owner.model_fields[part].annotation
            path.append(part)
            continue
        mappings = [o for o in options if get_origin(o) is dict or o is dict]
        if mappings:
            arguments = get_args(mappings[0])
            current = arguments[1] if len(arguments) == 2 else None
            path.append(part)
            continue
        if len(options) > 1:
            # A union reports each member's refusal under the member's name: not a key.
            continue
        # A key no model has (an unknown key), or a place the types do not describe.
        parents = models
        current = None
        path.append(str(part))
    return _Location(path=tuple(path), models=parents, expected=current)


def _options(annotation: Any) -> list[Any]:
    """The types a value may have under `annotation` (unions and `Annotated` unwrapped)."""
    if annotation is None:
        return []
    origin = get_origin(annotation)
    if origin is Annotated:
        return _options(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [
            option
            for argument in get_args(annotation)
            if argument is not type(None)
            for option in _options(argument)
        ]
    return [annotation]


def _segment(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _problem(error: Mapping[str, Any], pointer: str, where: _Location) -> Problem:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    label = _label(where)
    value = error.get("input")
    if kind == "missing":
        if not where.path:
            return Problem(pointer, "missing-key", "the body is missing: send a JSON object")
        return Problem(pointer, "missing-key", f"{label} is required")
    if kind == "extra_forbidden":
        return Problem(pointer, "unknown-key", _unknown_key(str(where.path[-1]), where.models))
    if kind in ("enum", "literal_error"):
        return Problem(pointer, "invalid-choice", f"{label}: {_choices(value, where, context)}")
    if kind in ("string_too_short", "too_short"):
        least = context.get("min_length", 1)
        what = "characters" if kind.startswith("string") else "items"
        needs = "cannot be empty" if least == 1 else f"needs at least {least} {what}"
        return Problem(pointer, "too-short", f"{label} {needs}")
    if kind in ("string_too_long", "too_long"):
        what = "characters" if kind.startswith("string") else "items"
        return Problem(
            pointer, "too-long", f"{label} is at most {context.get('max_length')} {what}"
        )
    bound = _BOUNDS.get(kind)
    if bound is not None:
        word, key = bound
        return Problem(pointer, "out-of-range", f"{label} must be {word} {context.get(key)}")
    if kind in ("value_error", "assertion_error"):
        # Our own validators' messages: already in Tessera's words.
        reason = context.get("error")
        return Problem(pointer, "invalid-value", f"{label}: {reason or 'not a valid value'}")
    expected = _expected(kind)
    if expected is not None:
        return _wrong_type(pointer, where, [expected], value)
    return Problem(pointer, "invalid-value", f"{label}: {_echo(value)} is not accepted here")


def _wrong_type(pointer: str, where: _Location, expected: list[str], value: Any) -> Problem:
    alternatives = list(dict.fromkeys(expected))
    if "a number" in alternatives and "a whole number" in alternatives:
        alternatives.remove("a whole number")
    wanted = " or ".join(alternatives)
    return Problem(pointer, "wrong-type", f"{_label(where)}: expected {wanted}, got {_echo(value)}")


def _label(where: _Location) -> str:
    """How a message names the place: its path in the body, or the body itself."""
    return "/".join(str(part) for part in where.path) or "the body"


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("greater than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def _expected(kind: str) -> str | None:
    for prefix, expected in _EXPECTED.items():
        if kind == prefix or kind.startswith(f"{prefix}_"):
            return expected
    return None


def _unknown_key(name: str, models: Sequence[type[BaseModel]]) -> str:
    known = list(dict.fromkeys(key for model in models for key in model.model_fields))
    if not known:
        return f"unknown key {name!r}"
    hint = did_you_mean(name, known)
    if hint:
        return f"unknown key {name!r}{hint}"
    return f"unknown key {name!r}; the keys here are: {', '.join(known)}"


def _choices(value: Any, where: _Location, context: Mapping[str, Any]) -> str:
    enums = [
        o for o in _options(where.expected) if isinstance(o, type) and issubclass(o, enum.Enum)
    ]
    choices = [str(member.value) for option in enums for member in option]
    if not choices:
        # No type to read them from (a query parameter): the validator lists them quoted.
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
    if not choices:
        return f"{_echo(value)} is not an allowed value"
    synonyms = {key: meant for e in enums for key, meant in _CHOICE_SYNONYMS.get(e, {}).items()}
    hint = did_you_mean(value, choices, synonyms=synonyms) if isinstance(value, str) else ""
    return f"{_echo(value)} is not a choice here{hint} (choices: {', '.join(choices)})"


def _echo(value: Any) -> str:
    """A refused value as a message repeats it: JSON's words, cut short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        # FastAPI hands over a body whose content type is not JSON as it came.
        return "a body that is not sent as JSON (send it with Content-Type: application/json)"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _ECHO_LENGTH else f"{text[: _ECHO_LENGTH - 1]}…"
