"""`tessera user create|list`, `tenant create --admin-email` and `key create --user`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from engine import metadata_changes, records
from engine.access import user_with_email
from engine.audit import list_events
from engine.context import EngineContext
from engine.metadata_changes import sharing
from engine.sessions import log_in
from engine.tenancy import authenticate, create_api_key, get_tenant
from metadata.models import ObjectDef
from runtime.cli import app
from tests.conftest import TenantHandle, drop_tenant_schema
from tests.identity_helpers import add_permission_set, add_role

runner = CliRunner()


@pytest.fixture
def tenant_name(
    engine_context: EngineContext, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A tenant made with `tessera tenant create`, its admin `boss@example.com`."""
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    name = f"cli{uuid.uuid4().hex[:10]}"
    created = runner.invoke(app, ["tenant", "create", name, "--admin-email", "Boss@Example.com"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    caller = authenticate(engine_context, key).caller
    assert (caller.email, caller.permission_sets) == ("boss@example.com", ("administrator",))
    yield name
    drop_tenant_schema(engine_context, name)


def test_user_create_with_a_password_from_stdin_makes_a_user_who_can_log_in(
    tenant_name: str, engine_context: EngineContext
) -> None:
    result = runner.invoke(
        app,
        ["user", "create", tenant_name, "Rep@Example.com", "--name", "Sam", "--password-stdin"],
        input="a password from stdin\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created user rep@example.com (id ")
    tokens = log_in(
        engine_context,
        tenant_name=tenant_name,
        username="rep@example.com",
        password="a password from stdin",
        address="cli-test",
    )
    assert tokens.access_token
    with engine_context.db.connect() as connection:
        events = list_events(connection, get_tenant(engine_context, tenant_name).id)
    created = next(e for e in events if e.action == "user.created" and e.target != e.actor)
    boss = user_with_email(
        engine_context, get_tenant(engine_context, tenant_name), "boss@example.com"
    )
    assert created.actor == str(boss.id)


def test_user_create_json_with_role_and_sets_then_user_list(
    tenant_name: str, engine_context: EngineContext
) -> None:
    _components(engine_context, tenant_name)
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            tenant_name,
            "rep@example.com",
            "--name",
            "Sam",
            "--role",
            "sales_rep",
            "--permission-set",
            "sales",
            "--permission-set",
            "support",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    user = json.loads(result.output)
    assert (user["role"], user["permission_sets"]) == ("sales_rep", ["sales", "support"])
    listed = json.loads(runner.invoke(app, ["user", "list", tenant_name, "--json"]).output)
    assert [u["email"] for u in listed] == ["boss@example.com", "rep@example.com"]
    text = runner.invoke(app, ["user", "list", tenant_name]).output.splitlines()
    assert text[1] == "rep@example.com\tSam\tsales_rep\tsales,support\tactive\t-\t-\t-"


def test_user_create_makes_a_dealer_user_with_manager_partner_account_and_locale(
    tenant_name: str, engine_context: EngineContext
) -> None:
    dealer = _dealer(engine_context, tenant_name)
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            tenant_name,
            "dealer@example.com",
            "--name",
            "Dee",
            "--manager",
            "BOSS@example.com",
            "--partner-account",
            dealer,
            "--locale",
            "zh-cn",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    user = json.loads(result.output)
    boss = user_with_email(
        engine_context, get_tenant(engine_context, tenant_name), "boss@example.com"
    )
    assert (user["manager"], user["partner_account"], user["locale"]) == (
        str(boss.id),
        dealer,
        "zh-CN",
    )
    dealer_id = user["id"]  # the new user manages the next one, named by id
    by_id = runner.invoke(
        app,
        ["user", "create", tenant_name, "two@example.com", "--name", "Two", "--manager", dealer_id],
    )
    assert by_id.exit_code == 0, by_id.output
    text = runner.invoke(app, ["user", "list", tenant_name]).output.splitlines()
    assert text[1] == f"dealer@example.com\tDee\t-\t-\tactive\tboss@example.com\t{dealer}\tzh-CN"
    assert text[2] == "two@example.com\tTwo\t-\t-\tactive\tdealer@example.com\t-\t-"


def test_user_create_refuses_a_bad_manager_partner_account_or_locale_as_the_api_does(
    tenant_name: str, engine_context: EngineContext
) -> None:
    def create(*options: str) -> tuple[int, list[dict[str, str]]]:
        result = runner.invoke(
            app, ["user", "create", tenant_name, "x@example.com", "--name", "X", *options, "--json"]
        )
        return result.exit_code, json.loads(result.output)["errors"]

    no_settings = create("--partner-account", "01900000-0000-7000-8000-000000000000")
    assert no_settings[0] == 2
    assert [e["code"] for e in no_settings[1]] == ["no-partner-settings"]
    _dealer(engine_context, tenant_name)
    code, errors = create(
        "--manager",
        "nobody@example.com",
        "--partner-account",
        "not-an-id",
        "--locale",
        "chinese",
    )
    assert code == 2
    assert {(e["pointer"], e["code"]) for e in errors} == {
        ("/manager", "unknown-user"),
        ("/partner_account", "invalid-id"),
        ("/locale", "invalid-locale"),
    }
    code, errors = create("--partner-account", "01900000-0000-7000-8000-000000000000")
    assert (code, [e["code"] for e in errors]) == (2, ["unknown-record"])
    listed = json.loads(runner.invoke(app, ["user", "list", tenant_name, "--json"]).output)
    assert [u["email"] for u in listed] == ["boss@example.com"]


def test_user_create_refuses_what_the_api_refuses_with_exit_code_2(tenant_name: str) -> None:
    result = runner.invoke(
        app,
        ["user", "create", tenant_name, "x@example.com", "--name", "X", "--permission-set", "nope"],
    )
    assert result.exit_code == 2
    assert "there is no permission set 'nope'" in result.output
    weak = runner.invoke(
        app,
        ["user", "create", tenant_name, "y@example.com", "--name", "Y", "--password-stdin"],
        input="short\n",
    )
    assert weak.exit_code == 2
    assert "at least 10 characters" in weak.output
    missing = runner.invoke(app, ["user", "list", "no-such-tenant"])
    assert missing.exit_code == 1


def test_key_create_for_a_user_acts_as_that_user(
    tenant_name: str, engine_context: EngineContext
) -> None:
    runner.invoke(app, ["user", "create", tenant_name, "svc@example.com", "--name", "Service"])
    issued = runner.invoke(app, ["key", "create", tenant_name, "--user", "SVC@example.com"])
    assert issued.exit_code == 0, issued.output
    assert "acting as svc@example.com" in issued.output
    key = issued.output.strip().splitlines()[-1]
    assert authenticate(engine_context, key).caller.email == "svc@example.com"
    unknown = runner.invoke(app, ["key", "create", tenant_name, "--user", "who@example.com"])
    assert unknown.exit_code == 1
    assert "has no user 'who@example.com'" in unknown.output


def _handle(engine: EngineContext, tenant_name: str) -> TenantHandle:
    key = create_api_key(engine, tenant_name)
    return TenantHandle(
        name=tenant_name, api_key=key.api_key, key_id=key.id, engine=engine, user_id=key.user_id
    )


def _dealer(engine: EngineContext, tenant_name: str) -> str:
    """Make `dealer` the partner accounts' object; return the id of a dealer record."""
    handle = _handle(engine, tenant_name)
    dealer = {"api_name": "dealer", "fields": [{"api_name": "title", "type": "text"}]}
    metadata_changes.create_object(handle.context(), ObjectDef.model_validate(dealer))
    sharing.put_partner_settings(handle.context(), {"object": "dealer"})
    record: str = records.create_record(handle.context(), "dealer", {"title": "A"})["id"]
    return record


def _components(engine: EngineContext, tenant_name: str) -> None:
    handle = _handle(engine, tenant_name)
    add_role(handle, "sales_rep")
    for name in ("sales", "support"):
        add_permission_set(handle, {"api_name": name, "objects": {"*": {"read": True}}})
