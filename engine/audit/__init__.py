"""The audit log: who did what to access and identity, readable with the view_audit right."""

from engine.audit.log import AuditEvent, list_events, record_event
from engine.audit.paging import MAX_LOG_PAGE, decode_id_cursor, next_id_cursor

__all__ = [
    "MAX_LOG_PAGE",
    "AuditEvent",
    "decode_id_cursor",
    "list_events",
    "next_id_cursor",
    "record_event",
]
