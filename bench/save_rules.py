"""Benchmark saving records with rules against saving the same records without.

Two deal objects live in one tenant of a PostgreSQL database made for the run (dropped
at the end, even on failure). `plain_deal` has 13 ordinary fields and a lookup to
`plain_account`; `rule_deal` has the same fields plus 10 validation rules (none fails
on the data), 5 formulas (one reads `account.industry` through the lookup) and an
expression default, and its account object `rule_account` keeps 2 roll-up summaries of
it (a count, and a filtered sum of the amount).

Both are written through the engine API, in this process (no HTTP): single creates with
`create_record`, one after another, and bulk creates with `bulk_write` in batches.
Plain and rules runs alternate (the order flips each round), several rounds; figures
are the medians of records per second, and the ratio rules ÷ plain. Results go to
bench/results/save-rules-<timestamp>.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import metadata_changes
from engine.access import caller_of, tenant_admin
from engine.budget import RequestBudget
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine
from engine.records import bulk_write, create_record
from engine.tenancy import create_tenant, get_tenant
from metadata.models import FieldDef, ObjectDef, ValidationRuleDef
from migrations import upgrade_system_tables

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROUNDS = int(os.environ.get("BENCH_RULES_ROUNDS", "3"))
SINGLE_RECORDS = int(os.environ.get("BENCH_RULES_SINGLE", "2000"))
BULK_RECORDS = int(os.environ.get("BENCH_RULES_BULK", "10000"))
BATCH = int(os.environ.get("BENCH_RULES_BATCH", "1000"))
ACCOUNTS = 50
TENANT = "bench"
TARGET_RATIO = 0.7

DEAL_FIELDS: list[dict[str, Any]] = [
    {"api_name": "name", "type": "text", "max_length": 120, "required": True},
    {
        "api_name": "stage",
        "type": "picklist",
        "values": [{"value": v} for v in ("new", "qualified", "won", "lost")],
    },
    {"api_name": "amount", "type": "currency"},
    {"api_name": "discount", "type": "decimal", "precision": 5, "scale": 4},
    {"api_name": "quantity", "type": "integer"},
    {"api_name": "probability", "type": "integer"},
    {"api_name": "created_on", "type": "date"},
    {"api_name": "close_date", "type": "date"},
    {"api_name": "follow_up", "type": "date"},
    {"api_name": "email", "type": "email"},
    {"api_name": "region", "type": "text", "max_length": 20},
    {"api_name": "is_priority", "type": "boolean"},
    {"api_name": "owner_name", "type": "text", "max_length": 80},
]
ACCOUNT_FIELDS: list[dict[str, Any]] = [
    {"api_name": "name", "type": "text", "required": True},
    {"api_name": "industry", "type": "text"},
    {"api_name": "region", "type": "text"},
]
#: The bodies leave `follow_up` out, so rule_deal's expression default runs on every create.
RULE_DEFAULT = {"follow_up": {"expression": "ADDDAYS(close_date, 14)"}}
FORMULAS: list[dict[str, Any]] = [
    {
        "api_name": "net_amount",
        "type": "formula",
        "return_type": "currency",
        "expression": "ROUND(amount * quantity * (1 - discount), 2)",
    },
    {
        "api_name": "is_large",
        "type": "formula",
        "return_type": "boolean",
        "expression": "amount * quantity > 10000",
    },
    {
        "api_name": "label",
        "type": "formula",
        "return_type": "text",
        "expression": 'CONCAT(UPPER(LEFT(name, 3)), "-", TEXT(quantity))',
    },
    {
        "api_name": "segment",
        "type": "formula",
        "return_type": "text",
        "expression": 'CONCAT(account.industry, "/", region)',
    },
    {
        "api_name": "days_open",
        "type": "formula",
        "return_type": "integer",
        "expression": "DATEDIFF(created_on, close_date)",
    },
]
RULES: list[tuple[str, str]] = [
    ("no_negative_amount", "amount < 0"),
    ("quantity_at_least_one", "quantity < 1"),
    ("discount_at_most_half", "discount > 0.5"),
    ("closes_after_creation", "close_date < created_on"),
    ("name_long_enough", "LEN(TRIM(name)) < 3"),
    ("won_needs_account", 'stage == "won" and ISBLANK(account)'),
    ("probability_in_range", "probability < 0 or probability > 100"),
    ("net_amount_cap", "net_amount > 1000000"),
    ("email_has_at", 'NOT(ISBLANK(email)) and NOT(CONTAINS(email, "@"))'),
    ("priority_needs_amount", "is_priority and amount < 100"),
]
ROLLUPS: list[dict[str, Any]] = [
    {
        "api_name": "deal_count",
        "type": "rollup_summary",
        "rollup": {"child": "rule_deal", "function": "count"},
    },
    {
        "api_name": "open_amount",
        "type": "rollup_summary",
        "rollup": {
            "child": "rule_deal",
            "field": "amount",
            "function": "sum",
            "filter": {"stage": {"ne": "lost"}},
        },
    },
]
INDUSTRIES = ("pharma", "retail", "energy", "banking", "media")
Writer = Callable[[RequestContext, str, list[dict[str, Any]]], float]
REGIONS = ("emea", "apac", "amer")
STAGES = ("new", "qualified", "won", "lost")


def main() -> None:
    database = f"tessera_bench_rules_{uuid.uuid4().hex[:8]}"
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
        context = prepare(EngineContext(db=engine))
        results = measure(context)
        check_rollups(context)
    finally:
        engine.dispose()
    print_summary(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"save-rules-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


def request_context(engine: EngineContext) -> RequestContext:
    """A context at the tenant's current revision, as a request would get it.

    Its budget counts everything a request's would but never stops: the same context
    serves every save of the benchmark.
    """
    return RequestContext(
        engine=engine,
        tenant=(tenant := get_tenant(engine, TENANT)),
        caller=caller_of(tenant_admin(engine, tenant), credential="bench"),
        budget=RequestBudget.unlimited(),
    )


def prepare(engine: EngineContext) -> RequestContext:
    """Create the tenant and both pairs of objects; return a request context for saves."""
    create_tenant(engine, TENANT)
    context = request_context(engine)
    for prefix in ("plain", "rule"):
        metadata_changes.create_object(
            context,
            ObjectDef.model_validate({"api_name": f"{prefix}_account", "fields": ACCOUNT_FIELDS}),
        )
    lookup = {"api_name": "account", "type": "lookup"}
    metadata_changes.create_object(
        context,
        ObjectDef.model_validate(
            {
                "api_name": "plain_deal",
                "fields": [*DEAL_FIELDS, {**lookup, "target": "plain_account"}],
            }
        ),
    )
    rule_fields = [
        {**field, "default": RULE_DEFAULT[field["api_name"]]}
        if field["api_name"] in RULE_DEFAULT
        else field
        for field in DEAL_FIELDS
    ]
    metadata_changes.create_object(
        context,
        ObjectDef.model_validate(
            {
                "api_name": "rule_deal",
                "fields": [*rule_fields, {**lookup, "target": "rule_account"}],
            }
        ),
    )
    for formula in FORMULAS:
        metadata_changes.add_field(context, "rule_deal", FieldDef.model_validate(formula))
    for name, expression in RULES:
        metadata_changes.add_rule(
            context,
            "rule_deal",
            ValidationRuleDef(api_name=name, expression=expression, message=f"{name} failed"),
        )
    # A roll-up names its child object, so it can only be added once the child exists.
    for rollup in ROLLUPS:
        metadata_changes.add_field(context, "rule_account", FieldDef.model_validate(rollup))
    # Every change moved the tenant to a new revision; saves must see the last one.
    return request_context(engine)


def account_ids(context: RequestContext, object_name: str) -> list[str]:
    """Create the accounts the deals of `object_name` spread over; return their ids."""
    return [
        create_record(
            context,
            object_name,
            {
                "name": f"Account {n:02d}",
                "industry": INDUSTRIES[n % len(INDUSTRIES)],
                "region": REGIONS[n % len(REGIONS)],
            },
        )["id"]
        for n in range(ACCOUNTS)
    ]


def deal_body(n: int, accounts: list[str]) -> dict[str, Any]:
    """Record `n` of a run, as a client would send it (JSON values); it passes every rule."""
    created = date(2026, 1, 1) + timedelta(days=n % 90)
    return {
        "name": f"Deal {n:06d}",
        "stage": STAGES[n % len(STAGES)],
        "amount": f"{100 + (n * 37) % 9000}.50",
        "discount": f"0.{n % 30:02d}",
        "quantity": 1 + n % 20,
        "probability": n % 101,
        "created_on": created.isoformat(),
        "close_date": (created + timedelta(days=30 + n % 200)).isoformat(),
        "email": f"buyer{n}@example.com",
        "region": REGIONS[n % len(REGIONS)],
        "is_priority": n % 7 == 0,
        "owner_name": "Bench Owner",
        "account": accounts[n % len(accounts)],
    }


def single_creates(
    context: RequestContext, object_name: str, bodies: list[dict[str, Any]]
) -> float:
    """Create `bodies` one by one, each in its own transaction; return records per second."""
    started = time.perf_counter()
    for body in bodies:
        create_record(context, object_name, body)
    return len(bodies) / (time.perf_counter() - started)


def bulk_creates(context: RequestContext, object_name: str, bodies: list[dict[str, Any]]) -> float:
    """Create `bodies` in batches of BATCH with `bulk_write`; return records per second."""
    started = time.perf_counter()
    for start in range(0, len(bodies), BATCH):
        batch = bodies[start : start + BATCH]
        if bulk_write(context, object_name, batch).count("created") != len(batch):
            raise RuntimeError(f"{object_name}: a batch was not fully created")
    return len(bodies) / (time.perf_counter() - started)


def measure(context: RequestContext) -> dict[str, Any]:
    """Both scenarios, plain and rules alternating, after a warm-up of each."""
    accounts = {name: account_ids(context, f"{name}_account") for name in ("plain", "rule")}
    serial = iter(range(10**9))

    def bodies(kind: str, count: int) -> list[dict[str, Any]]:
        return [deal_body(next(serial), accounts[kind]) for _ in range(count)]

    scenarios: dict[str, tuple[Writer, int]] = {
        "single_create": (single_creates, SINGLE_RECORDS),
        "bulk_create": (bulk_creates, BULK_RECORDS),
    }
    # Warm-up: compiled catalogs, connection pool, statement caches, PostgreSQL's buffers.
    for write, count in scenarios.values():
        for kind in ("plain", "rule"):
            write(context, f"{kind}_deal", bodies(kind, min(count // 10, BATCH)))

    results: dict[str, Any] = {
        "rounds": ROUNDS,
        "accounts": ACCOUNTS,
        "single_records": SINGLE_RECORDS,
        "bulk_records": BULK_RECORDS,
        "batch": BATCH,
        "python": platform.python_version(),
        "target": TARGET_RATIO,
    }
    for name, (write, count) in scenarios.items():
        rates: dict[str, list[float]] = {"plain": [], "rule": []}
        for round_number in range(ROUNDS):
            # Flipping the order each round spreads the effect of the tables' growth.
            order = ("plain", "rule") if round_number % 2 == 0 else ("rule", "plain")
            for kind in order:
                rate = write(context, f"{kind}_deal", bodies(kind, count))
                rates[kind].append(rate)
                print(f"{name} round {round_number + 1} {kind}: {rate:,.0f} records/s", flush=True)
        plain, rules = statistics.median(rates["plain"]), statistics.median(rates["rule"])
        results[name] = {
            "plain_records_per_s": round(plain, 1),
            "rules_records_per_s": round(rules, 1),
            "ratio": round(rules / plain, 3),
            "target_met": rules / plain >= TARGET_RATIO,
            "plain_rounds": [round(r, 1) for r in rates["plain"]],
            "rules_rounds": [round(r, 1) for r in rates["rule"]],
        }
    return results


def check_rollups(context: RequestContext) -> None:
    """Make sure the rules ran: roll-ups add up and every formula has a value."""
    schema = context.tenant.schema_name
    with context.engine.db.connect() as connection:
        deals = connection.execute(sa.text(f'SELECT count(*) FROM "{schema}".rule_deal')).scalar()
        counted = connection.execute(
            sa.text(f'SELECT sum(deal_count) FROM "{schema}".rule_account')
        ).scalar()
        blank = connection.execute(
            sa.text(
                f'SELECT count(*) FROM "{schema}".rule_deal '
                "WHERE segment IS NULL OR net_amount IS NULL OR follow_up IS NULL"
            )
        ).scalar()
    if deals != counted or blank:
        raise RuntimeError(
            f"rules did not run: {deals} deals, roll-ups count {counted}, {blank} without formulas"
        )


def print_summary(results: dict[str, Any]) -> None:
    """One line per scenario: medians, ratio, and whether the target is met."""
    for name in ("single_create", "bulk_create"):
        row = results[name]
        verdict = "met" if row["target_met"] else "NOT met"
        print(
            f"{name}: plain {row['plain_records_per_s']:,.0f}/s, "
            f"rules {row['rules_records_per_s']:,.0f}/s, ratio rules ÷ plain {row['ratio']:.3f} "
            f"(target ≥ {TARGET_RATIO}: {verdict})"
        )


if __name__ == "__main__":
    main()
