"""Records: typed create, read, update and delete of an object's rows.

The functions taking a `RequestContext` open their own transaction; `RecordWriter`
writes inside a caller's transaction. Both run the one save pipeline.
"""

from engine.catalog.values import ValueProblem, coerce_value
from engine.records.after_write import MAX_AFTER_WRITE_DEPTH
from engine.records.attachments import (
    FileDownload,
    UploadTarget,
    attach_file,
    detach_file,
    open_file,
    prepare_upload,
)
from engine.records.bulk import MAX_BATCH, BatchResult, bulk_write, write_batch
from engine.records.history import HistoryReader, record_history
from engine.records.object_rights import (
    CallerObject,
    caller_object,
    refuse_unwritable,
)
from engine.records.permissions import caller_scope
from engine.records.queries import aggregate, query_records, search
from engine.records.service import (
    compiled_object,
    create_record,
    delete_record,
    get_record,
    read_record,
    update_files,
    update_record,
)
from engine.records.writes import RecordWriter

__all__ = [
    "MAX_AFTER_WRITE_DEPTH",
    "MAX_BATCH",
    "BatchResult",
    "CallerObject",
    "FileDownload",
    "HistoryReader",
    "RecordWriter",
    "UploadTarget",
    "ValueProblem",
    "aggregate",
    "attach_file",
    "bulk_write",
    "caller_object",
    "caller_scope",
    "coerce_value",
    "compiled_object",
    "create_record",
    "delete_record",
    "detach_file",
    "get_record",
    "open_file",
    "prepare_upload",
    "query_records",
    "read_record",
    "record_history",
    "refuse_unwritable",
    "search",
    "update_files",
    "update_record",
    "write_batch",
]
