"""Context objects passed explicitly to every engine entry point (no request globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from uuid import UUID

from sqlalchemy import Engine

from engine.budget import DEFAULT_SLICE, INLINE, RequestBudget, RequestLimits, Scheduler
from engine.catalog import CatalogCache
from engine.database import EventLoopScheduler, LoopShare, StoredSecret, sqlite_database_path
from engine.expressions import ExpressionCompiler
from engine.extensions import AfterWriteHook
from engine.files import FileStorage, default_file_storage

#: The largest file the server takes, whatever a field's `max_size` says (100 MiB;
#: TESSERA_MAX_FILE_BYTES).
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
#: How long an access token is good for (15 minutes; TESSERA_ACCESS_TOKEN_SECONDS).
DEFAULT_ACCESS_TOKEN_SECONDS = 15 * 60
#: How long a refresh token is good for (14 days; TESSERA_REFRESH_TOKEN_SECONDS).
DEFAULT_REFRESH_TOKEN_SECONDS = 14 * 24 * 3600
#: The name of the stored secret that signs access tokens when none is configured.
SIGNING_SECRET = "access_token_signing_key"


def _signing_secret() -> StoredSecret:
    return StoredSecret(SIGNING_SECRET)


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class EngineContext:
    """Process-wide state, built once by the application factory or the CLI.

    Attributes:
        db: the SQLAlchemy engine of the database holding system and tenant tables.
        catalogs: the bounded cache of compiled catalogs, keyed by tenant and revision.
        clock: the source of "now", replaceable in tests.
        limits: the budget of each request (docs/limits.md), from the settings.
        slice_seconds: how long a request holds the CPU before it lets others run.
        loop_share: the engine calls running on the server's event loop, so a long one
            knows when others wait (see `engine.database.governor`).
        after_write_hooks: what stage 9 of the save pipeline runs after every write, in
            the save's transaction (workflows and field history will register here).
        file_storage: where file fields' contents live (TESSERA_FILE_STORAGE); None is the
            default folder beside the database (see `files`).
        max_file_bytes: the largest file the server takes (TESSERA_MAX_FILE_BYTES): an
            upload stops there even when a field's `max_size` is larger.
        signing_secret: the key access tokens are signed with: TESSERA_SECRET_KEY, else one
            generated once and kept in the database (see `engine.database.secrets`).
        access_token_seconds: how long an access token is good for.
        refresh_token_seconds: how long a refresh token is good for.
    """

    db: Engine
    catalogs: CatalogCache = field(default_factory=CatalogCache)
    clock: Callable[[], datetime] = utc_now
    limits: RequestLimits = field(default_factory=RequestLimits)
    slice_seconds: float = DEFAULT_SLICE
    loop_share: LoopShare = field(default_factory=LoopShare)
    after_write_hooks: tuple[AfterWriteHook, ...] = ()
    file_storage: FileStorage | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    signing_secret: StoredSecret = field(default_factory=_signing_secret)
    access_token_seconds: int = DEFAULT_ACCESS_TOKEN_SECONDS
    refresh_token_seconds: int = DEFAULT_REFRESH_TOKEN_SECONDS

    @cached_property
    def files(self) -> FileStorage:
        """The file store: the configured one, else a folder beside the database.

        Nothing is created on disk until a file is stored.
        """
        if self.file_storage is not None:
            return self.file_storage
        return default_file_storage(sqlite_database_path(self.db))

    @property
    def dialect_name(self) -> str:
        """The database dialect, `sqlite` or `postgresql`."""
        return self.db.dialect.name

    @property
    def expressions(self) -> ExpressionCompiler:
        """The compiler of formulas, defaults and rules (owned by the catalog cache)."""
        return self.catalogs.compiler

    @property
    def is_async(self) -> bool:
        """Whether engine calls must run inside `greenlet_spawn` on an event loop."""
        return bool(self.db.dialect.is_async)

    @property
    def scheduler(self) -> Scheduler:
        """How a request lets others run: on the event loop it must pause; threads need not."""
        return EventLoopScheduler(self.loop_share) if self.is_async else INLINE

    def new_budget(self) -> RequestBudget:
        """A fresh budget for one request, with this process's limits."""
        return RequestBudget(
            self.limits, scheduler=self.scheduler, slice_seconds=self.slice_seconds
        )


@dataclass(frozen=True)
class TenantRef:
    """The tenant a request acts for, as its credential resolved it."""

    id: UUID
    name: str
    schema_name: str
    revision: int


@dataclass(frozen=True)
class Caller:
    """The user a request acts as, as its credential resolved it.

    Attributes:
        user_id: the user's id; written to `created_by`/`updated_by` and revisions.
        email: the user's e-mail (case-folded).
        name: the user's display name.
        role: the api name of the user's role in the role hierarchy, if any.
        manager_id: the user's manager, if any.
        partner_account: the partner account record the user belongs to, if any.
        permission_sets: the api names of the user's permission sets.
        locale: the user's locale (`zh-CN`, `en`), if set.
        credential: how the request authenticated (`key:<id>` or `token`), for the audit log.
    """

    user_id: UUID
    email: str
    name: str
    role: str | None = None
    manager_id: UUID | None = None
    partner_account: UUID | None = None
    permission_sets: tuple[str, ...] = ()
    locale: str | None = None
    credential: str = "token"


class Channel(StrEnum):
    """The path a write came in through, as field history records it (docs/audit.md)."""

    #: A request to the data API for one record (create, update, delete, a file).
    API = "api"
    #: `POST /data/{object}/bulk`.
    BULK = "bulk"
    #: `tessera data import`.
    IMPORT = "import"
    #: Another CLI command (`tessera privacy erase`).
    CLI = "cli"
    #: A workflow action writing records.
    WORKFLOW = "workflow"
    #: A bundle's seed data, written as it installs or upgrades.
    BUNDLE = "bundle"


@dataclass(frozen=True)
class RequestContext:
    """Everything one request's engine calls need.

    Attributes:
        engine: the process-wide context.
        tenant: the caller's tenant; every query is scoped to its schema.
        caller: the user the request acts as; what it may see and do follows from it.
        budget: what the request may still do (docs/limits.md). The server gives each
            request a fresh one from `EngineContext.new_budget()`; the default has the
            default limits, and the CLI passes `RequestBudget.unlimited()`.
        channel: the path the request came in through (`api` by default; the CLI, bulk
            writes, imports, workflows and bundles say theirs with `through`); field
            history records it with each change.
    """

    engine: EngineContext
    tenant: TenantRef
    caller: Caller
    budget: RequestBudget = field(default_factory=RequestBudget)
    channel: Channel = Channel.API

    def through(self, channel: Channel) -> RequestContext:
        """The same context, its writes coming in through `channel`."""
        return self if channel is self.channel else replace(self, channel=channel)

    @property
    def actor(self) -> str:
        """Who acts, as `created_by`, `updated_by` and revisions record it: the user's id."""
        return str(self.caller.user_id)
