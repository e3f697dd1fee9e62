"""Grants of the same manual share at the same moment all succeed; the share is one row."""

from __future__ import annotations

from engine.records.shares import add_share, list_shares
from tests.conftest import Api, add_user
from tests.integration.test_rollup_concurrency import run_together

WORKERS = 6


def test_the_same_share_granted_at_once_succeeds_every_time(api: Api) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    note = api.create("note")
    reader = add_user(api.tenant, "reader@example.com")
    body = {"user": str(reader.user_id), "access": "read"}

    def grant(index: int) -> object:
        access = "read_write" if index % 2 else "read"
        return add_share(api.tenant.context(), "note", note, body | {"access": access})

    results = run_together(WORKERS, grant)
    assert not [result for result in results if isinstance(result, Exception)], results
    shares = list_shares(api.tenant.context(), "note", note)
    assert len(shares) == 1
    assert shares[0]["access"] in {"read", "read_write"}
