"""Render every error as an RFC 9457 problem document, from one handler per error family."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import (
    AuthenticationFailed,
    InvalidRequest,
    TesseraError,
    summarize,
)
from engine.json_input import decode_json
from engine.query import InvalidQuery
from engine.shape_problems import shape_problems

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a problem document response."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return _ProblemResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class _ProblemResponse(JSONResponse):
    """A problem document that renders whatever text it echoes, lone surrogates included."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


async def _tessera_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TesseraError)
    if exc.status >= 500:
        logger.error("%s: %s", exc.code, exc.detail)
    headers = None
    if isinstance(exc, AuthenticationFailed):
        headers = {"WWW-Authenticate": "Bearer"}
    elif exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=[problem.as_dict() for problem in exc.problems],
        extra=exc.extra,
        headers=headers,
    )


#: Where FastAPI found a refused value, and where the problem's pointer puts it.
_PLACES = {"body": "", "query": "", "path": "", "header": "/headers", "cookie": "/cookies"}


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Render FastAPI's refusal of a body or parameter as Tessera's own problems.

    Pydantic's errors are reworded once, by `shape_problems`; the route's body model lets
    an unknown key be answered with the key it was probably meant to be.
    """
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        # A body FastAPI decoded itself: the strict decoder says where and what was expected.
        try:
            decode_json(exc.body if isinstance(exc.body, str | bytes) else b"")
        except InvalidRequest as refused:
            return await _tessera_error(request, refused)
    route = request.scope.get("route")
    body_model = (
        route.body_field.field_info.annotation
        if isinstance(route, APIRoute) and route.body_field is not None
        else None
    )
    by_place: dict[str, list[dict[str, Any]]] = {}
    for error in exc.errors():
        location = tuple(error.get("loc", ()))
        place = location[0] if location and location[0] in _PLACES else "body"
        relative = location[1:] if location and location[0] in _PLACES else location
        by_place.setdefault(place, []).append({**error, "loc": relative})
    problems = [
        problem
        for place, errors in by_place.items()
        for problem in shape_problems(
            errors, model=body_model if place == "body" else None, pointer=_PLACES[place]
        )
    ]
    # Refused query parameters are query problems, like a filter that does not apply.
    error_type = InvalidQuery if set(by_place) == {"query"} else InvalidRequest
    return await _tessera_error(request, error_type(summarize(problems), problems=problems))


#: Problem codes and titles of the HTTP errors raised outside the engine.
_HTTP_PROBLEMS = {
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("request-too-large", "Request body too large"),
    414: ("url-too-long", "URL too long"),
}


def http_problem(request: Request, *, status: int, detail: str) -> JSONResponse:
    """Return the problem document of an HTTP-level error (unknown path, request too large)."""
    code, title = _HTTP_PROBLEMS.get(status, ("http-error", detail))
    return problem_response(request, status=status, code=code, title=title, detail=detail)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return http_problem(request, status=exc.status_code, detail=str(exc.detail))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal error",
        detail="Tessera failed to handle the request; nothing was changed. The error is logged.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map engine errors, request validation errors and HTTP errors to problem documents."""
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(TesseraError, _tessera_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
