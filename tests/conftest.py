"""Fixtures shared by the whole suite: databases on both dialects, contexts, HTTP clients."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.access import new_user
from engine.access.upkeep import users_changed
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine, tenant_connection
from engine.files import LocalFileStorage, release_blobs
from engine.files.s3_storage import S3FileStorage
from engine.query import AllRows
from engine.records import RecordWriter
from engine.tenancy import authenticate, create_api_key, create_tenant, get_tenant
from metadata.store import insert_user
from migrations import upgrade_system_tables
from runtime.app import create_app

POSTGRES_SERVER = os.environ.get(
    "TESSERA_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database made for this test session, dropped at its end."""
    if not _postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI and does not answer at {POSTGRES_SERVER}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_SERVER}")
    name = f"tessera_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_SERVER}/{name}"
    engine = create_database_engine(url)
    upgrade_system_tables(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgresql_only"):
            pytest.skip("PostgreSQL-only behaviour")
        return f"sqlite:///{tmp_path / 'tessera.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def engine_context(database_url: str, tmp_path: Path) -> Iterator[EngineContext]:
    """An engine context on a migrated database, its files in a folder of the test's own."""
    engine = create_database_engine(database_url)
    upgrade_system_tables(engine)
    yield EngineContext(db=engine, file_storage=LocalFileStorage(tmp_path / "files"))
    engine.dispose()


def unique_tenant_name(prefix: str = "t") -> str:
    """A tenant name no other test uses (tests share the session's PostgreSQL database)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass
class TenantHandle:
    """A tenant created for a test, with an API key and ready-made request context."""

    name: str
    api_key: str
    key_id: str
    engine: EngineContext
    #: The tenant's first admin user, whom the key acts as.
    user_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def context(self) -> RequestContext:
        """A request context at the tenant's current revision (as a request would build it)."""
        credential = authenticate(self.engine, self.api_key)
        return RequestContext(
            engine=self.engine, tenant=credential.tenant, caller=credential.caller
        )

    @contextmanager
    def writer(self) -> Iterator[RecordWriter]:
        """A RecordWriter for the whole tenant in one transaction, committed at the end
        (then the blobs of the files its writes let go are removed)."""
        context = self.context()
        with (
            tenant_connection(
                context.engine.db, context.tenant.schema_name, is_write=True
            ) as connection,
            connection.begin(),
        ):
            writer = RecordWriter(connection, context, AllRows())
            yield writer
        release_blobs(context.engine.files, writer.released)


def add_user(
    tenant: TenantHandle,
    email: str,
    *,
    permission_sets: tuple[str, ...] = ("administrator",),
    role: str | None = None,
    partner_account: uuid.UUID | None = None,
) -> TenantHandle:
    """Store another user of `tenant` with an API key; return a handle acting as them.

    Record sharing learns of the user as the users API tells it (`users_changed`).
    """
    engine = tenant.engine
    tenant_ref = get_tenant(engine, tenant.name)
    user = new_user(
        tenant_ref.id,
        email=email,
        name=email.split("@")[0],
        now=engine.clock(),
        role=role,
        partner_account=partner_account,
        permission_sets=list(permission_sets),
    )
    with (
        tenant_connection(engine.db, tenant_ref.schema_name, is_write=True) as connection,
        connection.begin(),
    ):
        insert_user(connection, user)
        users_changed(connection, engine, tenant_ref)
    key = create_api_key(engine, tenant.name, user_id=user.id)
    return TenantHandle(
        name=tenant.name, api_key=key.api_key, key_id=key.id, engine=engine, user_id=user.id
    )


def make_tenant(engine: EngineContext, prefix: str = "t") -> TenantHandle:
    """Create a tenant with one key."""
    name = unique_tenant_name(prefix)
    create_tenant(engine, name)
    key = create_api_key(engine, name)
    return TenantHandle(
        name=name, api_key=key.api_key, key_id=key.id, engine=engine, user_id=key.user_id
    )


@pytest.fixture
def tenant(engine_context: EngineContext) -> Iterator[TenantHandle]:
    """A fresh tenant; its schema is dropped afterwards on PostgreSQL."""
    handle = make_tenant(engine_context)
    yield handle
    drop_tenant_schema(engine_context, handle.name)


def drop_tenant_schema(engine: EngineContext, name: str) -> None:
    """Remove a test tenant's schema (PostgreSQL keeps it in the shared session database)."""
    if engine.dialect_name == "postgresql":
        with engine.db.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "t_{name}" CASCADE'))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible HTTP server on the loopback (moto's), for this test session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint: str) -> S3FileStorage:
    """An S3 file store on a bucket of its own, reached over HTTP like a real one."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="tessera-test",
        aws_secret_access_key="tessera-test",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    bucket = f"files-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3FileStorage(bucket, prefix="tessera/test", client=client)


@pytest.fixture
def app_client(engine_context: EngineContext) -> Iterator[TestClient]:
    """An HTTP client on the app bound to `engine_context`."""
    with TestClient(create_app(engine_context)) as client:
        yield client


@dataclass
class Api:
    """An HTTP client speaking as one tenant."""

    client: TestClient
    tenant: TenantHandle

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: object
    ):
        merged = {**self.tenant.headers, **(headers or {})}
        return self.client.request(method, f"/api/v1{path}", headers=merged, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, **kwargs: object):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object):
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: object):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: object):
        return self.request("DELETE", path, **kwargs)

    def create(self, object_name: str, **values: object) -> str:
        """Create a record through the data API (201 expected); return its id."""
        response = self.post(f"/data/{object_name}", json=values)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@pytest.fixture
def api(app_client: TestClient, tenant: TenantHandle) -> Api:
    """The admin API as a fresh tenant."""
    return Api(client=app_client, tenant=tenant)
