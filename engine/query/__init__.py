"""The query compiler: the one filter language, compiled to SQL with bound parameters."""

from engine.query.aggregates import AggregateQuery, aggregate_records
from engine.query.errors import InvalidQuery
from engine.query.field_access import (
    FULL_ACCESS,
    NO_ACCESS,
    AllFields,
    FieldAccess,
    Mask,
    ObjectAccess,
    refuse_unqueryable,
    refuse_unreadable_object,
)
from engine.query.filters import compile_filter, decode_filter, filter_size_problems
from engine.query.listing import MAX_LIMIT, ListQuery, base_condition, build_plan, list_records
from engine.query.paths import JoinPlan, comparable_definition
from engine.query.projection import read_one
from engine.query.scope import AllRows, QueryScope

__all__ = [
    "FULL_ACCESS",
    "MAX_LIMIT",
    "NO_ACCESS",
    "AggregateQuery",
    "AllFields",
    "AllRows",
    "FieldAccess",
    "InvalidQuery",
    "JoinPlan",
    "ListQuery",
    "Mask",
    "ObjectAccess",
    "QueryScope",
    "aggregate_records",
    "base_condition",
    "build_plan",
    "comparable_definition",
    "compile_filter",
    "decode_filter",
    "filter_size_problems",
    "list_records",
    "read_one",
    "refuse_unqueryable",
    "refuse_unreadable_object",
]
