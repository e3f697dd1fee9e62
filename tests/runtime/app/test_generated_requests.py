"""Generated requests against the whole documented API of a throw-away tenant.

Two property-based runs on each database: every operation alone (positive and negative
data), and sequences of calls that follow links (an object created, then its fields
changed, its records listed, …). A 5xx, or invalid data accepted, fails the test.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.formats import unregister_string_format

from engine.context import EngineContext
from engine.query import MAX_LIMIT
from tests.conftest import Api, TenantHandle, drop_tenant_schema, make_tenant
from tests.runtime.app.test_schemas import DEAL

ADMIN = "/api/v1/admin"
OBJECT = f"{ADMIN}/objects/{{object_name}}"
FIELD = f"{OBJECT}/fields/{{field_name}}"
RULE = f"{OBJECT}/validation-rules/{{rule_name}}"

COMPANY = {"api_name": "company", "fields": [{"api_name": "name", "type": "text"}]}
SEEDED_DEAL = {
    **DEAL,
    "fields": [
        *DEAL["fields"],
        {"api_name": "company", "type": "lookup", "target": "company"},
        {
            "api_name": "weighted",
            "type": "formula",
            "expression": "amount * probability / 100",
            "return_type": "currency",
        },
    ],
    "validation_rules": [
        {
            "api_name": "seats_not_negative",
            "expression": "seats < 0",
            "message": "seats cannot be negative",
            "field": "seats",
        }
    ],
}
#: The names a generated admin call may use in its path: every seeded component, so that
#: positive data reaches real ones (negative data still tries any other string).
SEEDED_NAMES = {
    "object_name": ["company", "deal"],
    "field_name": ["name", "title", "amount", "stage", "number", "company", "weighted"],
    "rule_name": ["seats_not_negative"],
    # Roles, groups and permission sets share the parameter: a name of each kind.
    "name": ["ceo", "team", "administrator"],
}


def invalid_data_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """Refuse invalid data with a 4xx; a partial bulk may instead refuse each invalid record.

    With `mode=partial` the valid records are saved and the answer is a 200 that lists
    every refused record (docs/data-api.md, Bulk).
    """
    is_partial_bulk = (
        case.operation.path.endswith("/bulk") and (case.query or {}).get("mode") == "partial"
    )
    if is_partial_bulk and response.status_code == 200 and response.json()["errors"] > 0:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [not_a_server_error, invalid_data_is_refused]
CHANGES = ("POST ", "PATCH ", "DELETE ")
#: CI shares two cores with other jobs: generating a case may take longer than hypothesis
#: expects, which says nothing about the API.
SLOW_MACHINES = [HealthCheck.too_slow]


def _seed(api: Api) -> None:
    """Declare the seeded objects, then reset the records to one company and one deal."""
    for definition in (COMPANY, SEEDED_DEAL):
        response = api.post("/admin/objects", json=definition)
        assert response.status_code == 201, response.text
    assert api.post("/admin/roles", json={"api_name": "ceo"}).status_code == 201
    assert api.post("/admin/groups", json={"api_name": "team"}).status_code == 201
    _reset_records(api)


def _reset_records(api: Api) -> None:
    """Delete every record, then create one company and one deal of it."""
    for name in ("deal", "company"):
        while page := api.get(f"/data/{name}", params={"limit": MAX_LIMIT}).json()["data"]:
            for record in page:
                assert api.delete(f"/data/{name}/{record['id']}").status_code == 204
    company = api.post("/data/company", json={"name": "Acme"}).json()
    deal = {"title": "Seed", "company": company["id"], "amount": 100, "probability": 25}
    assert api.post("/data/deal", json=deal).status_code == 201


class ThrowAwayTenants:
    """Tenants at the seeded state, one per scenario; dropped when the test ends.

    A scenario must start from the same state each time: hypothesis replays its choices,
    and a choice that meets another state (an object already renamed, a later revision)
    is flaky data generation. A tenant whose metadata a scenario left unchanged only
    gets its records reset; any applied metadata change retires it for a fresh one.
    """

    def __init__(self, client: TestClient, engine: EngineContext) -> None:
        self._client = client
        self._engine = engine
        self._tenants: list[TenantHandle] = []
        self.current = self._fresh()
        self._revision = self._current_revision()

    def _fresh(self) -> TenantHandle:
        tenant = make_tenant(self._engine, prefix="fuzz")
        self._tenants.append(tenant)
        _seed(Api(client=self._client, tenant=tenant))
        return tenant

    def _current_revision(self) -> int:
        revisions = self.api.get("/admin/revisions", params={"limit": 1}).json()["data"]
        return int(revisions[0]["number"])

    @property
    def api(self) -> Api:
        """The API as the current tenant."""
        return Api(client=self._client, tenant=self.current)

    def start_scenario(self) -> None:
        """Bring the current tenant back to the seeded state, or replace it."""
        if self._current_revision() != self._revision:
            self.current = self._fresh()
        else:
            _reset_records(self.api)

    def drop_all(self) -> None:
        """Drop every tenant made for the test."""
        for tenant in self._tenants:
            drop_tenant_schema(self._engine, tenant.name)

    @property
    def count(self) -> int:
        """How many tenants the test made."""
        return len(self._tenants)


@pytest.fixture
def tenants(app_client: TestClient, engine_context: EngineContext) -> Iterator[ThrowAwayTenants]:
    """Seeded throw-away tenants on the test's database."""
    made = ThrowAwayTenants(app_client, engine_context)
    yield made
    made.drop_all()


