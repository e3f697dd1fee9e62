"""The OpenAPI document of the caller's tenant: the admin API plus one set of paths per object.

It is rebuilt from the compiled catalog, so it changes the moment metadata changes, and it
is the caller's: objects they may not read are absent, operations they may not use are
left out, and each schema holds only the fields they may read or write. Built documents
are cached per tenant, revision and set of permission sets by the app that owns the cache.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from fastapi import FastAPI

from engine.access.field_access import caller_access
from engine.catalog import CompiledObject
from engine.context import Channel, RequestContext
from engine.extensions import WriteOrigin
from engine.query import ObjectAccess
from engine.records.bulk import MAX_BATCH
from engine.records.json_schema import bulk_input_schema, keyed_input_schema, record_schema
from metadata.models import FieldType, ObjectRight, ShareAccess
from runtime.app.articles import with_indefinite_article
from runtime.app.auth import BEARER_SCHEME, OAUTH2_SCHEME

_GENERIC_PREFIXES = ("/api/v1/data/{object_name}", "/api/v1/schema/{object_name}")
_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


class OpenApiCache:
    """Tenant OpenAPI documents, newest revision per tenant and set of permission sets.

    Bounded like the catalog cache: callers holding the same permission sets share a
    document, and a tenant has few such sets.
    """

    def __init__(self, max_documents: int = 256) -> None:
        self._documents: OrderedDict[tuple[UUID, tuple[str, ...]], tuple[int, dict[str, Any]]] = (
            OrderedDict()
        )
        self._max_documents = max_documents
        self._lock = threading.Lock()

    def get(self, app: FastAPI, context: RequestContext) -> dict[str, Any]:
        """Return the caller's document at the tenant's current revision, built if needed."""
        tenant = context.tenant
        key = (tenant.id, tuple(sorted(set(context.caller.permission_sets))))
        with self._lock:
            cached = self._documents.get(key)
            if cached is not None and cached[0] == tenant.revision:
                self._documents.move_to_end(key)
                return cached[1]
        document = tenant_openapi(app, context)
        with self._lock:
            self._documents[key] = (tenant.revision, document)
            while len(self._documents) > self._max_documents:
                self._documents.popitem(last=False)
        return document


def base_openapi(app: FastAPI) -> dict[str, Any]:
    """The document without tenant objects (the admin API and the generic data routes).

    Every operation answers 422 with a problem document: FastAPI's own validation error
    shape is never sent, and an unknown query parameter is refused on every route.
    """
    document = copy.deepcopy(app.openapi())
    for item in document["paths"].values():
        for operation in item.values():
            operation["responses"]["422"] = {
                "description": "Invalid request or query; every problem is listed",
                **_PROBLEM,
            }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    # The schemes themselves come from the routes' dependencies; the tenant's object
    # paths are added by hand and take them as the document's default.
    schemas["Problem"] = _problem_schema()
    document["security"] = [{BEARER_SCHEME: []}, {OAUTH2_SCHEME: []}]
    return document


def tenant_openapi(app: FastAPI, context: RequestContext) -> dict[str, Any]:
    """The caller's document of their tenant: typed paths per live object they may read."""
    document = base_openapi(app)
    generic = document["paths"]
    access = caller_access(context)
    catalog = access.catalog
    document["info"]["description"] = (
        f"Tenant `{context.tenant.name}` at metadata revision {catalog.revision}."
    )
    document["paths"] = {
        path: item
        for path, item in document["paths"].items()
        if not path.startswith(_GENERIC_PREFIXES)
    }
    schemas = document["components"]["schemas"]
    schemas["BulkResult"] = _bulk_result_schema()
    schemas["FieldHistoryPage"] = _history_page_schema()
    schemas["Share"] = _share_schema()
    schemas["ShareList"] = {
        "type": "object",
        "properties": {"data": {"type": "array", "items": _ref("Share")}},
        "required": ["data"],
    }
    for name, obj in catalog.objects.items():
        granted = access.on(obj)
        if not granted.is_readable:
            continue
        prefix = _component_prefix(name)
        schemas[f"{prefix}Input"] = _embeddable(keyed_input_schema(catalog, obj, access))
        schemas[f"{prefix}BulkInput"] = _embeddable(bulk_input_schema(catalog, obj, access))
        schemas[f"{prefix}Patch"] = _embeddable(
            keyed_input_schema(catalog, obj, access, is_patch=True)
        )
        schemas[f"{prefix}Record"] = _embeddable(record_schema(obj, access))
        schemas[f"{prefix}List"] = {
            "type": "object",
            "properties": {
                "data": {
                    "type": "array",
                    "items": {"$ref": f"#/components/schemas/{prefix}Record"},
                },
                "next_cursor": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "total": {"type": "integer"},
            },
            "required": ["data", "next_cursor"],
        }
        document["paths"].update(_granted(_object_paths(obj, prefix, generic, granted), granted))
    return document


