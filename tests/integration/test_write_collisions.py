"""Writes that lose to concurrent writes: a retryable 503, never a 500.

PostgreSQL ends one of two transactions that lock rows in opposite orders; SQLite gives up
on a write lock held too long. Either way the loser's transaction was rolled back, so the
engine raises `WritesCollided` (503 with `Retry-After`) and the winner's writes stand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engine import records
from engine.database import create_database_engine
from engine.errors import WritesCollided
from tests.conftest import TenantHandle


@pytest.fixture
def scratch(database_url: str) -> Iterator[tuple[Engine, str]]:
    """A table of two rows (ids 1 and 2) on a fresh engine, dropped afterwards."""
    engine = create_database_engine(database_url)
    table = f"collide_{uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.exec_driver_sql(f"INSERT INTO {table} VALUES (1, 0), (2, 0)")
    yield engine, table
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {table}")
    engine.dispose()


@pytest.mark.postgresql_only
def test_a_deadlock_rolls_one_writer_back_with_writes_collided(
    scratch: tuple[Engine, str],
) -> None:
    engine, table = scratch
    both_hold_one_row = threading.Barrier(2, timeout=10)
    update = sa.text(f"UPDATE {table} SET n = n + 1 WHERE id = :id")

    def write(first: int, second: int) -> str:
        try:
            with engine.begin() as connection:
                connection.execute(update, {"id": first})
                both_hold_one_row.wait()
                connection.execute(update, {"id": second})
        except WritesCollided:
            return "collided"
        return "written"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(write, (1, 2), (2, 1)))

    assert outcomes == ["collided", "written"]
    with engine.connect() as connection:
        counts = connection.execute(sa.text(f"SELECT n FROM {table} ORDER BY id")).scalars()
        # Only the winner's two updates stand: the loser's first one was rolled back.
        assert list(counts) == [1, 1]


def test_a_write_lock_held_too_long_is_writes_collided(
    scratch: tuple[Engine, str], database_url: str
) -> None:
    engine, table = scratch
    with engine.connect() as holder:
        holder.begin()
        holder.execute(sa.text(f"UPDATE {table} SET n = 7 WHERE id = 1"))
        with engine.connect() as waiter:
            if database_url.startswith("sqlite"):
                waiter.exec_driver_sql("PRAGMA busy_timeout = 50")
            else:
                waiter.begin()
                waiter.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            with pytest.raises(WritesCollided, match="send it again"):
                # On SQLite the write lock is taken at BEGIN IMMEDIATE, on PostgreSQL at the row.
                if database_url.startswith("sqlite"):
                    waiter.exec_driver_sql("BEGIN IMMEDIATE")
                waiter.execute(sa.text(f"UPDATE {table} SET n = 9 WHERE id = 1"))
        holder.commit()
    with engine.connect() as connection:
        value = connection.execute(sa.text(f"SELECT n FROM {table} WHERE id = 1")).scalar()
        assert value == 7


def test_writes_collided_reaches_the_client_as_a_retryable_503(
    app_client: TestClient, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def collide(*_args: object, **_kwargs: object) -> None:
        raise WritesCollided("the request collided with concurrent writes; send it again")

    monkeypatch.setattr(records, "query_records", collide)
    response = app_client.get(
        "/api/v1/data/account", headers={"Authorization": f"Bearer {tenant.api_key}"}
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/writes-collided")
    assert "send it again" in response.json()["detail"]
