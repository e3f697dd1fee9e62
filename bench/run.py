"""Benchmark Tessera's dynamic API against a hand-written baseline on the same table.

Both servers run under uvicorn (one process, access log off) against one PostgreSQL
database and the same `deal` table of 1,000,000 rows; wrk drives them one at a time,
alternating, three rounds per scenario. Figures are reported as ratios against the
baseline measured in the same run. Results go to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
DURATION = os.environ.get("BENCH_DURATION", "8s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
BULK_RECORDS = int(os.environ.get("BENCH_BULK_RECORDS", "100000"))
TESSERA_PORT, BASELINE_PORT = 8701, 8702

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text", "max_length": 120, "required": True},
        {
            "api_name": "stage",
            "type": "picklist",
            "indexed": True,
            "values": [{"value": v} for v in ("new", "qualified", "won", "lost")],
        },
        {"api_name": "amount", "type": "currency"},
        {"api_name": "close_date", "type": "date"},
        {"api_name": "seats", "type": "integer"},
    ],
}
BODY = {
    "name": "Bench deal",
    "stage": "won",
    "amount": "1234.50",
    "close_date": "2025-06-30",
    "seats": 12,
}


def main() -> None:
    database = f"tessera_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        run(f"{SERVER}/{database}")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def run(url: str) -> None:
    api_key = prepare(url)
    headers = {"Authorization": f"Bearer {api_key}"}
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": url,
        "TESSERA_ACCESS_LOG": "false",
        "TESSERA_LOG_LEVEL": "warning",
        "BENCH_DATABASE_URL": url,
    }
    results: dict[str, Any] = {
        "rows": ROWS,
        "connections": int(CONNECTIONS),
        "duration": DURATION,
        "rounds": ROUNDS,
    }
    with (
        server(
            [sys.executable, "-m", "runtime.cli", "serve", "--port", str(TESSERA_PORT)],
            TESSERA_PORT,
            env,
        ),
        server(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.baseline_app:app",
                "--port",
                str(BASELINE_PORT),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            BASELINE_PORT,
            env,
        ),
    ):
        ids = sample_ids(url)
        scenarios = {
            "create": (
                wrk_script("POST", ["/api/v1/data/deal"], headers, BODY),
                wrk_script("POST", ["/deal"], headers, BODY),
            ),
            "get": (
                wrk_script("GET", [f"/api/v1/data/deal/{i}" for i in ids], headers),
                wrk_script("GET", [f"/deal/{i}" for i in ids], headers),
            ),
            "list_50_indexed_filter": (
                wrk_script(
                    "GET",
                    [
                        "/api/v1/data/deal?"
                        + urllib.parse.urlencode(
                            {"filter": json.dumps({"stage": "won"}), "limit": 50}
                        )
                    ],
                    headers,
                ),
                wrk_script("GET", ["/deal?stage=won&limit=50"], headers),
            ),
        }
        for name, (tessera_script, baseline_script) in scenarios.items():
            results[name] = compare(tessera_script, baseline_script)
            print(name, json.dumps(results[name]), flush=True)
        # Latency of one client alone: the list query on the full table, no queueing.
        list_scripts = scenarios["list_50_indexed_filter"]
        results["list_latency_one_client"] = compare(*list_scripts, connections=1)
        print("list_latency_one_client", json.dumps(results["list_latency_one_client"]), flush=True)
        results["bulk_insert"] = compare_bulk(headers)
        print("bulk_insert", json.dumps(results["bulk_insert"]), flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


def prepare(url: str) -> str:
    """Migrate, create the bench tenant and its `deal` object, seed ROWS rows; return a key."""
    sys.path.insert(0, str(ROOT))
    from engine import metadata_changes
    from engine.context import EngineContext, RequestContext
    from engine.database import create_database_engine
    from engine.tenancy import authenticate, create_api_key, create_tenant
    from metadata.models import ObjectDef
    from migrations import upgrade_system_tables

    engine = create_database_engine(url)
    upgrade_system_tables(engine)
    context = EngineContext(db=engine)
    create_tenant(context, "bench")
    key = create_api_key(context, "bench").api_key
    credential = authenticate(context, key)
    metadata_changes.create_object(
        RequestContext(engine=context, tenant=credential.tenant, caller=credential.caller),
        ObjectDef.model_validate(DEAL),
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        # Seeding is not measured: one INSERT … SELECT writes the rows.
        connection.execute(
            sa.text(
                """
                INSERT INTO t_bench.deal
                    (id, created_at, updated_at, version, name, stage, amount, close_date, seats)
                SELECT gen_random_uuid(), now(), now(), 1, 'Deal ' || n,
                       (ARRAY['new','qualified','won','lost'])[1 + n % 4],
                       (n % 100000) / 100.0, DATE '2024-01-01' + (n % 365), n % 50
                FROM generate_series(1, :rows) AS n
                """
            ),
            {"rows": ROWS},
        )
        connection.execute(sa.text("ANALYZE t_bench.deal"))
    print(f"seeded {ROWS} rows in {time.perf_counter() - started:.1f}s", flush=True)
    engine.dispose()
    return key


def sample_ids(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        ids = [
            str(i)
            for i in connection.execute(
                sa.text("SELECT id FROM t_bench.deal TABLESAMPLE SYSTEM (1) LIMIT 1000")
            ).scalars()
        ]
    engine.dispose()
    return ids


@contextmanager
def server(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError as exc:
                if process.poll() is not None:
                    log = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"{command} exited: {log}") from exc
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk_script(
    method: str, paths: list[str], headers: dict[str, str], body: dict[str, Any] | None = None
) -> str:
    lua_paths = ",".join(json.dumps(p) for p in paths)
    header_lines = "".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items()
    )
    script = f"""
