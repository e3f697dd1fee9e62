"""Errors of the query language."""

from __future__ import annotations

from engine.errors import Problem, RecordValidationError


class InvalidQuery(RecordValidationError):
    """A filter, sort, field list, expand or cursor the engine cannot apply."""

    code = "invalid-query"
    title = "Invalid query"


def invalid(pointer: str, code: str, message: str) -> InvalidQuery:
    """Return an `InvalidQuery` with one located problem."""
    return InvalidQuery(message, problems=[Problem(pointer, code, message)])
