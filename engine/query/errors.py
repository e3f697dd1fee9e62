"""Errors of the query language."""

from __future__ import annotations

from engine.errors import Problem, TesseraError


class InvalidQuery(TesseraError):
    """A filter, sort, field list, expand, cursor or query parameter Tessera cannot apply.

    Its own family, not a kind of `RecordValidationError`: a query is not a record, and
    code that handles refused records must never take a refused query for one.
    """

    code = "invalid-query"
    status = 422
    title = "Invalid query"


def invalid(pointer: str, code: str, message: str) -> InvalidQuery:
    """Return an `InvalidQuery` with one located problem."""
    return InvalidQuery(message, problems=[Problem(pointer, code, message)])
