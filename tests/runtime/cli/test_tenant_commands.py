"""`tessera tenant …`, `tessera key …` and `tessera db upgrade`, as a CI pipeline calls them."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from engine.context import EngineContext
from engine.errors import AuthenticationFailed
from engine.tenancy import authenticate
from runtime.cli import app
from tests.conftest import drop_tenant_schema

runner = CliRunner()


@pytest.fixture
def cli_env(
    engine_context: EngineContext, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> EngineContext:
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    return engine_context


def _name() -> str:
    return f"cli{uuid.uuid4().hex[:10]}"


def test_tenant_create_prints_a_working_api_key_on_its_last_line(cli_env: EngineContext) -> None:
    name = _name()
    result = runner.invoke(app, ["tenant", "create", name])
    try:
        assert result.exit_code == 0, result.output
        api_key = result.output.strip().splitlines()[-1]
        assert authenticate(cli_env, api_key).tenant.name == name
    finally:
        drop_tenant_schema(cli_env, name)


def test_tenant_create_json_and_list(cli_env: EngineContext) -> None:
    name = _name()
    result = runner.invoke(app, ["tenant", "create", name, "--json"])
    try:
        document = json.loads(result.output)
        assert document["tenant"] == name
        assert document["api_key"].startswith("tsk_")
        listed = json.loads(runner.invoke(app, ["tenant", "list", "--json"]).output)
        assert name in [row["tenant"] for row in listed]
    finally:
        drop_tenant_schema(cli_env, name)


def test_creating_a_tenant_twice_fails_with_a_clear_message(cli_env: EngineContext) -> None:
    name = _name()
    try:
        assert runner.invoke(app, ["tenant", "create", name]).exit_code == 0
        again = runner.invoke(app, ["tenant", "create", name])
        assert again.exit_code == 1
        assert "already exists" in again.output
        bad = runner.invoke(app, ["tenant", "create", "Not A Name", "--json"])
        assert bad.exit_code == 2
        assert json.loads(bad.output)["error"] == "invalid-metadata"
    finally:
        drop_tenant_schema(cli_env, name)


def test_a_revoked_key_no_longer_authenticates(cli_env: EngineContext) -> None:
    name = _name()
    try:
        runner.invoke(app, ["tenant", "create", name])
        issued = json.loads(runner.invoke(app, ["key", "create", name, "--json"]).output)
        assert authenticate(cli_env, issued["api_key"]).tenant.name == name
        revoked = runner.invoke(app, ["key", "revoke", issued["key_id"]])
        assert revoked.exit_code == 0
        with pytest.raises(AuthenticationFailed):
            authenticate(cli_env, issued["api_key"])
        keys = json.loads(runner.invoke(app, ["key", "list", name, "--json"]).output)
        assert {k["key_id"]: bool(k["revoked_at"]) for k in keys}[issued["key_id"]] is True
        assert runner.invoke(app, ["key", "revoke", issued["key_id"]]).exit_code == 1
    finally:
        drop_tenant_schema(cli_env, name)


def test_db_upgrade_is_idempotent(cli_env: EngineContext) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["upgraded"] is True
