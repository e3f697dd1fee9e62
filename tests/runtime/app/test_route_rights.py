"""Every route of the app, enumerated: admin routes need a system right, and a user without
rights gets 403 or 404 from every `/api/v1` route, never data.

Routes are read from the app itself, so a route added later is held to the same rules
(a path parameter this test cannot fill fails it, asking for a value).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from engine.context import EngineContext
from metadata.models import SystemRight
from runtime.app import create_app
from runtime.app.auth import tenant_runner
from tests.conftest import Api
from tests.runtime.app.permission_world import SECRET, World, build_world

#: Routes about the caller themselves (their login, their own user): any user may use
#: them, and they hold no record of the tenant's. Logging in needs no credential yet.
_OWN = frozenset(
    {"/api/v1/me", "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
)


def _flattened(routes: list[Any]) -> Iterator[Any]:
    """The app's routes, those of included routers among them (the factory adds no prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flattened(included.routes)
        else:
            yield route


def _api_routes(app: FastAPI) -> list[APIRoute]:
    seen: dict[tuple[str, frozenset[str]], APIRoute] = {}
    for route in _flattened(app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1"):
            seen.setdefault((route.path, frozenset(route.methods)), route)
    return list(seen.values())


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _required_right(route: APIRoute) -> SystemRight | str | None:
    """The system right the route's runner checks; None for the data runner; "none" when
    the route has no runner at all (it would not even authenticate)."""
    for dependency in _dependencies(route.dependant):
        call = dependency.call
        if call is tenant_runner:
            return None
        if call is not None and call.__name__ == "runner_needing":
            right: SystemRight = inspect.getclosurevars(call).nonlocals["right"]
            return right
    return "none"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # Routes are read, never called: the app needs no database.
    return create_app(EngineContext(db=sa.create_engine("sqlite://")))


def test_every_api_route_runs_its_work_through_a_tenant_runner(app: FastAPI) -> None:
    without = [route.path for route in _api_routes(app) if _required_right(route) == "none"]
    assert sorted(without) == ["/api/v1/auth/logout", "/api/v1/auth/refresh", "/api/v1/auth/token"]


def test_every_admin_route_needs_a_system_right(app: FastAPI) -> None:
    admin = [route for route in _api_routes(app) if route.path.startswith("/api/v1/admin")]
    assert len(admin) >= 30
    unguarded = [
        f"{route.methods} {route.path}" for route in admin if _required_right(route) is None
    ]
    assert unguarded == []
    rights = {route.path: _required_right(route) for route in admin}
    assert rights["/api/v1/admin/objects"] is SystemRight.CUSTOMIZE
    assert rights["/api/v1/admin/revisions"] is SystemRight.CUSTOMIZE
    assert rights["/api/v1/admin/metadata"] is SystemRight.CUSTOMIZE
    assert rights["/api/v1/admin/objects/{object_name}/fields/{field_name}/recalculate"] is (
        SystemRight.CUSTOMIZE
    )
    assert rights["/api/v1/admin/permission-sets"] is SystemRight.MANAGE_USERS
    assert rights["/api/v1/admin/roles/{name}"] is SystemRight.MANAGE_USERS
    assert rights["/api/v1/admin/audit"] is SystemRight.VIEW_AUDIT


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def _fill(path: str, values: dict[str, str]) -> str:
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        assert name in values, f"give the route-rights test a value for {{{name}}} ({path})"
        path = path.replace(f"{{{name}}}", values[name])
    return path


#: What each route is sent besides its path (a body most routes will never read).
_QUERIES = {"/api/v1/search": {"q": "Acme"}}


def _send(api: Api, method: str, path: str) -> Any:
    body: Any = [{"employee": "x"}] if path.endswith("/bulk") else {}
    kwargs: dict[str, Any] = {"params": _QUERIES.get(path, {})}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = body
    return api.client.request(method, path, headers=api.tenant.headers, **kwargs)


@pytest.mark.parametrize(
    ("user", "object_name", "field_name"),
    [("nobody", "opportunity", "scan"), ("rep", "payroll", "salary")],
)
def test_a_user_without_rights_gets_403_or_404_from_every_route_never_data(
    world: World, user: str, object_name: str, field_name: str
) -> None:
    api = world.as_user(user)
    values = {
        "object_name": object_name,
        "record_id": world.ids[object_name],
        "field_name": field_name,
        "rule_name": "any_rule",
        "name": "rep",
        "user_id": str(world.admin.tenant.user_id),
    }
    hidden = [SECRET, "99999", "Big deal", "Eve"]
    exercised = 0
    for route in _api_routes(api.client.app):  # type: ignore[arg-type]
        path = _fill(route.path, values)
        for method in sorted(route.methods):
            response = _send(api, method, path)
            exercised += 1
            where = f"{method} {route.path}"
            assert not any(text in response.text for text in hidden), where
            assert response.status_code < 500, (where, response.text)
            if route.path in _OWN:
                continue
            if route.path == "/api/v1/search":
                # Search answers with what the caller may read, never the object refused.
                assert response.status_code == 200, where
                assert object_name not in response.json()["searched"], where
                continue
            assert response.status_code in (403, 404), (where, response.status_code, response.text)
    assert exercised >= 40


#: How the tenant document names a generic route's path parameters on an object's paths.
_OBJECT_PATH_NAMES = {"record_id": "{id}", "field_name": "{field}"}


def test_every_api_route_is_in_the_tenants_openapi_document(world: World) -> None:
    """A route the app serves under /api/v1 is documented; the generic data and schema
    routes are documented per object (here: `opportunity`, which has a file field)."""
    admin = world.admin
    document = admin.client.get("/openapi.json", headers=admin.tenant.headers).json()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    names = {"object_name": "opportunity", **_OBJECT_PATH_NAMES}
    missing = []
    for route in _api_routes(admin.client.app):  # type: ignore[arg-type]
        if not route.include_in_schema:
            continue
        generic = route.path.startswith(("/api/v1/data/{object_name}", "/api/v1/schema/"))
        path = _fill(route.path, names) if generic else route.path
        missing += [
            f"{method} {route.path}"
            for method in sorted(route.methods - {"HEAD"})
            if (method, path) not in documented
        ]
    assert missing == []
    shares = document["paths"]["/api/v1/data/opportunity/{id}/shares"]
    body = shares["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/ManualShareDef"
    listed = shares["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/ShareList"}
    assert [p["name"] for p in shares["delete"]["parameters"]][:2] == ["id", "user"]