#: The object right each operation of an object's paths needs, by operation id prefix.
_OPERATION_RIGHTS = {
    "create_": ObjectRight.CREATE,
    "bulk_": ObjectRight.CREATE,
    "update_": ObjectRight.EDIT,
    "upload_": ObjectRight.EDIT,
    "delete_": ObjectRight.DELETE,
}


def _granted(paths: dict[str, Any], granted: ObjectAccess) -> dict[str, Any]:
    """`paths` without the operations the caller may not use (and paths left empty)."""
    kept: dict[str, Any] = {}
    for path, item in paths.items():
        operations = {}
        for method, operation in item.items():
            operation_id: str = operation["operationId"]
            right = next(
                (r for prefix, r in _OPERATION_RIGHTS.items() if operation_id.startswith(prefix)),
                ObjectRight.READ,
            )
            if "/files/" in path and method == "delete":
                right = ObjectRight.EDIT  # removing a file is an update of the record
            if granted.can(right):
                operations[method] = operation
        if operations:
            kept[path] = operations
    return kept


def _component_prefix(api_name: str) -> str:
    return "".join(part.capitalize() for part in api_name.split("_"))


def _embeddable(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "$schema"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    meaning = {
        401: "Missing, unknown or revoked API key or access token",
        404: "No such record (or object)",
        409: "A unique value clashes, or the record is still referenced",
        412: "The record changed since the version in If-Match",
        413: "The file is larger than the field's max_size (or the server's ceiling)",
        415: "The body is not multipart/form-data, or the file's content is not accepted",
        422: "Invalid input or query parameters; every problem is listed",
        503: "The file store is unavailable",
    }
    return {str(status): {"description": meaning[status], **_PROBLEM} for status in statuses}


def _query_parameters(generic: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    """The query parameters of a generic data route, as its own operation documents them.

    An object's paths take exactly the parameters of the route that serves them.
    """
    operation = generic[f"/api/v1/data/{{object_name}}{path}"][method]
    return [
        parameter for parameter in operation.get("parameters", []) if parameter["in"] == "query"
    ]


def _object_paths(
    obj: CompiledObject, prefix: str, generic: dict[str, Any], granted: ObjectAccess
) -> dict[str, Any]:
    name = obj.state.api_name
    tag = [f"{name} records"]
    one = with_indefinite_article(obj.state.label)
    record_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": r'^(W/)?"?[0-9]+"?$'},
        "description": "The record version you hold; a stale one gets 412",
    }
    paths: dict[str, Any] = {
        f"/api/v1/data/{name}": {
            "get": {
                "tags": tag,
                "summary": f"List {obj.state.plural_label}",
                "operationId": f"list_{name}",
                "parameters": _query_parameters(generic, "", "get"),
                "responses": {
                    "200": _json(_ref(f"{prefix}List"), "One page"),
                    **_problems(401, 422),
                },
            },
            "post": {
                "tags": tag,
                "summary": f"Create {one}",
                "operationId": f"create_{name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(f"{prefix}Input")}},
                },
                "responses": {
                    "201": _json(_ref(f"{prefix}Record"), "Created"),
                    **_problems(401, 409, 422),
                },
            },
        },
        f"/api/v1/data/{name}/{{id}}": {
            "get": {
                "tags": tag,
                "summary": f"Get {one}",
                "operationId": f"get_{name}",
                "parameters": [record_id, *_query_parameters(generic, "/{record_id}", "get")],
                "responses": {
                    "200": _json(_ref(f"{prefix}Record"), "The record"),
                    **_problems(401, 404, 422),
                },
            },
            "patch": {
                "tags": tag,
                "summary": f"Update {one}",
                "operationId": f"update_{name}",
                "parameters": [record_id, if_match],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(f"{prefix}Patch")}},
                },
                "responses": {
                    "200": _json(_ref(f"{prefix}Record"), "Updated"),
                    **_problems(401, 404, 409, 412, 422),
                },
            },
            "delete": {
                "tags": tag,
                "summary": f"Delete {one}",
                "operationId": f"delete_{name}",
                "parameters": [record_id, if_match],
                "responses": {
                    "204": {"description": "Deleted"},
                    **_problems(401, 404, 409, 412, 422),
                },
            },
        },
        f"/api/v1/data/{name}/{{id}}/history": {
            "get": {
                "tags": tag,
                "summary": f"Field history of {one}",
                "operationId": f"history_{name}",
                "parameters": [
                    record_id,
                    *_query_parameters(generic, "/{record_id}/history", "get"),
                ],
                "responses": {
                    "200": _json(_ref("FieldHistoryPage"), "One page, newest first"),
                    **_problems(401, 404, 422),
                },
            },
        },
        f"/api/v1/data/{name}/bulk": {
            "post": {
                "tags": tag,
                "summary": f"Create or upsert up to {MAX_BATCH} {obj.state.plural_label}",
                "operationId": f"bulk_{name}",
                "parameters": _query_parameters(generic, "/bulk", "post"),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "maxItems": MAX_BATCH,
                                "items": _ref(f"{prefix}BulkInput"),
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("BulkResult"), "Per-record results"),
                    **_problems(401, 409, 422),
                },
            },
        },
        f"/api/v1/data/{name}/aggregate": {
            "get": {
                "tags": tag,
                "summary": f"Aggregate {obj.state.plural_label}",
                "operationId": f"aggregate_{name}",
                "parameters": _query_parameters(generic, "/aggregate", "get"),
                "responses": {"200": _json({"type": "object"}, "Groups"), **_problems(401, 422)},
            },
        },
        f"/api/v1/schema/{name}": {
            "get": {
                "tags": tag,
                "summary": f"JSON Schema of {one}",
                "operationId": f"schema_{name}",
                "responses": {
                    "200": _json({"type": "object"}, "JSON Schema (draft 2020-12)"),
                    **_problems(401, 404, 422),
                },
            },
        },
    }
    paths[f"/api/v1/data/{name}/{{id}}/shares"] = _share_paths(
        obj, record_id=record_id, generic=generic
    )
    file_fields = [
        field_name
        for field_name, compiled in obj.fields.items()
        if compiled.state.definition.type is FieldType.FILE and granted.can_read(field_name)
    ]
    if file_fields:
        paths[f"/api/v1/data/{name}/{{id}}/files/{{field}}"] = _file_paths(
            obj,
            prefix,
            record_id=record_id,
            if_match=if_match,
            file_fields=file_fields,
            generic=generic,
        )
    return paths


