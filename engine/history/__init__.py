"""Field history: every change of a tracked field's stored value, who made it and how."""

from engine.history.purge import drop_purged_history
from engine.history.recording import FieldHistory, json_value
from engine.history.table import HISTORY_TABLE, create_history_table, history_table

__all__ = [
    "HISTORY_TABLE",
    "FieldHistory",
    "create_history_table",
    "drop_purged_history",
    "history_table",
    "json_value",
]
