"""The route class of every API route: strict JSON bodies, and only declared parameters."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from runtime.app.json_body import StrictJsonRoute
from runtime.app.query_parameters import (
    declared_query_parameters,
    refuse_unknown_parameters,
    refuse_unstorable_parameters,
)


class ApiRoute(StrictJsonRoute):
    """A route that refuses query parameters it does not declare or no database can store
    (a NUL character), then decodes its body.

    The parameters are read once, from the route's dependant, when the route is built.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the JSON-decoding handler behind one that checks the query parameters."""
        handler = super().get_route_handler()
        ordered = declared_query_parameters(self.dependant)
        declared = frozenset(ordered)

        async def check_then_handle(request: Request) -> Response:
            names = request.query_params.keys()
            if names and not declared.issuperset(names):
                refuse_unknown_parameters(names, ordered)
            if names:
                refuse_unstorable_parameters(request.query_params.multi_items())
            return await handler(request)

        return check_then_handle
