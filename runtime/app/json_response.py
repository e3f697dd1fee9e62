"""A JSON response rendered by orjson, for payloads that are already JSON-ready."""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.responses import Response


class RecordJSONResponse(Response):
    """Render with orjson and skip FastAPI's re-encoding (engine output is JSON-ready)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            # orjson stops at 64-bit integers; a json field may hold a larger number.
            return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
