"""Stage 9 sees every record whose stored values change, not only the caller's saves.

The admin recalculate, metadata changes that rewrite stored values (a forced
conversion, removed picklist values, a default filling empty values) and the
master-detail children a parent's deletion takes along all reach the after-write hooks,
each with its origin, in the same transaction: a failing hook leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Connection

from engine import metadata_changes, records
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import RecordValidationError
from engine.extensions import WriteOrigin, WrittenRecord
from engine.query import AllRows, ListQuery
from engine.rules.recalculate import recalculate_field
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle
from tests.engine.records.test_after_write import ACCOUNT, Recorder, with_hooks

STAGES = [{"value": v} for v in ("open", "won", "lost")]
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "probability", "type": "percent"},
        {"api_name": "stage", "type": "picklist", "values": STAGES},
        {"api_name": "code", "type": "text"},
        {"api_name": "account", "type": "lookup", "target": "account"},
        {
            "api_name": "weighted",
            "type": "formula",
            "return_type": "currency",
            "expression": "amount * probability / 100",
        },
    ],
}
WEIGHTED_TOTAL = {
    "api_name": "weighted_total",
    "type": "rollup_summary",
    "rollup": {"child": "deal", "field": "weighted", "function": "sum"},
}


def refuse(connection: Connection, context: RequestContext, written: Any) -> None:
    raise RecordValidationError("refused by a hook")


@pytest.fixture
def crm(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(ACCOUNT))
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(DEAL))
    metadata_changes.add_field(tenant.context(), "account", FieldDef.model_validate(WEIGHTED_TOTAL))
    return tenant


def deal(tenant: TenantHandle, account: str, **values: Any) -> str:
    body = {"name": "d", "amount": "1000", "account": account, **values}
    return str(records.create_record(tenant.context(), "deal", body)["id"])


def stored(tenant: TenantHandle, name: str, record: str) -> dict[str, Any]:
    return records.get_record(tenant.context(), name, record)


def by_id(written: list[WrittenRecord]) -> dict[str, WrittenRecord]:
    return {str(record.record_id): record for record in written}


def only(hook: Recorder) -> list[WrittenRecord]:
    """What the single run of the hooks handed over."""
    assert len(hook.saves) == 1
    return list(hook.saves[0])


# -- recalculate ------------------------------------------------------------------------


def corrupt(tenant: TenantHandle, name: str, **values: Any) -> None:
    """Write stored values behind the pipeline, as a load into the table would."""
    context = tenant.context()
    table = tenant_catalog(context).objects[name].table
    with (
        tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as c,
        c.begin(),
    ):
        c.execute(update(table).values(**values))


def test_a_hook_sees_what_a_recalculate_rewrites_and_what_that_moves(crm: TenantHandle) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    half = deal(crm, account, probability="50")
    corrupt(crm, "deal", weighted=7)
    corrupt(crm, "account", weighted_total=7)
    version = stored(crm, "deal", half)["version"]
    hook = Recorder()

    dry = recalculate_field(with_hooks(crm, hook), "deal", "weighted", dry_run=True)
    assert dry["changed"] == 1 and hook.saves == []

    recalculate_field(with_hooks(crm, hook), "deal", "weighted")
    [rebuilt, total] = only(hook)
    assert (rebuilt.object, str(rebuilt.record_id)) == ("deal", half)
    assert rebuilt.origin is WriteOrigin.RECALCULATE and rebuilt.is_cascaded
    assert rebuilt.before is not None and rebuilt.after is not None
    assert (rebuilt.before["weighted"], rebuilt.after["weighted"]) == (7, 500)
    assert rebuilt.changed == {"weighted"}
    assert rebuilt.after["version"] == version + 1 == stored(crm, "deal", half)["version"]
    # The roll-up reading the rebuilt formula moved with it, seen with the same origin.
    assert (total.object, str(total.record_id)) == ("account", account)
    assert total.origin is WriteOrigin.RECALCULATE and total.changed == {"weighted_total"}
    assert total.before is not None and total.after is not None
    assert (total.before["weighted_total"], total.after["weighted_total"]) == (7, 500)


def test_a_failing_hook_rolls_a_recalculate_back(crm: TenantHandle) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    deal(crm, account, probability="50")
    corrupt(crm, "account", weighted_total=7)
    version = stored(crm, "account", account)["version"]
    with pytest.raises(RecordValidationError, match="refused by a hook"):
        recalculate_field(with_hooks(crm, refuse), "account", "weighted_total")
    after = stored(crm, "account", account)
    assert (after["weighted_total"], after["version"]) == ("7.00", version)


# -- metadata changes -------------------------------------------------------------------


def test_a_hook_sees_the_values_a_forced_conversion_empties_and_what_it_recomputes(
    crm: TenantHandle,
) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    half = deal(crm, account, probability="50")
    odd = deal(crm, account, probability="12.5")
    version = stored(crm, "deal", odd)["version"]
    hook = Recorder()

    metadata_changes.update_field(
        with_hooks(crm, hook), "deal", "probability", {"type": "integer"}, force=True
    )
    written = only(hook)
    assert {r.origin for r in written} == {WriteOrigin.METADATA_CHANGE}
    deals = [r for r in written if r.object == "deal"]
    # The emptied value first, then its formula recomputed; the deal that kept its
    # value changed in nothing and is not reported.
    assert [str(r.record_id) for r in deals] == [odd, odd]
    emptied, recomputed = deals
    assert emptied.changed == {"probability"}
    assert emptied.before is not None and emptied.after is not None
    assert (emptied.before["probability"], emptied.after["probability"]) == (
        Decimal("12.5"),
        None,
    )
    assert emptied.after["version"] == version + 1
    assert recomputed.changed == {"weighted"}
    assert recomputed.before is not None and recomputed.after is not None
    assert (recomputed.before["weighted"], recomputed.after["weighted"]) == (125, None)
    assert recomputed.after["version"] == stored(crm, "deal", odd)["version"]
    [total] = [r for r in written if r.object == "account"]
    assert total.before is not None and total.after is not None
    assert (total.before["weighted_total"], total.after["weighted_total"]) == (625, 500)
    assert half not in by_id(written)


def test_a_hook_sees_the_records_whose_removed_picklist_value_is_emptied(
    crm: TenantHandle,
) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    lost = deal(crm, account, stage="lost")
    deal(crm, account, stage="won")
    hook = Recorder()

    metadata_changes.update_field(
        with_hooks(crm, hook),
        "deal",
        "stage",
        {"values": [{"value": "open"}, {"value": "won"}]},
        force=True,
    )
    [emptied] = only(hook)
    assert str(emptied.record_id) == lost and emptied.origin is WriteOrigin.METADATA_CHANGE
    assert emptied.before is not None and emptied.after is not None
    assert (emptied.before["stage"], emptied.after["stage"]) == ("lost", None)
    assert emptied.after["version"] == stored(crm, "deal", lost)["version"]


def test_a_hook_sees_the_empty_values_a_default_fills_with_a_new_version(
    crm: TenantHandle,
) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    blank = deal(crm, account)
    deal(crm, account, code="A-1")
    version = stored(crm, "deal", blank)["version"]
    hook = Recorder()

    metadata_changes.update_field(
        with_hooks(crm, hook), "deal", "code", {"required": True, "default": "NONE"}
    )
    [filled] = only(hook)
    assert str(filled.record_id) == blank and filled.changed == {"code"}
    assert filled.before is not None and filled.after is not None
    assert (filled.before["code"], filled.after["code"]) == (None, "NONE")
    assert filled.after["version"] == version + 1 == stored(crm, "deal", blank)["version"]


def test_a_hook_sees_the_records_a_restored_field_fills_not_those_whose_values_return(
    crm: TenantHandle,
) -> None:
    context = crm.context()
    metadata_changes.update_field(context, "deal", "code", {"required": True, "default": "X"})
    account = str(records.create_record(context, "account", {"name": "Acme"})["id"])
    kept = deal(crm, account, code="A-1")
    metadata_changes.delete_field(crm.context(), "deal", "code")
    # Created while the field was deleted: it has no value to bring back.
    blank = deal(crm, account)
    hook = Recorder()

    metadata_changes.restore_field(with_hooks(crm, hook), "deal", "code", patch={"default": "NEW"})
    [filled] = only(hook)
    assert str(filled.record_id) == blank and filled.origin is WriteOrigin.METADATA_CHANGE
    assert filled.before is not None and filled.after is not None
    assert "code" not in filled.before and filled.after["code"] == "NEW"
    assert filled.changed == {"code"}
    assert stored(crm, "deal", kept)["code"] == "A-1"


PATCHES = {
    "forced conversion": ("probability", {"type": "integer"}),
    "removed picklist value": ("stage", {"values": [{"value": "open"}]}),
    "default filling empty values": ("code", {"required": True, "default": "NONE"}),
}


@pytest.mark.parametrize("field, patch", PATCHES.values(), ids=list(PATCHES))
def test_a_failing_hook_rolls_a_metadata_change_back(
    crm: TenantHandle, field: str, patch: dict[str, Any]
) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    odd = deal(crm, account, probability="12.5", stage="lost")
    before = stored(crm, "deal", odd)
    revision = crm.context().tenant.revision
    with pytest.raises(RecordValidationError, match="refused by a hook"):
        metadata_changes.update_field(with_hooks(crm, refuse), "deal", field, patch, force=True)
    assert crm.context().tenant.revision == revision
    assert stored(crm, "deal", odd) == before
    assert stored(crm, "account", account)["weighted_total"] == "125.00"
    assert metadata_changes.get_field(crm.context(), "deal", field)["type"] == (
        "percent" if field == "probability" else "picklist" if field == "stage" else "text"
    )


def test_a_hook_writes_records_in_a_metadata_change_against_the_new_fields(
    crm: TenantHandle,
) -> None:
    log = {
        "api_name": "change_log",
        "fields": [
            {"api_name": "record", "type": "text"},
            {"api_name": "origin", "type": "text"},
        ],
    }
    metadata_changes.create_object(crm.context(), ObjectDef.model_validate(log))
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    odd = deal(crm, account, probability="12.5")

    def history(connection: Connection, context: RequestContext, written: Any) -> None:
        writer = records.RecordWriter(connection, context, AllRows())
        for record in written:
            if record.origin is WriteOrigin.METADATA_CHANGE and "probability" in record.changed:
                # The deal as the change leaves it: its probability is an integer now.
                writer.update("deal", record.record_id, {"probability": 40})
                writer.create(
                    "change_log", {"record": str(record.record_id), "origin": record.origin}
                )

    metadata_changes.update_field(
        with_hooks(crm, history), "deal", "probability", {"type": "integer"}, force=True
    )
    page = records.query_records(crm.context(), "change_log", ListQuery(limit=10))
    assert [(r["record"], r["origin"]) for r in page["data"]] == [(odd, "metadata-change")]
    assert stored(crm, "deal", odd)["probability"] == 40


def test_hooks_that_keep_writing_in_a_metadata_change_stop_at_the_depth_limit(
    crm: TenantHandle,
) -> None:
    account = str(records.create_record(crm.context(), "account", {"name": "Acme"})["id"])
    odd = deal(crm, account, probability="12.5")

    def echo(connection: Connection, context: RequestContext, written: Any) -> None:
        records.RecordWriter(connection, context, AllRows()).create("account", {"name": "echo"})

    with pytest.raises(RecordValidationError) as caught:
        metadata_changes.update_field(
            with_hooks(crm, echo), "deal", "probability", {"type": "integer"}, force=True
        )
    assert caught.value.problems[0].code == "after-write-too-deep"
    assert stored(crm, "deal", odd)["probability"] == "12.50"
    assert len(records.query_records(crm.context(), "account", ListQuery(limit=10))["data"]) == 1


# -- children deleted with their parent -------------------------------------------------


@pytest.fixture
def orders(tenant: TenantHandle) -> TenantHandle:
    for body in (
        {"api_name": "customer", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "purchase",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "customer", "type": "master_detail", "target": "customer"},
            ],
        },
        {
            "api_name": "line",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "purchase", "type": "master_detail", "target": "purchase"},
            ],
        },
    ):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    return tenant


def make_orders(tenant: TenantHandle) -> dict[str, str]:
    """A customer with two orders, one of them with two lines; another customer's order."""
    ids: dict[str, str] = {}

    def create(key: str, name: str, body: dict[str, Any]) -> None:
        ids[key] = str(records.create_record(tenant.context(), name, body)["id"])

    create("acme", "customer", {"name": "Acme"})
    create("other", "customer", {"name": "Other"})
    create("o1", "purchase", {"name": "o1", "customer": ids["acme"]})
    create("o2", "purchase", {"name": "o2", "customer": ids["acme"]})
    create("kept", "purchase", {"name": "kept", "customer": ids["other"]})
    create("l1", "line", {"name": "l1", "purchase": ids["o1"]})
    create("l2", "line", {"name": "l2", "purchase": ids["o1"]})
    return ids


