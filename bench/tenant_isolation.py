"""Measure whether one tenant's worst bulk holds up another tenant's requests.

A real server (`tessera serve`, uvicorn, one process) runs on PostgreSQL on 127.0.0.1.
Tenant B sends GETs of one record, one at a time, first alone and then while tenant A
sends its worst bulk over and over:

- `slow_rule`: 40 records whose validation rule runs a catastrophic regular expression
  to the per-evaluation time limit (the request budget stops it);
- `big_bulk`: 10,000 records through three formulas and two validation rules, all
  CPU-bound evaluation (the normal heavy bulk; it must pass).

It reports B's p50/p99/max latency alone and under each load, measured in the same run,
and A's requests with their statuses. With `--compare`, it runs everything a second time
on a server whose requests never pause (TESSERA_REQUEST_SLICE_SECONDS=1000), to show what
the pauses buy. Results go to bench/results/tenant_isolation-<timestamp>.json.
The goal (issue 8): B's p99 under load stays under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import server  # noqa: E402

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
PORT = 8711
ALONE_SECONDS = float(os.environ.get("BENCH_ALONE_SECONDS", "5"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))

LEAD = {
    "api_name": "lead",
    "fields": [
        {"api_name": "name", "type": "text", "max_length": 200},
        {"api_name": "email", "type": "email"},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "seats", "type": "integer"},
        {
            "api_name": "score",
            "type": "formula",
            "return_type": "decimal",
            "expression": "ROUND(amount * 1.2 + seats * 3 - LEN(name), 2)",
        },
        {
            "api_name": "label",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(UPPER(LEFT(name, 3)), '-', TEXT(seats), '-', LOWER(email))",
        },
        {
            "api_name": "tier",
            "type": "formula",
            "return_type": "text",
            "expression": "'gold' if amount > 1000 else ('silver' if amount > 100 else 'bronze')",
        },
    ],
    "validation_rules": [
        {
            "api_name": "seats_positive",
            "expression": "seats < 0 or seats > 100000",
            "message": "seats out of range",
        },
        {
            "api_name": "name_shape",
            "expression": "not REGEX(name, '[A-Za-z0-9 !]{1,60}') and not BEGINS(name, 'a')",
            "message": "the name has odd characters",
        },
    ],
}
SLOW = {
    "api_name": "probe",
    "fields": [{"api_name": "code", "type": "text", "max_length": 200}],
    "validation_rules": [
        {
            "api_name": "catastrophic",
            "expression": "REGEX(code, '(a|aa)+$')",
            "message": "never true in time",
        }
    ],
}
DEAL = {"api_name": "deal", "fields": [{"api_name": "name", "type": "text"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run without pauses")
    parser.add_argument(
        "--slice",
        action="append",
        default=[],
        help="also run with this TESSERA_REQUEST_SLICE_SECONDS (repeatable)",
    )
    arguments = parser.parse_args()
    database = f"tessera_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        url = f"{SERVER}/{database}"
        keys = prepare(url)
        results: dict[str, Any] = {
            "load_seconds": LOAD_SECONDS,
            "alone_seconds": ALONE_SECONDS,
            # Other work on the machine moves every figure: say how busy it was.
            "load_average_before": os.getloadavg(),
        }
        results["pausing"] = measure(url, keys, extra_env={})
        for seconds in arguments.slice:
            results[f"slice_{seconds}"] = measure(
                url, keys, extra_env={"TESSERA_REQUEST_SLICE_SECONDS": seconds}
            )
        if arguments.compare:
            results["never_pausing"] = measure(
                url, keys, extra_env={"TESSERA_REQUEST_SLICE_SECONDS": "1000"}
            )
        results["load_average_after"] = os.getloadavg()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"tenant_isolation-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


def prepare(url: str) -> dict[str, str]:
    """Migrate; create tenants A (lead, probe) and B (deal, 100 records); return their keys."""
    from engine import metadata_changes
    from engine.context import EngineContext, RequestContext
    from engine.database import create_database_engine
    from engine.tenancy import authenticate, create_api_key, create_tenant
    from metadata.models import ObjectDef
    from migrations import upgrade_system_tables

    engine = create_database_engine(url)
    upgrade_system_tables(engine)
    context = EngineContext(db=engine)
    keys = {}
    for tenant, objects in (("tenant_a", (LEAD, SLOW)), ("tenant_b", (DEAL,))):
        create_tenant(context, tenant)
        keys[tenant] = create_api_key(context, tenant).api_key
        for obj in objects:
            credential = authenticate(context, keys[tenant])
            metadata_changes.create_object(
                RequestContext(engine=context, tenant=credential.tenant, caller=credential.caller),
                ObjectDef.model_validate(obj),
            )
    engine.dispose()
    return keys


def measure(url: str, keys: dict[str, str], *, extra_env: dict[str, str]) -> dict[str, Any]:
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": url,
        "TESSERA_ACCESS_LOG": "false",
        "TESSERA_LOG_LEVEL": "warning",
        **extra_env,
    }
    base = f"http://127.0.0.1:{PORT}/api/v1/data"
    a_headers = {"Authorization": f"Bearer {keys['tenant_a']}"}
    b_headers = {"Authorization": f"Bearer {keys['tenant_b']}"}
    results: dict[str, Any] = {"env": extra_env}
    with (
        server([sys.executable, "-m", "runtime.cli", "serve", "--port", str(PORT)], PORT, env),
        httpx.Client(timeout=120) as client,
    ):
        created = client.post(
            f"{base}/deal/bulk", headers=b_headers, json=[{"name": f"d{n}"} for n in range(100)]
        ).json()
        ids = [row["id"] for row in created["results"]]
        gets = [f"{base}/deal/{record_id}" for record_id in ids]
        bulks = {
            "slow_rule": (f"{base}/probe/bulk", [{"code": "a" * 40 + "!"} for _ in range(40)]),
            "big_bulk": (f"{base}/lead/bulk", big_bulk_records()),
        }
        # Warm-up: catalogs, pools, compiled rules.
        for path, records in bulks.values():
            client.post(path, headers=a_headers, content=json.dumps(records[:5]))
        client_b_latencies(gets, b_headers, seconds=1)
        results["b_alone"] = summarize(client_b_latencies(gets, b_headers, seconds=ALONE_SECONDS))
        print("b_alone", json.dumps(results["b_alone"]), flush=True)
        for name, (path, records) in bulks.items():
            payload = json.dumps(records).encode()
            stop = threading.Event()
            outcomes: list[tuple[int, float]] = []
            load = threading.Thread(
                target=send_bulks, args=(path, payload, a_headers, stop, outcomes)
            )
            load.start()
            time.sleep(0.5)  # let A's first bulk get going
            latencies = client_b_latencies(gets, b_headers, seconds=LOAD_SECONDS)
            stop.set()
            load.join()
            results[name] = {
                "b_under_load": summarize(latencies),
                "a_requests": len(outcomes),
                "a_statuses": sorted({status for status, _ in outcomes}),
                "a_seconds_p50": round(statistics.median(s for _, s in outcomes), 3)
                if outcomes
                else None,
            }
            print(name, json.dumps(results[name]), flush=True)
    return results


def big_bulk_records() -> list[dict[str, Any]]:
    return [
        {
            "name": f"Lead number {n}",
            "email": f"lead{n}@example.com",
            "amount": f"{(n * 37) % 5000}.50",
            "seats": n % 500,
        }
        for n in range(10_000)
    ]


def send_bulks(
    path: str,
    payload: bytes,
    headers: dict[str, str],
    stop: threading.Event,
    outcomes: list[tuple[int, float]],
) -> None:
    """Tenant A: send the bulk again and again until told to stop."""
    send = {**headers, "Content-Type": "application/json"}
    with httpx.Client(timeout=300) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.post(path, content=payload, headers=send)
            outcomes.append((response.status_code, time.perf_counter() - started))


def client_b_latencies(gets: list[str], headers: dict[str, str], *, seconds: float) -> list[float]:
    """Tenant B: GET one record after another for `seconds`; return each latency in ms."""
    latencies = []
    deadline = time.perf_counter() + seconds
    index = 0
    with httpx.Client(timeout=60) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = client.get(gets[index % len(gets)], headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            index += 1
    return latencies


def summarize(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
    }


if __name__ == "__main__":
    main()
