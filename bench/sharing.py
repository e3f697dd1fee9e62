"""Benchmark record sharing: reads under the predicates, and the upkeep of the share rows.

One tenant of a PostgreSQL database made for the run (dropped at the end, even on
failure), through the engine API in this process (no HTTP):

- 1,000-odd users: a 5-level role hierarchy (1, 4, 16, 64, 256 roles; three users in each
  role of the last level, one in each other role) and 200 partner accounts (40 dealers
  with 4 sub-dealers each, one user each; users of a dealer read the sub-dealers' leads);
- `lead` (private) with BENCH_SHARING_RECORDS records (default 100,000) owned by users
  drawn at random, and 20 sharing rules (a region or a status, shared with a level-2 or
  level-3 role and its subordinates).

It measures, as medians of BENCH_SHARING_RUNS reads (the readers taking turns): a list of
50 (alone, and with its count) and an aggregate as the admin (view_all: no predicate), a
rep (last level), a level-2 manager and a dealer's user; then the time to bring the
sharing tables up to date after a user's role changes, the time a sharing rule's filter
change takes (the whole metadata change: plan, check, revision; rules store no rows), and
a bulk write of 1,000 leads with the 20 rules on the object. The reads start once the
tables are vacuumed and analyzed, as autovacuum does after a load. Results go to
bench/results/sharing-<timestamp>.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import metadata_changes
from engine.access import caller_of, new_user, tenant_admin
from engine.access.kinds import PERMISSION_SETS, ROLES
from engine.access.upkeep import users_changed
from engine.budget import RequestBudget
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine, tenant_connection
from engine.metadata_changes.components import save_component
from engine.metadata_changes.sharing import (
    patch_sharing_rule,
    put_partner_settings,
    save_sharing_rule,
)
from engine.query import AggregateQuery, ListQuery
from engine.records import aggregate, bulk_write, query_records
from engine.tenancy import create_tenant, get_tenant
from metadata.models import (
    ObjectDef,
)
from metadata.store import UserRow, find_user_by_email, insert_user, update_user
from migrations import upgrade_system_tables

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
RECORDS = int(os.environ.get("BENCH_SHARING_RECORDS", "100000"))
RUNS = int(os.environ.get("BENCH_SHARING_RUNS", "20"))
BATCH = 5000
TENANT = "bench"
REGIONS = [f"r{i}" for i in range(10)]
STATUSES = ["new", "open", "won", "lost"]


def main() -> None:
    database = f"tessera_bench_sharing_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        run(f"{SERVER}/{database}")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def run(url: str) -> None:
    engine = create_database_engine(url)
    try:
        upgrade_system_tables(engine)
        results = measure(EngineContext(db=engine))
    finally:
        engine.dispose()
    print(json.dumps(results, indent=2))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"sharing-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


def context_of(engine: EngineContext, email: str | None = None) -> RequestContext:
    """A request context of the tenant's admin, or of the user with this e-mail."""
    tenant = get_tenant(engine, TENANT)
    user = tenant_admin(engine, tenant)
    if email is not None:
        with engine.db.connect() as connection:
            found = find_user_by_email(connection, tenant.id, email)
        assert found is not None
        user = found
    return RequestContext(
        engine=engine,
        tenant=tenant,
        caller=caller_of(user, credential="bench"),
        budget=RequestBudget.unlimited(),
    )


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(engine: EngineContext) -> dict[str, Any]:
    random.seed(7)
    create_tenant(engine, TENANT)
    for document in (
        {
            "api_name": "account",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "parent", "type": "lookup", "target": "account"},
            ],
        },
        {
            "api_name": "lead",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "amount", "type": "integer"},
                {"api_name": "region", "type": "text"},
                {"api_name": "status", "type": "text"},
            ],
        },
    ):
        metadata_changes.create_object(context_of(engine), ObjectDef.model_validate(document))
    roles = make_roles(engine)
    rights = {"read": True, "create": True, "edit": True, "delete": True}
    save_component(
        context_of(engine), PERMISSION_SETS, {"api_name": "staff", "objects": {"*": rights}}
    )
    dealers = make_dealers(engine)
    put_partner_settings(
        context_of(engine),
        {"object": "account", "parent_field": "parent", "child_accounts": "read"},
    )
    users = make_users(engine, roles, dealers)
    owners = [user.id for user in users]
    load = timed(lambda: load_leads(engine, owners, RECORDS))
    rule_times = [
        timed(partial(save_sharing_rule, context_of(engine), "lead", rule(index, roles)))
        for index in range(20)
    ]
    analyze(engine)
    readers = {
        "admin": None,
        "rep": "rep-0@bench.example",
        "manager": "manager-1-0@bench.example",
        "dealer": "dealer-0@bench.example",
    }
    reads = read_times(engine, readers)
    role_change = change_role(engine, "manager-3-0@bench.example", roles[3][-1])
    rule_change = timed(lambda: change_rule(engine, {"filter": {"region": {"eq": "r9"}}}))
    with_rules = timed(lambda: load_leads(engine, owners, 1000))
    return {
        "records": RECORDS,
        "users": len(users),
        "roles": sum(len(level) for level in roles),
        "partner_accounts": len(dealers),
        "rules": 20,
        "load_seconds": round(load, 2),
        "add_rule_seconds": {
            "median": round(statistics.median(rule_times), 3),
            "max": round(max(rule_times), 3),
        },
        "reads_ms": reads,
        "ratios_admin_over_user": {
            name: {key: round(reads["admin"][key] / value, 2) for key, value in figures.items()}
            for name, figures in reads.items()
            if name != "admin"
        },
        "role_change_seconds": round(role_change, 3),
        "rule_change_seconds": round(rule_change, 3),
        "bulk_1000_with_20_rules_seconds": round(with_rules, 3),
    }


