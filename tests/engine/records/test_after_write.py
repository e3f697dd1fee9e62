"""Stage 9 of the save pipeline: every written record reaches the after-write hooks.

The caller's records and those the cascade recomputes (roll-ups, lookup formulas) each
arrive once per save with their values before and after, in the save's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.engine import Connection

from engine import metadata_changes, records
from engine.context import RequestContext
from engine.errors import RecordValidationError
from engine.extensions import AfterWriteHook, WriteOrigin, WrittenRecord
from engine.query import AllRows, ListQuery
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle

ACCOUNT = {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "amount", "type": "integer"},
        {"api_name": "account", "type": "lookup", "target": "account"},
    ],
}
#: Added once the roll-up it reads exists.
ACCOUNT_TOTAL = {
    "api_name": "account_total",
    "type": "formula",
    "return_type": "integer",
    "expression": "account.total",
}


class Recorder:
    """A hook that keeps what each save handed it."""

    def __init__(self) -> None:
        self.saves: list[Sequence[WrittenRecord]] = []

    def __call__(
        self, connection: Connection, context: RequestContext, records: Sequence[WrittenRecord]
    ) -> None:
        self.saves.append(records)

    def last(self, object_name: str) -> list[WrittenRecord]:
        return [record for record in self.saves[-1] if record.object == object_name]


@pytest.fixture
def crm(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(ACCOUNT))
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(DEAL))
    metadata_changes.add_field(
        tenant.context(),
        "account",
        FieldDef.model_validate(
            {
                "api_name": "total",
                "type": "rollup_summary",
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            }
        ),
    )
    metadata_changes.add_field(tenant.context(), "deal", FieldDef.model_validate(ACCOUNT_TOTAL))
    return tenant


def with_hooks(tenant: TenantHandle, *hooks: AfterWriteHook) -> RequestContext:
    context = tenant.context()
    return replace(context, engine=replace(context.engine, after_write_hooks=hooks))


def test_a_hook_sees_a_create_an_update_and_a_delete_with_before_and_after(
    crm: TenantHandle,
) -> None:
    hook = Recorder()
    context = with_hooks(crm, hook)
    account = records.create_record(context, "account", {"name": "Acme"})
    [created] = hook.last("account")
    assert created.before is None and created.after is not None
    assert created.after["name"] == "Acme" and not created.is_cascaded
    assert created.origin is WriteOrigin.SAVE

    records.update_record(context, "account", account["id"], {"name": "Acme Ltd"})
    [updated] = hook.last("account")
    assert updated.before is not None and updated.after is not None
    assert (updated.before["name"], updated.after["name"]) == ("Acme", "Acme Ltd")
    assert updated.changed == {"name"}

    records.delete_record(context, "account", account["id"])
    [deleted] = hook.last("account")
    assert deleted.after is None and deleted.before is not None
    assert deleted.before["name"] == "Acme Ltd"


def test_a_roll_up_and_a_lookup_formula_changed_by_the_cascade_reach_the_hook(
    crm: TenantHandle,
) -> None:
    hook = Recorder()
    context = with_hooks(crm, hook)
    account = records.create_record(context, "account", {"name": "Acme"})
    first = records.create_record(
        context, "deal", {"name": "a", "amount": 10, "account": account["id"]}
    )
    [parent] = hook.last("account")
    assert parent.is_cascaded and parent.changed == {"total"}
    assert parent.origin is WriteOrigin.CASCADE
    assert parent.before is not None and parent.after is not None
    assert (parent.before["total"], parent.after["total"]) == (0, 10)

    records.create_record(context, "deal", {"name": "b", "amount": 5, "account": account["id"]})
    cascaded = {r.record_id: r for r in hook.saves[-1] if r.is_cascaded and r.object == "deal"}
    # The first deal's formula reads the account's roll-up, which the second deal moved.
    old = cascaded[UUID(first["id"])]
    assert old.before is not None and old.after is not None
    assert (old.before["account_total"], old.after["account_total"]) == (10, 15)
    assert old.after["updated_by"] == context.actor


def test_the_cascade_writes_the_actor_without_hooks_too(crm: TenantHandle) -> None:
    account = records.create_record(crm.context(), "account", {"name": "Acme"})
    records.create_record(
        crm.context(), "deal", {"name": "a", "amount": 10, "account": account["id"]}
    )
    stored = records.get_record(crm.context(), "account", account["id"])
    assert stored["total"] == 10 and stored["version"] == 2
    assert stored["updated_by"] == str(crm.user_id)


def test_a_failing_hook_rolls_the_whole_save_back(crm: TenantHandle) -> None:
    def refuse(connection: Connection, context: RequestContext, _: Any) -> None:
        raise RecordValidationError("no saves today")

    context = with_hooks(crm, refuse)
    with pytest.raises(RecordValidationError, match="no saves today"):
        records.create_record(context, "account", {"name": "Acme"})
    with pytest.raises(RecordValidationError):
        records.bulk_write(context, "account", [{"name": "A"}, {"name": "B"}])
    page = records.query_records(crm.context(), "account", ListQuery(limit=10))
    assert page["data"] == []


def test_hooks_that_keep_writing_stop_at_the_depth_limit_and_write_nothing(
    crm: TenantHandle,
) -> None:
    def echo(connection: Connection, context: RequestContext, written: Any) -> None:
        # Every account written writes another one: a loop only the limit stops.
        records.RecordWriter(connection, context, AllRows()).create("account", {"name": "echo"})

    context = with_hooks(crm, echo)
    with pytest.raises(RecordValidationError) as caught:
        records.create_record(context, "account", {"name": "first"})
    assert caught.value.problems[0].code == "after-write-too-deep"
    assert records.query_records(crm.context(), "account", ListQuery(limit=10))["data"] == []

    def once(connection: Connection, context: RequestContext, written: Any) -> None:
        if any(record.after and record.after.get("name") == "first" for record in written):
            records.RecordWriter(connection, context, AllRows()).create("account", {"name": "n"})

    records.create_record(with_hooks(crm, once), "account", {"name": "first"})
    names = sorted(
        r["name"]
        for r in records.query_records(crm.context(), "account", ListQuery(limit=10))["data"]
    )
    assert names == ["first", "n"]
    assert records.MAX_AFTER_WRITE_DEPTH == 5


def test_a_hook_receives_every_record_of_a_bulk_write_once(crm: TenantHandle) -> None:
    hook = Recorder()
    context = with_hooks(crm, hook)
    records.bulk_write(context, "account", [{"name": f"A{i}"} for i in range(3)])
    assert len(hook.saves) == 1
    assert sorted(r.after["name"] for r in hook.saves[0] if r.after) == ["A0", "A1", "A2"]