def count_purchases(tenant: TenantHandle) -> None:
    """A roll-up in the tenant: deletions then also work out what they recount."""
    rollup = {
        "api_name": "purchases",
        "type": "rollup_summary",
        "rollup": {"child": "purchase", "function": "count"},
    }
    metadata_changes.add_field(tenant.context(), "customer", FieldDef.model_validate(rollup))


@pytest.mark.parametrize("has_rollup", [False, True], ids=["no roll-up", "a roll-up"])
def test_a_hook_sees_master_detail_children_deleted_two_levels_deep(
    orders: TenantHandle, has_rollup: bool
) -> None:
    if has_rollup:
        count_purchases(orders)
    ids = make_orders(orders)
    hook = Recorder()
    records.delete_record(with_hooks(orders, hook), "customer", ids["acme"])

    written = only(hook)
    # Deepest first, as the database deletes them: lines, orders, then the customer.
    assert [r.object for r in written] == ["line", "line", "purchase", "purchase", "customer"]
    seen = by_id(written)
    assert set(seen) == {ids[k] for k in ("l1", "l2", "o1", "o2", "acme")}
    for key in ("l1", "l2", "o1", "o2"):
        child = seen[ids[key]]
        assert child.origin is WriteOrigin.PARENT_DELETED and child.is_cascaded
        assert child.after is None and child.before is not None
        assert child.before["name"] == key
    assert seen[ids["l1"]].before["purchase"] == UUID(ids["o1"])  # type: ignore[index]
    parent = seen[ids["acme"]]
    assert parent.origin is WriteOrigin.SAVE and not parent.is_cascaded
    assert stored(orders, "purchase", ids["kept"])["name"] == "kept"


