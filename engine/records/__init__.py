"""Records: typed create, read, update and delete of an object's rows."""

from engine.catalog.values import ValueProblem, coerce_value
from engine.records.after_write import MAX_AFTER_WRITE_DEPTH
from engine.records.bulk import MAX_BATCH, BatchResult, bulk_write, write_batch
from engine.records.permissions import caller_scope
from engine.records.queries import aggregate, query_records
from engine.records.service import (
    compiled_object,
    create_record,
    delete_record,
    get_record,
    read_record,
    update_record,
)

__all__ = [
    "MAX_AFTER_WRITE_DEPTH",
    "MAX_BATCH",
    "BatchResult",
    "ValueProblem",
    "aggregate",
    "bulk_write",
    "caller_scope",
    "coerce_value",
    "compiled_object",
    "create_record",
    "delete_record",
    "get_record",
    "query_records",
    "read_record",
    "update_record",
    "write_batch",
]
