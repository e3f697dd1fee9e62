"""Database access: engines, tenant-scoped connections, dialect hooks."""

from engine.database.availability import ensure_database, one_line, safe_url
from engine.database.connect import (
    create_database_engine,
    single_read_connection,
    sqlite_database_path,
    system_write_connection,
    tenant_connection,
)
from engine.database.governor import (
    EventLoopScheduler,
    LoopShare,
    bind_budget,
    charge_copied_rows,
    install_budget_hooks,
)
from engine.database.named_locks import hold_named_locks
from engine.database.postgresql import forget_stale_statements
from engine.database.secrets import StoredSecret
from engine.database.sqlite import CASEFOLD_FUNCTION, drop_tenant_file, tenant_files_directory

__all__ = [
    "CASEFOLD_FUNCTION",
    "EventLoopScheduler",
    "LoopShare",
    "StoredSecret",
    "bind_budget",
    "charge_copied_rows",
    "create_database_engine",
    "drop_tenant_file",
    "ensure_database",
    "forget_stale_statements",
    "hold_named_locks",
    "install_budget_hooks",
    "one_line",
    "safe_url",
    "single_read_connection",
    "sqlite_database_path",
    "system_write_connection",
    "tenant_connection",
    "tenant_files_directory",
]
