"""Expressions: the locked-down language of formulas, defaults and validation rules."""

from engine.expressions.check import (
    CONSTANTS,
    ExpressionProblem,
    FunctionSignature,
    Signature,
    check_expression,
    referenced_names,
)
from engine.expressions.compiler import (
    CONTEXT_NAME,
    CompiledExpression,
    EvaluationError,
    ExpressionCompiler,
    InvalidExpression,
    path_key,
)
from engine.expressions.evaluation_context import (
    DEFAULT_TIME_LIMIT,
    EvaluationContext,
    ExpressionTimeout,
    RecordSource,
)
from engine.expressions.kinds import Kind, fits, kind_of_type
from engine.expressions.lookup_paths import MAX_HOPS, PathError, PathResolver, dotted_path
from engine.expressions.policy import (
    MAX_LENGTH,
    MAX_NODES,
    PolicyViolation,
    parse_expression,
    policy_violations,
)

__all__ = [
    "CONSTANTS",
    "CONTEXT_NAME",
    "DEFAULT_TIME_LIMIT",
    "MAX_HOPS",
    "MAX_LENGTH",
    "MAX_NODES",
    "CompiledExpression",
    "EvaluationContext",
    "EvaluationError",
    "ExpressionCompiler",
    "ExpressionProblem",
    "ExpressionTimeout",
    "FunctionSignature",
    "InvalidExpression",
    "Kind",
    "PathError",
    "PathResolver",
    "PolicyViolation",
    "RecordSource",
    "Signature",
    "check_expression",
    "dotted_path",
    "fits",
    "kind_of_type",
    "parse_expression",
    "path_key",
    "policy_violations",
    "referenced_names",
]