local paths = {{{lua_paths}}}
wrk.method = "{method}"
{header_lines}
wrk.headers["Content-Type"] = "application/json"
{"wrk.body = " + json.dumps(json.dumps(body)) if body else ""}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    return handle.name


def wrk(port: int, script: str, *, connections: int | None = None) -> dict[str, float]:
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections or int(CONNECTIONS)}",
            f"-d{DURATION}",
            "-s",
            script,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if match is None:
        raise RuntimeError(output)
    requests, micros, p50, p99, status_errors, socket_errors = map(int, match.groups())
    if status_errors or socket_errors:
        raise RuntimeError(
            f"wrk saw {status_errors} bad statuses and {socket_errors} socket errors:\n{output}"
        )
    return {"rps": requests / (micros / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000}


def compare(
    tessera_script: str, baseline_script: str, *, connections: int | None = None
) -> dict[str, Any]:
    wrk(TESSERA_PORT, tessera_script, connections=connections)  # warm-up: catalogs, pools
    wrk(BASELINE_PORT, baseline_script, connections=connections)
    tessera, baseline = [], []
    for _ in range(ROUNDS):
        tessera.append(wrk(TESSERA_PORT, tessera_script, connections=connections))
        baseline.append(wrk(BASELINE_PORT, baseline_script, connections=connections))
    t_rps = statistics.median(r["rps"] for r in tessera)
    b_rps = statistics.median(r["rps"] for r in baseline)
    return {
        "tessera_rps": round(t_rps, 1),
        "baseline_rps": round(b_rps, 1),
        "ratio": round(t_rps / b_rps, 3),
        "tessera_p50_ms": statistics.median(r["p50_ms"] for r in tessera),
        "tessera_p99_ms": statistics.median(r["p99_ms"] for r in tessera),
        "baseline_p50_ms": statistics.median(r["p50_ms"] for r in baseline),
        "baseline_p99_ms": statistics.median(r["p99_ms"] for r in baseline),
    }


def compare_bulk(headers: dict[str, str]) -> dict[str, Any]:
    batch = 10_000
    records = [{**BODY, "name": f"Bulk {n}"} for n in range(batch)]
    payload = json.dumps(records).encode()
    send = {**headers, "Content-Type": "application/json"}

    def timed(url: str) -> float:
        with httpx.Client(timeout=300) as client:
            started = time.perf_counter()
            for _ in range(BULK_RECORDS // batch):
                response = client.post(url, content=payload, headers=send)
                response.raise_for_status()
            return BULK_RECORDS / (time.perf_counter() - started)

    tessera = timed(f"http://127.0.0.1:{TESSERA_PORT}/api/v1/data/deal/bulk")
    baseline = timed(f"http://127.0.0.1:{BASELINE_PORT}/deal/bulk")
    return {
        "records": BULK_RECORDS,
        "tessera_records_per_s": round(tessera),
        "baseline_records_per_s": round(baseline),
        "ratio": round(tessera / baseline, 3),
    }


if __name__ == "__main__":
    main()
