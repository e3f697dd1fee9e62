"""The audit log: who did what to access and identity, readable with the view_audit right."""

from engine.audit.log import AuditEvent, list_events, record_event

__all__ = ["AuditEvent", "list_events", "record_event"]
