"""Single-record reads and writes go through the caller's scope, as lists do."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import FromClause
from sqlalchemy.sql.elements import ColumnElement

from engine import metadata_changes, records
from engine.catalog import CompiledObject
from engine.context import RequestContext
from engine.errors import Conflict, NotFound
from engine.query import ListQuery, QueryScope
from engine.records import bulk, service
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

ITEM = {
    "api_name": "item",
    "fields": [
        {"api_name": "code", "type": "text", "unique": True},
        {"api_name": "secret", "type": "boolean"},
    ],
}


class PublicOnly:
    """A scope that hides secret items, as record sharing will hide rows."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        column = table.c[obj.fields["secret"].column.name]
        return column.is_not(True)

    edit_predicate = predicate


@pytest.fixture
def items(tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    context = tenant.context()
    metadata_changes.create_object(context, ObjectDef.model_validate(ITEM))
    context = tenant.context()
    shown = records.create_record(context, "item", {"code": "shown", "secret": False})
    hidden = records.create_record(context, "item", {"code": "hidden", "secret": True})

    def scope(_: RequestContext) -> QueryScope:
        return PublicOnly()

    # Record sharing will replace caller_scope; here a scope hides the secret items.
    for module in (service, bulk):
        monkeypatch.setattr(module, "caller_scope", scope)
    monkeypatch.setattr(records.queries, "caller_scope", scope)
    return {"context": context, "shown": shown, "hidden": hidden}


def test_a_hidden_record_cannot_be_read_one_by_one(items: dict[str, Any]) -> None:
    context = items["context"]
    assert records.get_record(context, "item", items["shown"]["id"])["code"] == "shown"
    with pytest.raises(NotFound):
        records.get_record(context, "item", items["hidden"]["id"])
    page = records.query_records(context, "item", ListQuery(limit=10))
    assert [record["code"] for record in page["data"]] == ["shown"]


def test_a_hidden_record_cannot_be_updated_even_with_its_version(
    items: dict[str, Any],
) -> None:
    context = items["context"]
    hidden = items["hidden"]
    with pytest.raises(NotFound):
        records.update_record(context, "item", hidden["id"], {"code": "changed"})
    with pytest.raises(NotFound):
        records.update_record(
            context, "item", hidden["id"], {"code": "changed"}, expected_version=1
        )
    changed = records.update_record(context, "item", items["shown"]["id"], {"code": "new"})
    assert changed["version"] == 2


def test_a_hidden_record_cannot_be_deleted(items: dict[str, Any], tenant: TenantHandle) -> None:
    context = items["context"]
    with pytest.raises(NotFound):
        records.delete_record(context, "item", items["hidden"]["id"])
    everything = tenant.context()
    records.delete_record(context, "item", items["shown"]["id"])
    # Seen without the scope, the hidden record is still there.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "caller_scope", records.caller_scope)
        assert records.get_record(everything, "item", items["hidden"]["id"])["code"] == "hidden"


def test_an_upsert_does_not_find_a_hidden_record_by_its_key(items: dict[str, Any]) -> None:
    context = items["context"]
    result = records.bulk_write(
        context, "item", [{"code": "shown", "secret": False}], upsert_on="code"
    )
    assert result.count("updated") == 1
    # The hidden record's key is not found, so the upsert tries to create it and clashes.
    with pytest.raises(Conflict):
        records.bulk_write(context, "item", [{"code": "hidden"}], upsert_on="code")
