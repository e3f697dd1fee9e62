"""Where a list request's time goes, measured so that load on the machine does not matter.

Both apps (Tessera's, and the hand-written baseline of `bench/baseline_app.py`) are called
in this process through ASGI, with no HTTP server and no network client in between, on one
PostgreSQL database holding the benchmark's `deal` table. Each request is the list request
of `make bench`. Two measurements:

- `calls`: Python function calls per request (cProfile), summed by package and module;
  deterministic, whatever else runs on the machine. The profiles are kept in
  /tmp/list_profile_<app>.pstats for a closer look.
- `instructions`: instructions per request (valgrind's callgrind), counted in a separate
  process per app between two marker calls, so start-up, imports and the first requests
  (which fill caches and pools) are not counted. The database server's work is not counted
  either: it is the same query for both apps.

    .venv/bin/python bench/list_profile.py calls
    .venv/bin/python bench/list_profile.py instructions [tessera|baseline]

The database is made for the run and dropped at its end. Settings: BENCH_POSTGRES,
BENCH_PROFILE_ROWS (rows seeded, default 100,000), BENCH_PROFILE_WARM_UP (requests before
measuring, default 100), BENCH_PROFILE_REQUESTS (profiled requests, default 2,000),
BENCH_PROFILE_CALLGRIND (requests under callgrind, default 200).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROWS = int(os.environ.get("BENCH_PROFILE_ROWS", "100000"))
TESSERA_PATH = "/api/v1/data/deal"
TESSERA_QUERY = urllib.parse.urlencode({"filter": json.dumps({"stage": "won"}), "limit": 50})
BASELINE_PATH = "/deal"
BASELINE_QUERY = "stage=won&limit=50"
WARM_UP = int(os.environ.get("BENCH_PROFILE_WARM_UP", "100"))

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def request(app: App, path: str, query: str, api_key: str) -> tuple[int, bytes]:
    """Send one GET through ASGI and return the status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {api_key}".encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def apps(url: str) -> dict[str, tuple[App, str, str]]:
    """Return each app (Tessera's as `tessera serve` builds it) with its list request."""
    os.environ["BENCH_DATABASE_URL"] = url
    from bench import baseline_app
    from runtime.app import create_app
    from runtime.bootstrap import build_engine_context
    from runtime.settings import Settings

    tessera = create_app(build_engine_context(Settings(database_url=url), for_server=True))
    return {
        "tessera": (tessera, TESSERA_PATH, TESSERA_QUERY),
        "baseline": (baseline_app.app, BASELINE_PATH, BASELINE_QUERY),
    }


async def send_many(app: App, path: str, query: str, api_key: str, times: int) -> None:
    """Send the list request `times` times; stop at the first answer that is not 200."""
    for _ in range(times):
        status, body = await request(app, path, query, api_key)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:500]!r}")


def calls(url: str, api_key: str, count: int) -> None:
    """Print calls per request, by package, for each app."""
    sides = apps(url)

    async def main() -> None:
        pages = {}
        for name, (app, path, query) in sides.items():
            _, body = await request(app, path, query, api_key)
            pages[name] = json.loads(body)
        compare_pages(pages["tessera"], pages["baseline"])
        for name, (app, path, query) in sides.items():
            await send_many(app, path, query, api_key, WARM_UP)
            profile = cProfile.Profile()
            profile.enable()
            await send_many(app, path, query, api_key, count)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.dump_stats(f"/tmp/list_profile_{name}.pstats")
            total_calls = stats.total_calls  # type: ignore[attr-defined]
            print(f"\n== {name}: {total_calls / count:.0f} function calls per request")
            print_by_package(stats, count)

    asyncio.run(main())