def _file_paths(
    obj: CompiledObject,
    prefix: str,
    *,
    record_id: dict[str, Any],
    if_match: dict[str, Any],
    file_fields: list[str],
    generic: dict[str, Any],
) -> dict[str, Any]:
    """The operations on the file of a record's file field (runtime/app/file_routes.py)."""
    name = obj.state.api_name
    one = with_indefinite_article(obj.state.label)
    tag = [f"{name} records"]
    field = {
        "name": "field",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": file_fields},
        "description": "A file field",
    }
    binary = {"type": "string", "format": "binary"}
    return {
        "post": {
            "tags": tag,
            "summary": f"Upload the file of a file field of {one}",
            "operationId": f"upload_{name}_file",
            "parameters": [record_id, field, if_match],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": binary},
                            "required": ["file"],
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref(f"{prefix}Record"), "The record, pointing at the file"),
                **_problems(401, 404, 412, 413, 415, 422, 503),
            },
        },
        "get": {
            "tags": tag,
            "summary": f"Download the file of a file field of {one}",
            "operationId": f"download_{name}_file",
            "parameters": [
                record_id,
                field,
                *_query_parameters(generic, "/{record_id}/files/{field_name}", "get"),
            ],
            "responses": {
                "200": {
                    "description": "The file's bytes; its sha256 is the ETag",
                    "content": {"application/octet-stream": {"schema": binary}},
                },
                "304": {"description": "Not modified (If-None-Match)"},
                **_problems(401, 404, 422, 503),
            },
        },
        "delete": {
            "tags": tag,
            "summary": f"Remove the file of a file field of {one}",
            "operationId": f"delete_{name}_file",
            "parameters": [record_id, field, if_match],
            "responses": {
                "200": _json(_ref(f"{prefix}Record"), "The record, without the file"),
                **_problems(401, 404, 412, 422),
            },
        },
    }