def test_a_hook_sees_the_children_and_the_roll_up_a_mid_level_deletion_changes(
    orders: TenantHandle,
) -> None:
    count_purchases(orders)
    ids = make_orders(orders)
    hook = Recorder()
    records.delete_record(with_hooks(orders, hook), "purchase", ids["o1"])

    written = only(hook)
    assert [(r.object, r.origin) for r in written] == [
        ("line", WriteOrigin.PARENT_DELETED),
        ("line", WriteOrigin.PARENT_DELETED),
        ("purchase", WriteOrigin.SAVE),
        ("customer", WriteOrigin.CASCADE),
    ]
    customer = written[-1]
    assert customer.before is not None and customer.after is not None
    assert (customer.before["purchases"], customer.after["purchases"]) == (2, 1)


def test_a_hook_deleting_nothing_else_sees_only_a_childless_parent(orders: TenantHandle) -> None:
    ids = make_orders(orders)
    hook = Recorder()
    records.delete_record(with_hooks(orders, hook), "line", ids["l1"])
    assert [(r.object, str(r.record_id)) for r in only(hook)] == [("line", ids["l1"])]


def test_a_failing_hook_keeps_the_parent_and_every_child(orders: TenantHandle) -> None:
    ids = make_orders(orders)
    with pytest.raises(RecordValidationError, match="refused by a hook"):
        records.delete_record(with_hooks(orders, refuse), "customer", ids["acme"])
    for key, name in (("acme", "customer"), ("o1", "purchase"), ("o2", "purchase"), ("l2", "line")):
        assert stored(orders, name, ids[key])["id"] == ids[key]


# -- the record itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, origin, is_cascaded",
    [
        (lambda: {}, WriteOrigin.SAVE, False),
        (lambda: {"is_cascaded": True}, WriteOrigin.CASCADE, True),
        (lambda: {"origin": WriteOrigin.RECALCULATE}, WriteOrigin.RECALCULATE, True),
    ],
)
def test_origin_and_is_cascaded_agree_however_a_record_is_built(
    build: Callable[[], dict[str, Any]], origin: WriteOrigin, is_cascaded: bool
) -> None:
    record = WrittenRecord(
        object="deal",
        record_id=UUID(int=1),
        before=None,
        after={},
        changed=frozenset(),
        **build(),
    )
    assert (record.origin, record.is_cascaded) == (origin, is_cascaded)