def analyze(engine: EngineContext) -> None:
    """Vacuum and analyze the loaded tables, as autovacuum does a minute after a load."""
    schema = get_tenant(engine, TENANT).schema_name
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("lead", "_access_shares", "_access_owners"):
            connection.execute(sa.text(f"VACUUM ANALYZE {schema}.{table}"))


def make_roles(engine: EngineContext) -> list[list[str]]:
    levels: list[list[str]] = [["ceo"]]
    save_component(context_of(engine), ROLES, {"api_name": "ceo"})
    for depth in range(1, 5):
        level = []
        for index, parent in enumerate(r for r in levels[-1] for _ in range(4)):
            name = f"role_{depth}_{index}"
            save_component(context_of(engine), ROLES, {"api_name": name, "parent": parent})
            level.append(name)
        levels.append(level)
    return levels


def make_dealers(engine: EngineContext) -> list[str]:
    context = context_of(engine)
    tops = bulk_write(context, "account", [{"name": f"dealer {i}"} for i in range(40)])
    top_ids = [str(o.id) for o in tops.outcomes]
    subs = bulk_write(
        context,
        "account",
        [{"name": f"sub {i}", "parent": top_ids[i // 4]} for i in range(160)],
    )
    return top_ids + [str(o.id) for o in subs.outcomes]


def make_users(engine: EngineContext, roles: list[list[str]], dealers: list[str]) -> list[UserRow]:
    tenant = get_tenant(engine, TENANT)
    now = engine.clock()
    users: list[UserRow] = []

    def add(email: str, **values: Any) -> None:
        users.append(
            new_user(
                tenant.id, email=email, name=email, now=now, permission_sets=["staff"], **values
            )
        )

    for depth, level in enumerate(roles[:-1]):
        for index, role in enumerate(level):
            add(f"manager-{depth}-{index}@bench.example", role=role)
    for index, role in enumerate(r for r in roles[-1] for _ in range(3)):
        add(f"rep-{index}@bench.example", role=role)
    for index, dealer in enumerate(dealers):
        add(f"dealer-{index}@bench.example", partner_account=uuid.UUID(dealer))
    with (
        tenant_connection(engine.db, tenant.schema_name, is_write=True) as connection,
        connection.begin(),
    ):
        for user in users:
            insert_user(connection, user)
        users_changed(connection, engine, tenant)
    return users


def load_leads(engine: EngineContext, owners: list[uuid.UUID], count: int) -> None:
    context = context_of(engine)
    for start in range(0, count, BATCH):
        bulk_write(
            context,
            "lead",
            [
                {
                    "name": f"lead {start + i}",
                    "amount": random.randint(1, 10_000),
                    "region": random.choice(REGIONS),
                    "status": random.choice(STATUSES),
                    "owner_id": str(random.choice(owners)),
                }
                for i in range(min(BATCH, count - start))
            ],
        )


def rule(index: int, roles: list[list[str]]) -> dict[str, Any]:
    if index % 2:
        matches: dict[str, Any] = {"region": {"eq": REGIONS[index % len(REGIONS)]}}
    else:
        matches = {"status": {"eq": STATUSES[index % len(STATUSES)]}, "amount": {"gte": 9000}}
    level = roles[2] if index % 3 else roles[1]
    return {
        "api_name": f"rule_{index}",
        "filter": matches,
        "share_with": {"role": level[index % len(level)], "include_subordinates": True},
        "access": "read",
    }


def read_times(engine: EngineContext, readers: dict[str, str | None]) -> dict[str, Any]:
    """Median milliseconds of each read of each reader, the readers taking turns run by
    run, so that a machine busy with other work slows them all alike."""
    page = ListQuery(limit=50)
    counted = ListQuery(limit=50, count=True)
    grouped = AggregateQuery(group_by=["region"], metrics=["count", "sum:amount"])
    reads: dict[tuple[str, str], Callable[[], object]] = {}
    for name, email in readers.items():
        context = context_of(engine, email)
        reads[(name, "list_50")] = partial(query_records, context, "lead", page)
        reads[(name, "list_50_with_count")] = partial(query_records, context, "lead", counted)
        reads[(name, "aggregate")] = partial(aggregate, context, "lead", grouped)
    for read in reads.values():
        read()  # warm the caches (catalog, compiled statements, prepared statements)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in reads}
    for _ in range(RUNS):
        for key, read in reads.items():
            times[key].append(timed(read))
    figures: dict[str, dict[str, float]] = {name: {} for name in readers}
    for (name, figure), values in times.items():
        figures[name][figure] = round(statistics.median(values) * 1000, 2)
    return figures


def change_role(engine: EngineContext, email: str, role: str) -> float:
    """Move a user to another role, as the users API does; return the seconds it took."""
    tenant = get_tenant(engine, TENANT)
    started = time.perf_counter()
    with (
        tenant_connection(engine.db, tenant.schema_name, is_write=True) as connection,
        connection.begin(),
    ):
        user = find_user_by_email(connection, tenant.id, email)
        assert user is not None
        update_user(connection, user.id, role=role)
        users_changed(connection, engine, tenant)
    return time.perf_counter() - started


def change_rule(engine: EngineContext, patch: dict[str, Any]) -> None:
    """Change sharing rule `rule_1` (a metadata change; the rule stores no rows)."""
    patch_sharing_rule(context_of(engine), "lead", "rule_1", patch)


if __name__ == "__main__":
    main()