def _share_paths(
    obj: CompiledObject, *, record_id: dict[str, Any], generic: dict[str, Any]
) -> dict[str, Any]:
    """The manual shares of a record (runtime/app/share_routes.py, docs/sharing.md).

    Each operation needs only `read` on the object: who may share a record is decided per
    record (its owner, a role above, modify_all), and refused with 403.
    """
    name = obj.state.api_name
    one = with_indefinite_article(obj.state.label)
    tag = [f"{name} records"]
    shares = "/{record_id}/shares"
    return {
        "get": {
            "tags": tag,
            "summary": f"Who {one} is shared with, and why",
            "operationId": f"list_{name}_shares",
            "parameters": [record_id, *_query_parameters(generic, shares, "get")],
            "responses": {
                "200": _json(_ref("ShareList"), "Manual shares and those of sharing rules"),
                **_problems(401, 404, 422),
            },
        },
        "post": {
            "tags": tag,
            "summary": f"Share {one} with a user, group, role or partner account",
            "operationId": f"share_{name}",
            "parameters": [record_id, *_query_parameters(generic, shares, "post")],
            # The body is the generic route's: one principal and the access.
            "requestBody": generic[f"/api/v1/data/{{object_name}}{shares}"]["post"]["requestBody"],
            "responses": {
                "201": _json(_ref("Share"), "Shared (a share again replaces the access)"),
                "403": {"description": "You may not share this record", **_PROBLEM},
                **_problems(401, 404, 422),
            },
        },
        "delete": {
            "tags": tag,
            "summary": f"Take back a manual share of {one}",
            "operationId": f"unshare_{name}",
            "parameters": [record_id, *_query_parameters(generic, shares, "delete")],
            "responses": {
                "204": {"description": "Taken back"},
                "403": {"description": "You may not share this record", **_PROBLEM},
                **_problems(401, 404, 422),
            },
        },
    }


def _share_schema() -> dict[str, Any]:
    """One share of a record: its principal, access and cause (docs/sharing.md)."""
    text = {"type": "string"}
    return {
        "type": "object",
        "description": "Exactly one principal; `email` only for callers with manage_users",
        "properties": {
            "user": {**text, "format": "uuid"},
            "email": {"anyOf": [text, {"type": "null"}]},
            "group": text,
            "role": text,
            "include_subordinates": {"type": "boolean"},
            "partner_account": {**text, "format": "uuid"},
            "access": {"enum": [access.value for access in ShareAccess]},
            "cause": {"enum": ["manual", "sharing_rule"]},
            "rule": text,
        },
        "required": ["access", "cause"],
    }


def _history_page_schema() -> dict[str, Any]:
    """One page of a record's field history (docs/audit.md)."""
    text = {"type": "string"}
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "field": text,
            "old_value": {},
            "new_value": {},
            "actor": {"anyOf": [text, {"type": "null"}]},
            "channel": {"enum": [channel.value for channel in Channel]},
            "origin": {"enum": [origin.value for origin in WriteOrigin]},
            "erased": {"type": "boolean"},
        },
        "required": ["id", "at", "field", "old_value", "new_value", "actor", "channel"],
    }
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": entry},
            "next_cursor": {"anyOf": [text, {"type": "null"}]},
        },
        "required": ["data", "next_cursor"],
    }


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "RFC 9457 problem document",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "pointer": {"type": "string"},
                        "field": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
        "required": ["type", "title", "status", "detail"],
    }


def _bulk_result_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "errors": {"type": "integer"},
            "results": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["created", "updated", "errors", "results"],
    }
