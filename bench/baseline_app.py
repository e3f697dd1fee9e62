"""The baseline: a tuned hand-written app for the benchmark's `deal` table.

Async FastAPI endpoints, SQLAlchemy Core on psycopg's async driver, orjson responses,
the same columns, the same API-key check (one indexed query per request), the same
database and server settings as Tessera. Its answers have Tessera's JSON shape (every
system key, a keyset page with a next cursor) and its reads run in autocommit, as
Tessera's do. It is the fastest a hand-written app on this stack gets, so Tessera's ratio
against it is an honest one.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import FastAPI, Header, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import create_async_engine
from uuid_utils.compat import uuid7

DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
SCHEMA = os.environ.get("BENCH_SCHEMA", "t_bench")

engine = create_async_engine(DATABASE_URL, pool_size=20, max_overflow=10)
metadata = MetaData()
deal = Table(
    "deal",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("created_by", String(255)),
    Column("updated_by", String(255)),
    Column("owner_id", Uuid),
    Column("version", BigInteger),
    Column("name", String(120)),
    Column("stage", String(255)),
    Column("amount", Numeric(18, 2)),
    Column("close_date", Date),
    Column("seats", BigInteger),
    schema=SCHEMA,
)
api_keys = Table(
    "tessera_api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("secret_hash", String(64)),
    Column("revoked_at", DateTime(timezone=True)),
)

app = FastAPI()


class DealIn(BaseModel):
    name: Annotated[str, Field(max_length=120)]
    stage: str | None = None
    amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    close_date: date | None = None
    seats: int | None = None


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def _json(document: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(document, default=_default), status_code=status, media_type="application/json"
    )


def _record(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "created_by": row.created_by,
        "updated_by": row.updated_by,
        "owner_id": None if row.owner_id is None else str(row.owner_id),
        "name": row.name,
        "stage": row.stage,
        "amount": None if row.amount is None else str(row.amount),
        "close_date": None if row.close_date is None else row.close_date.isoformat(),
        "seats": row.seats,
    }


async def _read_only(connection: Any) -> None:
    # Reads run in autocommit, as Tessera's do: no BEGIN and ROLLBACK round trips.
    await connection.execution_options(isolation_level="AUTOCOMMIT")


async def _authenticate(connection: Any, authorization: str | None) -> str:
    """Check the key as Tessera does; return the actor it writes (`key:<id>`)."""
    if not authorization or not authorization.startswith("Bearer tsk_"):
        raise HTTPException(401)
    _, key_id, secret = authorization[7:].split("_", 2)
    row = (
        await connection.execute(
            select(api_keys.c.secret_hash, api_keys.c.revoked_at).where(api_keys.c.id == key_id)
        )
    ).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.secret_hash != hashlib.sha256(secret.encode()).hexdigest()
    ):
        raise HTTPException(401)
    return f"key:{key_id}"


@app.post("/deal")
async def create(body: DealIn, authorization: Annotated[str | None, Header()] = None) -> Response:
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        actor = await _authenticate(connection, authorization)
        row = (
            await connection.execute(
                insert(deal)
                .values(
                    id=uuid7(),
                    created_at=now,
                    updated_at=now,
                    created_by=actor,
                    updated_by=actor,
                    version=1,
                    **body.model_dump(),
                )
                .returning(*deal.c)
            )
        ).one()
    return _json(_record(row), 201)


@app.get("/deal/{record_id}")
async def get(record_id: UUID, authorization: Annotated[str | None, Header()] = None) -> Response:
    async with engine.connect() as connection:
        await _read_only(connection)
        await _authenticate(connection, authorization)
        row = (await connection.execute(select(deal).where(deal.c.id == record_id))).first()
    if row is None:
        raise HTTPException(404)
    return _json(_record(row))


@app.get("/deal")
async def list_deals(
    stage: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: UUID | None = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    # A keyset page like Tessera's: one row more than the page tells whether there is a
    # next one, and the cursor of the next page is the last id.
    query = select(deal).where(deal.c.stage == stage)
    if after is not None:
        query = query.where(deal.c.id > after)
    async with engine.connect() as connection:
        await _read_only(connection)
        await _authenticate(connection, authorization)
        rows = (await connection.execute(query.order_by(deal.c.id).limit(limit + 1))).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    return _json(
        {
            "data": [_record(row) for row in rows],
            "next_cursor": str(rows[-1].id) if has_more else None,
        }
    )


@app.post("/deal/bulk")
async def bulk(
    body: list[DealIn], authorization: Annotated[str | None, Header()] = None
) -> Response:
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        actor = await _authenticate(connection, authorization)
        rows = [
            {
                "id": uuid7(),
                "created_at": now,
                "updated_at": now,
                "created_by": actor,
                "updated_by": actor,
                "version": 1,
                **item.model_dump(),
            }
            for item in body
        ]
        await connection.execute(insert(deal), rows)
    return _json({"created": len(rows)})
