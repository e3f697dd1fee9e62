"""JSON Schemas (draft 2020-12) of an object's records, derived from its compiled fields.

`input_schema` describes a create body field by field, lookups by id (the form schema of
`GET /schema/{object}`); with `is_patch`, nothing is required. `keyed_input_schema` is
what the data API accepts: lookups also by name or unique field. `record_schema`
describes responses.

Every schema is the caller's (`access`): fields they may not read are left out, fields
they may not write are left out of input and read-only in records, personal data they
see masked is a plain string, and lookup keys name only fields they may query.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.catalog import (
    LABELS_KEY,
    SYSTEM_COLUMNS_BY_NAME,
    SYSTEM_KEYS,
    WRITABLE_SYSTEM_KEYS,
    Catalog,
    CompiledObject,
    decimal_shape,
    storage_type,
)
from engine.catalog.file_values import FILE_KEYS
from engine.context import RequestContext
from engine.files import MAX_NAME_LENGTH
from engine.query import FieldAccess
from engine.records.lookup_keys import matching_fields
from engine.records.object_rights import caller_object
from metadata.models import (
    COMPUTED_TYPES,
    DECIMAL_TYPES,
    REFERENCE_TYPES,
    FieldDef,
    FieldType,
    ObjectRight,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INT64 = 2**63
_PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{1,38}[0-9]$"


def value_schema(definition: FieldDef, *, for_input: bool) -> dict[str, Any]:
    """The schema of one field's non-null value, as input or as returned."""
    field_type = definition.type if for_input else storage_type(definition.type, definition)
    if field_type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.AUTO_NUMBER):
        return _string(definition)
    if field_type is FieldType.EMAIL:
        return {**_string(definition), "format": "email"}
    if field_type is FieldType.PHONE:
        return {**_string(definition), "pattern": _PHONE_PATTERN}
    if field_type is FieldType.URL:
        return {**_string(definition), "format": "uri"}
    if field_type is FieldType.INTEGER:
        return {
            "type": "integer",
            "minimum": _bound(definition.min, -_INT64),
            "maximum": _bound(definition.max, _INT64 - 1),
        }
    if field_type in DECIMAL_TYPES:
        return _decimal(definition, field_type, for_input=for_input)
    if field_type is FieldType.BOOLEAN:
        return {"type": "boolean"}
    if field_type is FieldType.DATE:
        return {"type": "string", "format": "date"}
    if field_type is FieldType.DATETIME:
        return {"type": "string", "format": "date-time"}
    if field_type is FieldType.PICKLIST:
        values = [v.value for v in definition.values or () if v.active or not for_input]
        return {"type": "string", "enum": values}
    if field_type is FieldType.MULTI_PICKLIST:
        values = [v.value for v in definition.values or () if v.active or not for_input]
        return {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True}
    if field_type in (FieldType.LOOKUP, FieldType.MASTER_DETAIL):
        return {"type": "string", "format": "uuid"}
    if field_type is FieldType.FILE:
        return copy.deepcopy(_FILE)
    return {}


#: A file's metadata as records show it (engine/catalog/file_values.py). Files stored
#: before a change of `max_size` or `accept` keep their size and type, so neither bounds it.
_FILE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
        "size": {"type": "integer", "minimum": 1},
        "content_type": {"type": "string"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "uploaded_at": {"type": "string", "format": "date-time"},
    },
    "required": list(FILE_KEYS),
    "additionalProperties": False,
}


def _string(definition: FieldDef) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if definition.max_length is not None:
        schema["maxLength"] = definition.max_length
    return schema


def _bound(value: Any, default: int) -> Any:
    return default if value is None else value


