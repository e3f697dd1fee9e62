"""Revision 0010: the stored signing key; a new one ends access tokens, not refresh tokens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.context import EngineContext
from engine.errors import AuthenticationFailed
from engine.sessions import authenticate_bearer, log_in, refresh_session
from metadata.store import stored_secrets
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import TenantHandle
from tests.identity_helpers import PASSWORD, give_password


def test_a_new_signing_key_refuses_earlier_access_tokens_and_refresh_tokens_carry_on(
    tenant: TenantHandle, engine_context: EngineContext
) -> None:
    give_password(engine_context, tenant.user_id)
    tokens = log_in(
        engine_context,
        tenant_name=tenant.name,
        username="admin@example.com",
        password=PASSWORD,
        address="test",
    )
    with engine_context.db.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(stored_secrets)).scalar()
    downgrade_system_tables(engine_context.db, revision="0007")
    upgrade_system_tables(engine_context.db)
    # A process started after the change: it generates and stores a new key.
    restarted = EngineContext(db=engine_context.db)
    with pytest.raises(AuthenticationFailed) as refused:
        authenticate_bearer(restarted, tokens.access_token)
    assert refused.value.extra["reason"] == "bad-signature"
    renewed = refresh_session(restarted, refresh_token=tokens.refresh_token, address="test")
    assert authenticate_bearer(restarted, renewed.access_token).caller.user_id == tenant.user_id
