"""User-context functions: who saves, and in which tenant."""

from __future__ import annotations

from engine.extensions import EvaluationContext, Kind, library_function
from plugins.functions.dates import VOLATILE_USAGES

CATEGORY = "User context"


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    needs_context=True,
    usages=VOLATILE_USAGES,
    examples=[
        ("CURRENT_USER()", "01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d"),
        ("CURRENT_USER() == '01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d'", True),
    ],
)
def CURRENT_USER(context: EvaluationContext) -> str | None:
    """Who saves the record: the actor of the request (such as "key:<key id>").

    Blank when no one is known (an internal job). It depends on who saves, so it is
    not allowed in stored formulas.
    """
    return context.user


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    needs_context=True,
    usages=VOLATILE_USAGES,
    examples=[
        ("CURRENT_TENANT()", "demo"),
        ("CONCAT(CURRENT_TENANT(), '-', code)", "demo-A1", {"code": "A1"}),
    ],
)
def CURRENT_TENANT(context: EvaluationContext) -> str | None:
    """The name of the tenant the record belongs to.

    Blank when no tenant is known. Like CURRENT_USER, it is not allowed in stored
    formulas.
    """
    return context.tenant