@pytest.fixture
def replayable_uuids() -> Iterator[None]:
    """Generate uuids from plain integer choices, which hypothesis replays exactly."""
    schemathesis.openapi.format(
        "uuid", st.integers(0, 2**128 - 1).map(lambda number: str(uuid.UUID(int=number, version=4)))
    )
    yield
    unregister_string_format("uuid")


def _operation_ref(path: str, method: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}"


def _add_link(
    document: dict[str, Any],
    source: tuple[str, str, str],
    target: tuple[str, str],
    parameters: dict[str, str] | None = None,
    request_body: dict[str, str] | None = None,
) -> None:
    path, method, status = source
    responses = document["paths"][path][method]["responses"]
    links = responses.setdefault(status, {"description": "Success"}).setdefault("links", {})
    link: dict[str, Any] = {"operationRef": _operation_ref(*target)}
    if parameters:
        link["parameters"] = parameters
    if request_body:
        link["requestBody"] = request_body
    links[f"{target[1]} {target[0]}"] = link


def _answers_with_one(
    collection: str, path: str, *, is_restorable: bool
) -> list[tuple[str, str, str]]:
    """The responses that carry one component: its creation, and each call on its path."""
    answers = [(collection, "post", "201")] + [
        (path, method, "200") for method in ("get", "patch", "delete")
    ]
    if is_restorable:
        answers.append((f"{path}/restore", "post", "200"))
    return answers


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document with links from each created or read component to its operations.

    Explicit links make each step depend only on the previous responses; schemathesis'
    own inference guesses at names (`object_name` in a body that has `api_name`).
    """
    linked = copy.deepcopy(document)
    of_object = [(OBJECT, method) for method in ("get", "patch", "delete")] + [
        (f"{OBJECT}/restore", "post"),
        (f"{OBJECT}/purge", "post"),
        (f"{OBJECT}/fields", "get"),
        (f"{OBJECT}/fields", "post"),
        (f"{OBJECT}/validation-rules", "get"),
        (f"{OBJECT}/validation-rules", "post"),
    ]
    of_field = [(FIELD, method) for method in ("get", "patch", "delete")] + [
        (f"{FIELD}/{action}", "post") for action in ("restore", "purge", "recalculate")
    ]
    of_rule = [(RULE, method) for method in ("get", "patch", "delete")]
    object_sources = _answers_with_one(f"{ADMIN}/objects", OBJECT, is_restorable=True)
    field_sources = _answers_with_one(f"{OBJECT}/fields", FIELD, is_restorable=True)
    rule_sources = _answers_with_one(f"{OBJECT}/validation-rules", RULE, is_restorable=False)
    this_object = "$request.path.object_name"
    for target in of_object:
        _add_link(
            linked,
            (f"{ADMIN}/objects", "get", "200"),
            target,
            {"path.object_name": "$response.body#/data/*/api_name"},
        )
        for source in object_sources:
            _add_link(linked, source, target, {"path.object_name": "$response.body#/api_name"})
    for target in of_field:
        _add_link(
            linked,
            (f"{OBJECT}/fields", "get", "200"),
            target,
            {"path.object_name": this_object, "path.field_name": "$response.body#/data/*/api_name"},
        )
        for source in field_sources:
            parameters = {
                "path.object_name": this_object,
                "path.field_name": "$response.body#/api_name",
            }
            _add_link(linked, source, target, parameters)
    for target in of_rule:
        for source in rule_sources:
            parameters = {
                "path.object_name": this_object,
                "path.rule_name": "$response.body#/api_name",
            }
            _add_link(linked, source, target, parameters)
    _add_link(
        linked,
        (f"{ADMIN}/revisions", "get", "200"),
        (f"{ADMIN}/revisions", "get"),
        {"query.before": "$response.body#/next_before"},
    )
    for name in ("company", "deal"):
        records = f"/api/v1/data/{name}"
        record = f"{records}/{{id}}"
        record_sources = [
            ((records, "post", "201"), "$response.body#/id"),
            ((records, "get", "200"), "$response.body#/data/*/id"),
            ((record, "get", "200"), "$response.body#/id"),
            ((record, "patch", "200"), "$response.body#/id"),
        ]
        for source, expression in record_sources:
            for method in ("get", "patch", "delete"):
                _add_link(linked, source, (record, method), {"path.id": expression})
        _add_link(
            linked,
            (records, "get", "200"),
            (records, "get"),
            {"query.cursor": "$response.body#/next_cursor"},
        )
    _add_link(
        linked,
        ("/api/v1/data/company", "post", "201"),
        ("/api/v1/data/deal", "post"),
        request_body={"company": "$response.body#/id"},
    )
    return linked


def _with_seeded_names(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document with the admin paths' names limited to the seeded components."""
    named = copy.deepcopy(document)
    for path, item in named["paths"].items():
        if not path.startswith(ADMIN):
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in SEEDED_NAMES:
                    names = SEEDED_NAMES[parameter["name"]]
                    parameter["schema"] = {"type": "string", "enum": names}
    return named


