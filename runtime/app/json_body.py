"""Decode every JSON request body with the engine's strict decoder, before FastAPI sees it.

FastAPI decodes bodies with `json.loads`, which lets lone surrogates, `NaN` and deep
nesting through to the engine and the database. Routes built by `StrictJsonRoute` decode
the body first with `engine.json_input.decode_json`; a refusal is a 422 problem document
naming where the bad part is, and FastAPI then reads the already decoded value.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, PlainValidator

from engine.json_input import decode_json

_UNSET: Any = object()


class StrictJsonRequest(Request):
    """A request whose `json()` is the engine's strict decoder (decoded once, then kept)."""

    _decoded: Any = _UNSET

    async def json(self) -> Any:
        """Return the decoded body.

        Raises:
            InvalidRequest: the body is not strict JSON or holds what no database stores.
        """
        if self._decoded is _UNSET:
            self._decoded = decode_json(await self.body())
        return self._decoded


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type")
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is decoded strictly before FastAPI validates it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return FastAPI's handler behind one that decodes a JSON body first."""
        handler = super().get_route_handler()
        has_body = self.body_field is not None

        async def decode_then_handle(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            # Decoding here, outside FastAPI's body parsing, lets a refusal reach the
            # problem handlers as itself (FastAPI turns other errors into a bare 400).
            if has_body and _is_json(strict) and await strict.body():
                await strict.json()
            return await handler(strict)

        return decode_then_handle


def _as_sent(value: Any) -> Any:
    return value


def checked_by_engine(model: type[BaseModel]) -> PlainValidator:
    """Mark a body as documented by `model` but checked by the engine, not by FastAPI.

    `Annotated[Any, Body(), checked_by_engine(FieldDef)]` shows `FieldDef` in the OpenAPI
    document and hands the body over as sent: the engine checks its shape and its
    metadata together, so one answer lists the problems of both.
    """
    return PlainValidator(_as_sent, json_schema_input_type=model)