def print_by_package(stats: pstats.Stats, count: int) -> None:
    """Print calls per request summed by package (or Tessera module), most first."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        package = package_of(filename)
        totals[package] = totals.get(package, 0) + row[1]
    for package in sorted(totals, key=lambda p: -totals[p]):
        if totals[package] / count >= 1:
            print(f"  {package:40} {totals[package] / count:8.1f}")


def package_of(filename: str) -> str:
    """`sqlalchemy/engine`, `engine/query/listing.py`, `<built-in>`: where a function lives."""
    path = Path(filename)
    if path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    parts = path.parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        return "/".join(rest[:2]) if len(rest) > 2 else rest[0]
    if filename.startswith(("~", "<")):
        return "<built-in>"
    return "stdlib/" + path.name


def compare_pages(tessera: dict[str, Any], baseline: dict[str, Any]) -> None:
    """Check both apps answer the same page: the same records, keys, values and shape."""
    if tessera["data"] != baseline["data"]:
        raise RuntimeError(f"the records differ:\n{tessera['data'][0]}\n{baseline['data'][0]}")
    if (
        sorted(tessera) != sorted(baseline)
        or not tessera["next_cursor"]
        or not baseline["next_cursor"]
    ):
        raise RuntimeError(f"the pages differ: {sorted(tessera)} / {sorted(baseline)}")
    print(f"same page: {len(tessera['data'])} records, each {sorted(tessera['data'][0])}")


def run(url: str, api_key: str, side: str, count: int) -> None:
    """Warm one app up, then send it `count` list requests between two marker calls.

    Under callgrind, `os.getppid()` zeroes the counters and `os.getpgrp()` dumps them (see
    `callgrind`), so the dump holds the measured requests and nothing else.
    """
    app, path, query = apps(url)[side]

    async def main() -> None:
        await send_many(app, path, query, api_key, WARM_UP)
        os.getppid()
        await send_many(app, path, query, api_key, count)
        os.getpgrp()

    asyncio.run(main())


def instructions(url: str, api_key: str, count: int, sides: list[str]) -> None:
    """Print each app's instructions per list request (callgrind) and their ratio."""
    per_request = {}
    for side in sides:
        per_request[side] = callgrind(url, api_key, side, count) / count
        print(f"{side}: {per_request[side]:,.0f} instructions per request", flush=True)
    if len(per_request) == 2:
        ratio = per_request["baseline"] / per_request["tessera"]
        print(f"baseline ÷ Tessera instructions: {ratio:.3f}")


def callgrind(url: str, api_key: str, side: str, count: int) -> int:
    """Run `count` requests of one app under callgrind; return the instructions they took."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                "--zero-before=os_getppid",
                "--dump-before=os_getpgrp",
                sys.executable,
                __file__,
                "run",
                url,
                api_key,
                side,
                str(count),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        dumps = sorted(p for p in Path(directory).iterdir() if p.name != out.name)
        if not dumps:
            raise RuntimeError("callgrind wrote no dump of the measured requests")
        match = re.search(r"^(?:summary|totals): (\d+)", dumps[0].read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no totals in {dumps[0]}")
        return int(match.group(1))


def main() -> None:
    """Run one mode: `calls`, `instructions`, or `run` (the body of a callgrind process)."""
    mode = sys.argv[1]
    if mode == "run":
        url, api_key, side, count = sys.argv[2:6]
        run(url, api_key, side, int(count))
        return
    os.environ["BENCH_ROWS"] = str(ROWS)  # bench.run reads it at import
    from bench.run import prepare

    database = f"tessera_profile_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    url = f"{SERVER}/{database}"
    try:
        api_key = prepare(url)
        if mode == "calls":
            calls(url, api_key, int(os.environ.get("BENCH_PROFILE_REQUESTS", "2000")))
        elif mode == "instructions":
            requests = int(os.environ.get("BENCH_PROFILE_CALLGRIND", "200"))
            instructions(url, api_key, requests, sys.argv[2:] or ["tessera", "baseline"])
        else:
            raise SystemExit(f"unknown mode {mode!r}; use calls or instructions")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