def _without_owner(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document without `owner_id` in record inputs.

    No operation yet returns users, so schemathesis takes `owner_id` for a reference it
    can never fill and then never starts a scenario with a record create.
    """
    trimmed = copy.deepcopy(document)
    for name, schema in trimmed["components"]["schemas"].items():
        if name.endswith(("Input", "Patch")):
            schema.get("properties", {}).pop("owner_id", None)
    return trimmed


def _load(tenants: ThrowAwayTenants, document: dict[str, Any]) -> Any:
    """The document as schemathesis loads it, calling the app, positive and negative data on."""
    schema = schemathesis.openapi.from_dict(document)
    schema.app = tenants.api.client.app
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        # The key is sent by the test; a generated Authorization header would replace it.
        with_security_parameters=False,
    )
    # Links come from the document only (see _with_links).
    schema.config.phases.stateful.inference.algorithms = []
    return schema


def _tenant_document(tenants: ThrowAwayTenants) -> dict[str, Any]:
    api = tenants.api
    response = api.client.get("/openapi.json", headers=api.tenant.headers)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _failure(case: Any, response: Any, error: BaseException | None = None) -> str:
    reason = f" ({error})" if error else ""
    return (
        f"{case.method} {case.formatted_path} query={case.query} body={case.body!r} "
        f"-> {response.status_code}{reason}: {response.text[:300]}"
    )


def _data_first(operation: Any) -> tuple[bool, str]:
    # Admin changes may delete or rename the seeded objects: record operations run first.
    return ("/admin/" in operation.path, operation.label)


def test_generated_requests_against_every_operation_never_get_a_server_error(
    tenants: ThrowAwayTenants, replayable_uuids: None
) -> None:
    schema = _load(tenants, _with_seeded_names(_tenant_document(tenants)))
    headers = tenants.current.headers
    failures: list[str] = []
    statuses: list[int] = []
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_data_first)
    assert len([op for op in operations if "/admin/" in op.path]) >= 20
    assert len([op for op in operations if "/admin/" not in op.path]) >= 14

    for operation in operations:
        # Admin changes rebuild tables: fewer examples keep the run short.
        examples = 3 if "/admin/" in operation.path else 6
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=SLOW_MACHINES,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                response = case.call(headers=headers)
                statuses.append(response.status_code)
                try:
                    # Invalid data must be refused with a 4xx, never a 5xx or a 2xx.
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as error:
                    failures.append(_failure(case, response, error))

            try:
                call()
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (no parameters, no body).
                assert mode is GenerationMode.NEGATIVE
    assert failures == [], "\n".join(failures)
    # The run exercised the API: many calls, successes as well as refusals.
    assert len(statuses) >= 4 * len(operations)
    assert {200, 201, 422} <= set(statuses)


def test_generated_sequences_of_calls_following_links_never_get_a_server_error(
    tenants: ThrowAwayTenants, replayable_uuids: None
) -> None:
    document = _without_owner(_with_seeded_names(_with_links(_tenant_document(tenants))))
    schema = _load(tenants, document)
    failures: list[str] = []
    steps: list[tuple[str, int]] = []

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            tenants.start_scenario()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": tenants.current.headers}

        def call(self, case: Any, **kwargs: Any) -> Any:
            try:
                return case.call(**kwargs)
            except Exception as error:
                # The test client re-raises what the server did not handle (a 500).
                failures.append(f"{case.method} {case.formatted_path} raised {error!r}")
                raise

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            steps.append((case.operation.label, response.status_code))
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as error:
                failures.append(_failure(case, response, error))

    Scenarios.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=8,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            derandomize=True,
            suppress_health_check=SLOW_MACHINES,
        )
    )
    assert failures == [], "\n".join(failures)
    assert len(steps) >= 150
    # Sequences changed metadata and wrote records, and were refused as well.
    succeeded = {label for label, status in steps if status < 300}
    assert any(label.startswith(CHANGES) and " /api/v1/admin/" in label for label in succeeded)
    assert any(label.startswith(CHANGES) and " /api/v1/data/" in label for label in succeeded)
    assert {status for _, status in steps} >= {200, 201, 404, 422}
