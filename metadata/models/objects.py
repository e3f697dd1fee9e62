"""Object definitions and the stored metadata state of a tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from metadata.models.access import ComponentKind, ComponentState
from metadata.models.fields import ApiName, FieldDef, Label, LongText
from metadata.models.rules import ValidationRuleDef, ValidationRuleState, export_rule


class ObjectDef(BaseModel):
    """An object as an implementer declares it, optionally with its first fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName
    label: Label | None = None
    plural_label: Label | None = None
    description: LongText | None = None
    fields: list[FieldDef] = []
    validation_rules: list[ValidationRuleDef] = []


class ObjectPatch(BaseModel):
    """A change to an object's own attributes; `api_name` renames the table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName | None = None
    label: Label | None = None
    plural_label: Label | None = None
    description: LongText | None = None


class FieldState(BaseModel):
    """A field as stored: its stable id, its column and whether it is deleted."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    column_name: str
    definition: FieldDef
    deleted_at: datetime | None = None

    @property
    def api_name(self) -> str:
        """The field's api name."""
        return self.definition.api_name

    @property
    def is_deleted(self) -> bool:
        """Whether the field is deleted (its column and data are kept until purged)."""
        return self.deleted_at is not None


class ObjectState(BaseModel):
    """An object as stored: stable id, table name, attributes and every field, deleted or not."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    api_name: ApiName
    table_name: str
    label: str
    plural_label: str
    description: str | None = None
    fields: tuple[FieldState, ...] = ()
    validation_rules: tuple[ValidationRuleState, ...] = ()
    deleted_at: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        """Whether the object is deleted (its table and data are kept until purged)."""
        return self.deleted_at is not None

    @property
    def live_fields(self) -> tuple[FieldState, ...]:
        """The fields that are not deleted, in declaration order."""
        return tuple(field for field in self.fields if not field.is_deleted)

    def find_rule(self, api_name: str) -> ValidationRuleState | None:
        """Return the validation rule with this api name."""
        return next((r for r in self.validation_rules if r.api_name == api_name), None)

    def find_field(self, api_name: str, *, include_deleted: bool = False) -> FieldState | None:
        """Return the live (or, if asked, deleted) field with this api name."""
        for field in self.fields:
            if field.api_name == api_name and (include_deleted or not field.is_deleted):
                return field
        return None


class TenantMetadata(BaseModel):
    """Everything a tenant has declared, at one revision."""

    model_config = ConfigDict(frozen=True)

    tenant_id: UUID
    schema_name: str
    revision: int
    objects: tuple[ObjectState, ...] = ()
    #: Components of the access kinds (and later kinds), in the order they were made.
    components: tuple[ComponentState, ...] = ()

    @property
    def live_objects(self) -> tuple[ObjectState, ...]:
        """The objects that are not deleted."""
        return tuple(obj for obj in self.objects if not obj.is_deleted)

    def find_object(self, api_name: str, *, include_deleted: bool = False) -> ObjectState | None:
        """Return the live (or, if asked, deleted) object with this api name."""
        for obj in self.objects:
            if obj.api_name == api_name and (include_deleted or not obj.is_deleted):
                return obj
        return None

    def components_of(
        self, kind: ComponentKind, *, object_id: UUID | None = None
    ) -> tuple[ComponentState, ...]:
        """The components of one kind (of one object, for per-object kinds)."""
        return tuple(
            c
            for c in self.components
            if c.kind == kind and (object_id is None or c.object_id == object_id)
        )

    def find_component(
        self, kind: ComponentKind, api_name: str, *, object_id: UUID | None = None
    ) -> ComponentState | None:
        """The component of this kind and name (of this object), if any."""
        for component in self.components_of(kind, object_id=object_id):
            if component.api_name == api_name:
                return component
        return None

    def export(self) -> dict[str, Any]:
        """Return the tenant's live metadata as one JSON-able document."""
        objects = []
        for obj in self.live_objects:
            document = export_object(obj)
            sharing = self.components_of(ComponentKind.OBJECT_SHARING, object_id=obj.id)
            document["sharing"] = (
                sharing[0].definition if sharing else {"default_access": "private"}
            )
            document["sharing_rules"] = [
                c.definition
                for c in self.components_of(ComponentKind.SHARING_RULE, object_id=obj.id)
            ]
            objects.append(document)
        partner = self.components_of(ComponentKind.PARTNER_SETTINGS)
        return {
            "revision": self.revision,
            "objects": objects,
            "roles": [c.definition for c in self.components_of(ComponentKind.ROLE)],
            "groups": [c.definition for c in self.components_of(ComponentKind.GROUP)],
            "permission_sets": [
                c.definition for c in self.components_of(ComponentKind.PERMISSION_SET)
            ],
            "partner_settings": partner[0].definition if partner else None,
        }


def export_field(field: FieldState) -> dict[str, Any]:
    """Return a field in its API shape, with its id and only the keys that fit its type."""
    body = field.definition.model_dump(mode="json", exclude_none=True)
    document = {"id": str(field.id), **body}
    if field.is_deleted:
        document["deleted_at"] = field.deleted_at.isoformat() if field.deleted_at else None
    return document


def export_object(obj: ObjectState, *, include_deleted_fields: bool = False) -> dict[str, Any]:
    """Return an object in its API shape, with its fields."""
    fields = obj.fields if include_deleted_fields else obj.live_fields
    document: dict[str, Any] = {
        "id": str(obj.id),
        "api_name": obj.api_name,
        "label": obj.label,
        "plural_label": obj.plural_label,
        "description": obj.description,
        "fields": [export_field(field) for field in fields],
        "validation_rules": [export_rule(rule) for rule in obj.validation_rules],
    }
    if obj.is_deleted:
        document["deleted_at"] = obj.deleted_at.isoformat() if obj.deleted_at else None
    return document
