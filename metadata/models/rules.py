"""Validation rules: expressions that flag a record as invalid, with the message to show."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from metadata.models.fields import ApiName, LongText

Expression = Annotated[str, StringConstraints(min_length=1)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ValidationRuleDef(BaseModel):
    """A rule as an implementer declares it: the record fails when `expression` is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName
    expression: Expression
    message: Message
    field: ApiName | None = None
    active: bool = True
    description: LongText | None = None


class ValidationRulePatch(BaseModel):
    """A change to a rule: every key is optional; `api_name` renames it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_name: ApiName | None = None
    expression: Expression | None = None
    message: Message | None = None
    field: ApiName | None = None
    active: bool | None = None
    description: LongText | None = None


class ValidationRuleState(BaseModel):
    """A rule as stored, with its stable id."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    definition: ValidationRuleDef

    @property
    def api_name(self) -> str:
        """The rule's api name."""
        return self.definition.api_name


def export_rule(rule: ValidationRuleState) -> dict[str, object]:
    """Return a rule in its API shape, with its id."""
    return {"id": str(rule.id), **rule.definition.model_dump(mode="json", exclude_none=True)}
