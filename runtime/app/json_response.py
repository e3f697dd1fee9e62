"""A JSON response rendered by orjson, for payloads that are already JSON-ready."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class RecordJSONResponse(Response):
    """Render with orjson and skip FastAPI's re-encoding (engine output is JSON-ready)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
