"""Compile a tenant's metadata, once per revision, into what requests use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from uuid import UUID

from sqlalchemy import Column, MetaData, Table

from engine.catalog.renderers import Renderer, value_renderer
from engine.catalog.tables import build_tables
from engine.catalog.values import Coercer, value_coercer
from metadata.models import FieldState, ObjectState, TenantMetadata


@dataclass(frozen=True)
class CompiledField:
    """A live field, its column, and how its stored values render as JSON."""

    state: FieldState
    column: Column[object]
    render: Renderer | None = None
    coerce: Coercer | None = None


@dataclass(frozen=True)
class CompiledObject:
    """A live object: its table and its live fields by api name."""

    state: ObjectState
    table: Table
    fields: Mapping[str, CompiledField]


@dataclass(frozen=True)
class Catalog:
    """A tenant's metadata at one revision, compiled: tables of every object, live ones by name."""

    metadata_state: TenantMetadata
    sql_metadata: MetaData
    tables_by_id: Mapping[UUID, Table]
    objects: Mapping[str, CompiledObject]

    @property
    def revision(self) -> int:
        """The revision this catalog was compiled from."""
        return self.metadata_state.revision


def compile_catalog(state: TenantMetadata) -> Catalog:
    """Return the catalog of `state` (pure: no I/O)."""
    sql_metadata, tables = build_tables(state)
    compiled: dict[str, CompiledObject] = {}
    for obj in state.live_objects:
        table = tables[obj.id]
        compiled[obj.api_name] = CompiledObject(
            state=obj,
            table=table,
            fields=MappingProxyType(
                {
                    field.api_name: CompiledField(
                        state=field,
                        column=table.c[field.column_name],
                        render=value_renderer(field.definition),
                        coerce=value_coercer(field.definition),
                    )
                    for field in obj.live_fields
                }
            ),
        )
    return Catalog(
        metadata_state=state,
        sql_metadata=sql_metadata,
        tables_by_id=MappingProxyType(tables),
        objects=MappingProxyType(compiled),
    )
