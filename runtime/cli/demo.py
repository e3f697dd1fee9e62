"""The demo tenant of `tessera serve --demo` and its one API key, the same on every start.

Tessera stores only a hash of a key, so a key can be shown again only if its secret is
kept somewhere. The demo key's secret is kept in a file readable by its owner alone
(mode 0600): beside a SQLite database (`tessera.db.demo-key`), else `tessera.demo-key`
in the working directory, or where TESSERA_DEMO_KEY_FILE says. Each start reuses the key
in that file while it still works for the demo tenant; otherwise it issues a new one and
writes it there. Either way every other demo key is revoked, so the demo tenant has one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.context import EngineContext
from engine.database import sqlite_database_path
from engine.errors import AuthenticationFailed, NotFound
from engine.tenancy import (
    authenticate,
    create_api_key,
    create_tenant,
    get_tenant,
    revoke_key,
    tenant_keys,
)

DEMO_TENANT = "demo"
# A label of its own: keys an implementer labels "demo" are theirs and are never revoked.
DEMO_KEY_LABEL = "serve --demo"
# Keys that `serve --demo` issued on every start before it kept one ("make run").
_DEMO_LABELS = frozenset({DEMO_KEY_LABEL, "make run"})
_OWNER_ONLY = 0o600


@dataclass(frozen=True)
class DemoKey:
    """The demo tenant's key, where its secret is kept, and whether this start issued it."""

    api_key: str
    key_file: Path
    is_new: bool


def default_demo_key_file(context: EngineContext) -> Path:
    """Return where the demo key is kept when TESSERA_DEMO_KEY_FILE does not say."""
    database = sqlite_database_path(context.db)
    if database is not None:
        return database.with_name(database.name + ".demo-key")
    return Path("tessera.demo-key").resolve()


def ensure_demo_tenant(context: EngineContext) -> str:
    """Create the demo tenant if it does not exist; return its name."""
    try:
        get_tenant(context, DEMO_TENANT)
    except NotFound:
        create_tenant(context, DEMO_TENANT)
    return DEMO_TENANT


def ensure_demo_key(context: EngineContext, *, key_file: Path) -> DemoKey:
    """Return the demo tenant's one key, creating the tenant and the key if needed."""
    ensure_demo_tenant(context)
    kept = _kept_key(context, key_file)
    if kept is None:
        issued = create_api_key(context, DEMO_TENANT, label=DEMO_KEY_LABEL)
        _write_owner_only(key_file, issued.api_key)
        key_id, api_key = issued.id, issued.api_key
    else:
        key_id, api_key = kept
        key_file.chmod(_OWNER_ONLY)
    for row in tenant_keys(context, DEMO_TENANT):
        if row.id != key_id and row.revoked_at is None and row.label in _DEMO_LABELS:
            revoke_key(context, row.id)
    return DemoKey(api_key=api_key, key_file=key_file, is_new=kept is None)


def _kept_key(context: EngineContext, key_file: Path) -> tuple[str, str] | None:
    """Return (key id, key) of the kept key if it still works for the demo tenant."""
    if key_file.is_symlink():
        return None  # not a file this command wrote: issue a key and replace the link
    try:
        api_key = key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    try:
        credential = authenticate(context, api_key)
    except AuthenticationFailed:
        return None  # revoked, or kept for a database that was since replaced
    if credential.tenant.name != DEMO_TENANT or credential.key_id is None:
        return None
    return credential.key_id, api_key


def _write_owner_only(path: Path, content: str) -> None:
    """Replace `path` with `content`, readable and writable by its owner alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes a new file (O_EXCL, mode 0600) under a name nobody could have planted.
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content + "\n")
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