def _decimal(definition: FieldDef, field_type: FieldType, *, for_input: bool) -> dict[str, Any]:
    precision, scale = decimal_shape(definition, field_type)
    whole = precision - scale
    fraction = rf"(\.[0-9]{{0,{scale}}}0*)?" if scale else r"(\.0*)?"
    pattern = rf"^\s*[-+]?[0-9]{{1,{whole}}}{fraction}\s*$"
    as_string = {"type": "string", "pattern": pattern}
    if not for_input:
        return as_string
    limit = 10**whole
    as_number: dict[str, Any] = {
        "type": "number",
        "exclusiveMinimum": -limit,
        "exclusiveMaximum": limit,
    }
    if definition.min is not None:
        as_number["minimum"] = float(definition.min)
    if definition.max is not None:
        as_number["maximum"] = float(definition.max)
    return {"anyOf": [as_number, as_string]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A mutable copy of a schema fragment (the system column table holds frozen ones)."""
    return {
        key: [dict(item) if isinstance(item, Mapping) else item for item in value]
        if isinstance(value, list)
        else value
        for key, value in schema.items()
    }


def _description(definition: FieldDef) -> dict[str, Any]:
    text = definition.label or definition.api_name
    if definition.help_text:
        text = f"{text}: {definition.help_text}"
    return {"title": definition.label or definition.api_name, "description": text}


def input_schema(
    obj: CompiledObject, access: FieldAccess, *, is_patch: bool = False
) -> dict[str, Any]:
    """The schema of a create (or, with `is_patch`, an update) body the caller may send."""
    granted = access.on(obj)
    properties: dict[str, Any] = {
        name: _plain(SYSTEM_COLUMNS_BY_NAME[name].json_schema)
        for name in SYSTEM_KEYS
        if name in WRITABLE_SYSTEM_KEYS
    }
    required = []
    for name, compiled in obj.fields.items():
        definition = compiled.state.definition
        if definition.type in COMPUTED_TYPES or definition.type is FieldType.FILE:
            continue
        if not granted.can_edit(name):
            continue
        value = value_schema(definition, for_input=True)
        properties[name] = {
            **_description(definition),
            **(value if definition.required else _nullable(value)),
        }
        if definition.required and definition.default is None and not is_patch:
            required.append(name)
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": f"{obj.state.label} ({'update' if is_patch else 'create'})",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def record_schema(obj: CompiledObject, access: FieldAccess) -> dict[str, Any]:
    """The schema of a record as the API returns it to the caller."""
    granted = access.on(obj)
    properties: dict[str, Any] = {}
    for name in SYSTEM_KEYS:
        column = SYSTEM_COLUMNS_BY_NAME[name]
        schema = _plain(column.json_schema)
        if not column.is_writable:
            schema["readOnly"] = True
        properties[name] = schema
    for name, compiled in obj.fields.items():
        definition = compiled.state.definition
        if not granted.can_read(name):
            continue
        shown = {"type": "string"} if name in granted.masks else None
        value = _nullable(shown or value_schema(definition, for_input=False))
        if (
            definition.type in COMPUTED_TYPES
            or definition.type is FieldType.FILE
            or not granted.can_edit(name)
        ):
            value["readOnly"] = True
        properties[name] = {**_description(definition), **value}
    required = list(properties)
    properties[LABELS_KEY] = {
        "description": "With labels=true: the label of each picklist value, by field",
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "null"},
            ]
        },
        "readOnly": True,
    }
    return {
        "$schema": DRAFT,
        "title": obj.state.label,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def object_schema_document(obj: CompiledObject, access: FieldAccess) -> dict[str, Any]:
    """`GET /schema/{object}`: the create-body schema; record and patch schemas in $defs."""
    schema = input_schema(obj, access)
    schema["$id"] = f"/api/v1/schema/{obj.state.api_name}"
    schema["$defs"] = {
        "record": _strip_draft(record_schema(obj, access)),
        "patch": _strip_draft(input_schema(obj, access, is_patch=True)),
    }
    return schema


def caller_schema_document(context: RequestContext, object_name: str) -> dict[str, Any]:
    """`GET /schema/{object}` as the caller sees the object (`object_schema_document`).

    Raises:
        NotFound: no such object, or one whose records the caller may not read.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    return object_schema_document(target.obj, target.fields)


def _strip_draft(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "$schema"}


def bulk_input_schema(catalog: Catalog, obj: CompiledObject, access: FieldAccess) -> dict[str, Any]:
    """The schema of one record of a bulk body (as `keyed_input_schema`)."""
    schema = keyed_input_schema(catalog, obj, access)
    schema["title"] = f"{obj.state.label} (bulk)"
    return schema


def keyed_input_schema(
    catalog: Catalog, obj: CompiledObject, access: FieldAccess, *, is_patch: bool = False
) -> dict[str, Any]:
    """The schema of a body the data API takes: lookups also by unique field or name.

    A lookup takes the target's id or its name (`"account": "Acme"`), or a key that
    follows it to a unique field (`"account.code": "C-1"`): see `lookup_keys.py`.
    """
    schema = input_schema(obj, access, is_patch=is_patch)
    properties = schema["properties"]
    lookups = [
        (name, compiled.state.definition)
        for name, compiled in obj.fields.items()
        if compiled.state.definition.type in REFERENCE_TYPES and name in properties
    ]
    for name, definition in lookups:
        target = catalog.objects[definition.target or ""]
        on_target = access.on(target)
        if not on_target.is_readable:
            # A lookup into records the caller may not read cannot be written by them.
            del properties[name]
            continue
        if target.name_field is not None and on_target.can_query(target.name_field):
            by_name = {
                "type": "string",
                "description": f"the id or the name of a {target.state.label}",
            }
            properties[name] = {
                **properties[name],
                **(by_name if definition.required else _nullable(by_name)),
            }
        for field in matching_fields(target):
            if not on_target.can_query(field):
                continue
            if field == "id":
                value: dict[str, Any] = {"type": "string", "format": "uuid"}
            else:
                matched = target.fields[field].state.definition
                value = value_schema(matched, for_input=matched.type not in COMPUTED_TYPES)
            properties[f"{name}.{field}"] = {
                "description": f"the {target.state.label} whose {field} this is",
                **_nullable(value),
            }
    # A required lookup may come by any of its keys.
    required = [key for key in schema.get("required", []) if key not in dict(lookups)]
    schema.pop("required", None)
    if required:
        schema["required"] = required
    return schema
