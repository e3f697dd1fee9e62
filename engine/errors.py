"""Typed errors of the engine; the HTTP layer maps them once to problem documents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from engine.suggestions import did_you_mean


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is (a JSON pointer), a stable code and what to do."""

    pointer: str
    code: str
    detail: str
    rule: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Return the problem as the `errors[]` entry of a problem document."""
        last = self.pointer.rsplit("/", 1)[-1] if self.pointer else ""
        # A record's position in a bulk body (`/3`) is not a field: api names start with a letter.
        field = "" if last.isdigit() else last
        entry = {"pointer": self.pointer, "field": field, "code": self.code, "message": self.detail}
        if self.rule is not None:
            entry["rule"] = self.rule
        return entry


def summarize(problems: list[Problem], *, default: str = "the request is not valid") -> str:
    """Return the `detail` of a document listing `problems`: the first, and how many more."""
    if not problems:
        return default
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0].detail}{more}"


class TesseraError(Exception):
    """Root of every error the engine raises on purpose."""

    code: ClassVar[str] = "tessera-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Tessera error"
    #: Seconds a client waits before sending the request again (the `Retry-After` header),
    #: for errors that a second try can get past; None for the others. A class says it for
    #: all its errors; an error that knows better (a lockout's end) sets its own.
    retry_after: int | None = None

    def __init__(
        self,
        detail: str,
        *,
        problems: list[Problem] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        self.extra = extra or {}


class MetadataError(TesseraError):
    """Metadata that breaks a rule: bad names, options that do not fit a type, bad references."""

    code = "invalid-metadata"
    status = 422
    title = "Invalid metadata"


class RecordValidationError(TesseraError):
    """A record that fails validation."""

    code = "invalid-record"
    status = 422
    title = "Invalid record"


class InvalidRequest(TesseraError):
    """A request Tessera cannot read: JSON that does not decode, text no database can store."""

    code = "invalid-request"
    status = 422
    title = "Invalid request"


class AuthenticationFailed(TesseraError):
    """A missing, unknown or revoked credential."""

    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class UnsupportedGrantType(TesseraError):
    """A token endpoint sent a `grant_type` it does not take (OAuth2, RFC 6749 section 5.2)."""

    code = "unsupported-grant-type"
    status = 400
    title = "Unsupported grant type"


class TooManyAttempts(TesseraError):
    """Too many failed attempts in a while (logins): wait `retry_after` seconds."""

    code = "too-many-attempts"
    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class DatabaseUnavailable(TesseraError):
    """The configured database cannot be used: a bad URL, no answer, missing and not creatable."""

    code = "database-unavailable"
    status = 503
    title = "Database unavailable"


class PermissionDenied(TesseraError):
    """The caller may not do this."""

    code = "permission-denied"
    status = 403
    title = "Permission denied"


class NotFound(TesseraError):
    """The named thing does not exist (for this tenant)."""

    code = "not-found"
    status = 404
    title = "Not found"


def unknown_object(name: str, known: Iterable[str], *, deleted: bool = False) -> NotFound:
    """Return the 404 of an object name the tenant does not have, with the closest one it has.

    `known` are the names the caller could have meant (live objects, or deleted ones).
    """
    what = "deleted object" if deleted else "object"
    return NotFound(
        f"there is no {what} {name!r}{did_you_mean(name, known)}", extra={"object": name}
    )


class Conflict(TesseraError):
    """The request clashes with the current state (a name in use, a stale version)."""

    code = "conflict"
    status = 409
    title = "Conflict"


class SchemaChanged(TesseraError):
    """The tenant's metadata changed while a request ran; nothing was written, send it again.

    Attributes:
        revision: the tenant's revision the request met, when it is known.
    """

    code = "schema-changed"
    status = 503
    title = "The schema changed during the request"
    retry_after = 1

    def __init__(self, detail: str, *, revision: int | None = None) -> None:
        super().__init__(detail, extra={} if revision is None else {"revision": revision})
        self.revision = revision


class WritesCollided(TesseraError):
    """Concurrent writes got in the way (a deadlock, a lock wait given up); nothing was written."""

    code = "writes-collided"
    status = 503
    title = "The request collided with concurrent writes"
    retry_after = 1


class PreconditionFailed(TesseraError):
    """The record changed since the version the client holds (`If-Match`)."""

    code = "stale-version"
    status = 412
    title = "The record has changed"


class UnsafePlanError(TesseraError):
    """A schema change that data blocks (lossy conversion, NULLs, duplicates) and was not forced."""

    code = "unsafe-change"
    status = 409
    title = "The change is blocked by existing data"


class SchemaChangeFailed(TesseraError):
    """The database refused a planned change; nothing was written."""

    code = "schema-change-failed"
    status = 500
    title = "Schema change failed"


class SearchUnavailable(SchemaChangeFailed):
    """The database lacks what search indexes need (PostgreSQL's pg_trgm, SQLite's FTS5)."""

    code = "search-unavailable"
    title = "Search indexes are not available on this database"


class ExpressionError(TesseraError):
    """An expression that does not parse, check or evaluate."""

    code = "invalid-expression"
    status = 422
    title = "Invalid expression"


class RequestBudgetExceeded(TesseraError):
    """A request that needs more work than its budget allows (docs/limits.md).

    422, not 429 or 503: the same request would fail the same way again, so it is not a
    reason to retry but to send a smaller batch or change the rules (or the limit).
    """

    code = "request-budget-exceeded"
    status = 422
    title = "Request budget exceeded"


class FileTooLarge(TesseraError):
    """An uploaded file past its field's `max_size` or the server's ceiling (or empty)."""

    code = "file-too-large"
    status = 413
    title = "File too large"


class UnsupportedMediaType(TesseraError):
    """A request body of a type the route does not take."""

    code = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"


class FileTypeRefused(UnsupportedMediaType):
    """An uploaded file whose content is not of a type its field's `accept` list takes."""

    code = "file-type-not-accepted"
    title = "File type not accepted"


class FileStorageFailed(TesseraError):
    """The file store could not be reached or refused an operation; nothing was changed."""

    code = "file-storage-unavailable"
    status = 503
    title = "File storage unavailable"
