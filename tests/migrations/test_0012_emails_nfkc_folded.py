"""Revision 0012: stored e-mails are NFKC-folded and lower-cased; a clash is left alone."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from engine.access import new_user
from engine.context import EngineContext
from metadata.store import UserRow, insert_user
from metadata.store.tables import users
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import Api
from tests.identity_helpers import PASSWORD, give_password

FULL_WIDTH_REP = "\uff52\uff45\uff50@example.com"  # "rep" in full-width letters
FULL_WIDTH_ADMIN = "\uff41\uff44\uff4d\uff49\uff4e@example.com"


def _stored(api: Api, email: str, *, age: int) -> UserRow:
    """A user row stored as the revision before could have stored it (not folded)."""
    now = datetime.now(UTC) - timedelta(days=age)
    row = new_user(api.tenant.context().tenant.id, email="x@example.com", name=email, now=now)
    row = dataclasses.replace(row, email=email)
    with api.tenant.engine.db.begin() as connection:
        insert_user(connection, row)
    return row


def _emails(api: Api) -> dict[str, str]:
    tenant_id = api.tenant.context().tenant.id
    with api.tenant.engine.db.connect() as connection:
        found = connection.execute(sa.select(users).where(users.c.tenant_id == tenant_id))
        return {row.name: row.email for row in found}


def test_stored_emails_are_folded_and_one_that_would_clash_is_kept_and_named(
    api: Api, engine_context: EngineContext, caplog: pytest.LogCaptureFixture
) -> None:
    downgrade_system_tables(engine_context.db, revision="0011")
    rep = _stored(api, FULL_WIDTH_REP, age=2)
    _stored(api, FULL_WIDTH_ADMIN, age=1)  # the admin already has admin@example.com
    _stored(api, "masse@example.com", age=1)  # what casefolding made of maße@example.com
    with caplog.at_level(logging.WARNING):
        upgrade_system_tables(engine_context.db)
    emails = _emails(api)
    assert emails[FULL_WIDTH_REP] == "rep@example.com"
    assert emails[FULL_WIDTH_ADMIN] == FULL_WIDTH_ADMIN
    assert emails["masse@example.com"] == "masse@example.com"
    assert emails["Administrator"] == "admin@example.com"
    assert f"keeps the e-mail {FULL_WIDTH_ADMIN!r}" in caplog.text
    # A second run finds nothing more to do, and the folded user logs in as typed.
    downgrade_system_tables(engine_context.db, revision="0011")
    upgrade_system_tables(engine_context.db)
    assert _emails(api) == emails
    give_password(api.tenant.engine, rep.id)
    for typed in ("rep@example.com", FULL_WIDTH_REP, "REP@example.com"):
        login = api.client.post(
            "/api/v1/auth/token",
            data={"tenant": api.tenant.name, "username": typed, "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
