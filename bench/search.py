"""Measure global search on both databases: distinctive words, common words, short words.

One tenant, one `account` object with two searchable fields (`name`, `description`),
`BENCH_SEARCH_ROWS` records (default 50,000) imported through the engine: every record's
name holds "Company" and its number, one in a hundred holds Chinese text. Each search runs
through the engine API in this process (no HTTP), `BENCH_SEARCH_ROUNDS` times; figures are
the median milliseconds. PostgreSQL runs in a database made for the run (dropped at the
end, even on failure) and its table is analysed first; SQLite in a temporary file.
Results go to bench/results/search-<timestamp>.json.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import metadata_changes, records
from engine.access import caller_of, tenant_admin
from engine.budget import RequestBudget
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine
from engine.records.transfer import import_batches
from engine.search import SearchQuery
from engine.tenancy import create_tenant, get_tenant
from metadata.models import FieldDef, FieldType, ObjectDef
from migrations import upgrade_system_tables

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROWS = int(os.environ.get("BENCH_SEARCH_ROWS", "50000"))
ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "5"))
TENANT = "bench"
#: What each search shows: a word few records hold, one every record holds, and so on.
SEARCHES = {
    "distinctive word": "4711",
    "two words, one distinctive": "company 4711",
    "word every record holds": "company",
    "one letter": "a",
    "Chinese, 4 characters (trigrams)": "北京科技",
    "Chinese, 2 characters (scan)": "科技",
    "word no record holds": "zzzz",
}


def _rows() -> Iterator[tuple[int, dict[str, Any]]]:
    for number in range(ROWS):
        place = "北京科技有限公司" if number % 100 == 0 else "Ltd"
        description = f"customer number {number} in region {number % 50}"
        yield number, {"name": f"Company {number} {place}", "description": description}


def _context(engine: EngineContext) -> RequestContext:
    return RequestContext(
        engine=engine,
        tenant=(tenant := get_tenant(engine, TENANT)),
        caller=caller_of(tenant_admin(engine, tenant), credential="bench"),
        budget=RequestBudget.unlimited(),
    )


def measure(url: str) -> dict[str, float]:
    """Load the records into the database at `url`; return the median ms of each search."""
    engine = EngineContext(db=create_database_engine(url))
    try:
        upgrade_system_tables(engine.db)
        create_tenant(engine, TENANT)
        fields = [
            FieldDef(api_name="name", type=FieldType.TEXT, searchable=True),
            FieldDef(api_name="description", type=FieldType.LONG_TEXT, searchable=True),
        ]
        metadata_changes.create_object(
            _context(engine), ObjectDef(api_name="account", fields=fields)
        )
        import_batches(_context(engine), "account", _rows(), from_text=False)
        if engine.dialect_name == "postgresql":
            with engine.db.begin() as connection:
                connection.execute(sa.text(f"ANALYZE t_{TENANT}.account"))
        medians = {}
        for label, text in SEARCHES.items():
            timings = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                records.search(_context(engine), SearchQuery(text=text, limit=10))
                timings.append((time.perf_counter() - started) * 1000)
            medians[label] = round(statistics.median(timings), 1)
        return medians
    finally:
        engine.db.dispose()


def main() -> None:
    """Measure SQLite, then PostgreSQL; print and save the medians."""
    results: dict[str, Any] = {"rows": ROWS, "rounds": ROUNDS}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = measure(f"sqlite:///{directory}/bench.db")
    name = f"tessera_search_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        results["postgresql"] = measure(f"{SERVER}/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"{'search':<36}{'SQLite ms':>12}{'PostgreSQL ms':>16}")
    for label in SEARCHES:
        sqlite_ms, postgresql_ms = results["sqlite"][label], results["postgresql"][label]
        print(f"{label:<36}{sqlite_ms:>12}{postgresql_ms:>16}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = ROOT / "bench" / "results" / f"search-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
