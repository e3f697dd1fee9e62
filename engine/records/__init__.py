"""Records: typed create, read, update and delete of an object's rows."""

from engine.records.service import (
    compiled_object,
    create_record,
    delete_record,
    get_record,
    insert_record,
    update_record,
)
from engine.records.values import ValueProblem, coerce_value, render_value

__all__ = [
    "ValueProblem",
    "coerce_value",
    "compiled_object",
    "create_record",
    "delete_record",
    "get_record",
    "insert_record",
    "render_value",
    "update_record",
]
