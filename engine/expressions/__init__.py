"""Expressions: the locked-down language of formulas, defaults and validation rules."""

from engine.expressions.check import CONSTANTS, ExpressionProblem, Signature, check_expression
from engine.expressions.policy import (
    MAX_LENGTH,
    MAX_NODES,
    PolicyViolation,
    parse_expression,
    policy_violations,
)

__all__ = [
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_NODES",
    "ExpressionProblem",
    "PolicyViolation",
    "Signature",
    "check_expression",
    "parse_expression",
    "policy_violations",
]
