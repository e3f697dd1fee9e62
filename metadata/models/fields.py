"""Field definitions: the JSON shape of a field in the admin API and in bundles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from metadata.models.field_types import FieldType, OnDelete, RollupFunction

ApiName = Annotated[str, StringConstraints(min_length=1, max_length=63)]
#: The longest label (objects keep theirs in columns of 255 characters; every label, field
#: and picklist ones included, follows the same limit).
MAX_LABEL_LENGTH = 255
#: The longest help text and description.
MAX_TEXT_OPTION_LENGTH = 10_000
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_LENGTH)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT_OPTION_LENGTH)]


class PicklistValue(BaseModel):
    """One value of a picklist, in display order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    label: Label | None = None
    active: bool = True


def _value_from_text(value: Any) -> Any:
    """A picklist value written as a plain string is that value, labelled as itself."""
    if isinstance(value, str):
        return {"value": value}
    if not isinstance(value, dict | PicklistValue):
        raise ValueError('a picklist value is text ("hot") or an object ({"value": "hot"})')
    return value


#: A picklist value as given: `{"value": "hot", "label": "Hot"}`, or just `"hot"`.
PicklistEntry = Annotated[
    PicklistValue,
    BeforeValidator(_value_from_text, json_schema_input_type=str | PicklistValue),
]


class RollupDef(BaseModel):
    """What a roll-up summary aggregates: a child object's field, optionally filtered.

    `link` names the child's lookup or master-detail field that leads to the parent;
    without it the child's first master-detail (else first lookup) to the parent is
    followed. An object with two lookups to itself (`parent`, `billing_parent`) keeps
    one hierarchy per lookup, each with its own roll-ups.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    child: ApiName
    field: ApiName | None = None
    function: RollupFunction
    filter: dict[str, Any] | None = None
    link: ApiName | None = None


class FieldDef(BaseModel):
    """A field as an implementer declares it; only the options that fit its type are set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName
    label: Label | None = None
    type: FieldType
    required: bool = False
    unique: bool = False
    indexed: bool = False
    #: Whether global search finds records by this field; documents carry it only when true.
    searchable: bool = Field(default=False, exclude_if=lambda value: not value)
    #: Whether the field holds personal data, shown masked to callers without `view_pii`
    #: (docs/permissions.md); documents carry it only when true.
    pii: bool = Field(default=False, exclude_if=lambda value: not value)
    #: Whether every change of the field's stored value is kept in its field history
    #: (docs/audit.md); not on computed types. Documents carry it only when true.
    track_history: bool = Field(default=False, exclude_if=lambda value: not value)
    default: Any = None
    help_text: LongText | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    min: float | int | str | None = None
    max: float | int | str | None = None
    precision: Annotated[int, Field(ge=1)] | None = None
    scale: Annotated[int, Field(ge=0)] | None = None
    values: list[PicklistEntry] | None = None
    target: ApiName | None = None
    on_delete: OnDelete | None = None
    format: str | None = None
    expression: str | None = None
    return_type: FieldType | None = None
    rollup: RollupDef | None = None
    max_size: Annotated[int, Field(ge=1)] | None = None
    accept: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None = None

    def set_options(self) -> set[str]:
        """Return the names of the options given a value other than their default."""
        return {
            name
            for name, info in type(self).model_fields.items()
            if getattr(self, name) != info.default
        }


class FieldPatch(BaseModel):
    """A change to a field: every key is optional; `api_name` renames, `type` converts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName | None = None
    label: Label | None = None
    type: FieldType | None = None
    required: bool | None = None
    unique: bool | None = None
    indexed: bool | None = None
    searchable: bool | None = None
    pii: bool | None = None
    track_history: bool | None = None
    default: Any = None
    help_text: LongText | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    min: float | int | str | None = None
    max: float | int | str | None = None
    precision: Annotated[int, Field(ge=1)] | None = None
    scale: Annotated[int, Field(ge=0)] | None = None
    values: list[PicklistEntry] | None = None
    target: ApiName | None = None
    on_delete: OnDelete | None = None
    format: str | None = None
    expression: str | None = None
    return_type: FieldType | None = None
    rollup: RollupDef | None = None
    max_size: Annotated[int, Field(ge=1)] | None = None
    accept: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None = None


class FieldRestore(BaseModel):
    """What to change as a deleted field comes back (the body of a restore; all optional).

    A required field's records created while it was deleted have no value: a `default`
    fills them (and stays the field's default), `required: false` brings it back optional.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool | None = None
    default: Any = None


def default_expression(definition: FieldDef) -> str | None:
    """Return the expression of a default given as `{"expression": "…"}`, else None."""
    default = definition.default
    if isinstance(default, dict) and set(default) == {"expression"}:
        expression = default["expression"]
        return expression if isinstance(expression, str) else None
    return None
