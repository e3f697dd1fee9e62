"""Record-context functions: what the save changes (validation rules and conditions only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.extensions import EvaluationContext, Example, Kind, Usage, library_function

CATEGORY = "Record context"

# A stored formula or a default has no "before" to compare with.
SAVE_USAGES = frozenset({Usage.VALIDATION, Usage.CONDITION})


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    needs_context=True,
    usages=SAVE_USAGES,
    examples=[
        Example("ISNEW()", True, record={"name": "Acme"}, prior=None),
        Example("ISNEW()", False, record={"name": "Acme"}, prior={"name": "Acme"}),
    ],
)
def ISNEW(context: EvaluationContext) -> bool:
    """Whether the record is being created (rather than updated).

    It reads no field, so blank values play no part.
    """
    return context.is_new


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    needs_context=True,
    field_arguments=(0,),
    usages=SAVE_USAGES,
    examples=[
        Example(
            "ISCHANGED(amount)",
            True,
            record={"amount": Decimal("200.00")},
            prior={"amount": Decimal("100.00")},
        ),
        Example(
            "ISCHANGED(amount)",
            False,
            record={"amount": Decimal("100.00")},
            prior={"amount": Decimal("100.00")},
        ),
        Example("ISCHANGED(amount)", True, record={"amount": None}, prior={"amount": 5}),
        Example("ISCHANGED(amount)", False, record={"amount": 5}, prior=None),
    ],
)
def ISCHANGED(context: EvaluationContext, field: str) -> bool:
    """Whether this save changes the field.

    The argument is a field of the record, named directly: ISCHANGED(amount). Clearing
    a value, or filling a blank one, is a change. A record being created has no
    changes: ISCHANGED is always false on create (use ISNEW).
    """
    if context.is_new:
        return False
    return bool(context.prior.get(field) != context.current.get(field))


@library_function(
    category=CATEGORY,
    returns=Kind.ANY,
    needs_context=True,
    field_arguments=(0,),
    usages=SAVE_USAGES,
    examples=[
        Example(
            "PRIORVALUE(stage)",
            "open",
            record={"stage": "won"},
            prior={"stage": "open"},
        ),
        Example(
            "amount < PRIORVALUE(amount)",
            True,
            record={"amount": 80},
            prior={"amount": 100},
        ),
        Example("PRIORVALUE(stage)", None, record={"stage": "open"}, prior=None),
    ],
)
def PRIORVALUE(context: EvaluationContext, field: str) -> Any:
    """The value the field had before this save.

    The argument is a field of the record, named directly: PRIORVALUE(stage). On
    create, and when the field was blank, the result is blank.
    """
    return context.prior.get(field)
