"""`tessera user …`: create and list a tenant's users, as the users admin API does."""

from __future__ import annotations

import sys
from typing import Any

import typer

from engine.access import create_user, list_user_documents
from runtime.cli.context import cli_engine_context, operator_context
from runtime.cli.output import JsonOption, command_group, emit

user_app = command_group("Create and list a tenant's users.")


@user_app.command("create")
def user_create(
    tenant: str,
    email: str,
    name: str = typer.Option(..., "--name", help="The user's display name"),
    role: str = typer.Option(None, "--role", help="Their role in the role hierarchy"),
    permission_sets: list[str] = typer.Option(
        None, "--permission-set", help="A permission set of theirs (repeat for several)"
    ),
    manager: str = typer.Option(
        None, "--manager", help="Their manager: another user of the tenant, by e-mail or id"
    ),
    partner_account: str = typer.Option(
        None,
        "--partner-account",
        help="The id of the partner account record they work for (a partner user)",
    ),
    locale: str = typer.Option(None, "--locale", help="Their language tag, such as zh-CN or en"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read their password from the first line of stdin"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a user of a tenant (without --password-stdin they can use API keys only)."""
    body: dict[str, Any] = {
        "email": email,
        "name": name,
        "role": role,
        "manager": manager,
        "partner_account": partner_account,
        "locale": locale,
        "permission_sets": permission_sets or [],
    }
    if password_stdin:
        body["password"] = sys.stdin.readline().rstrip("\r\n")
    with cli_engine_context() as context:
        user = create_user(operator_context(context, tenant), body)
    emit(user, as_json=as_json, text=f"created user {user['email']} (id {user['id']})")


@user_app.command("list")
def user_list(tenant: str, as_json: bool = JsonOption) -> None:
    """List a tenant's users, one a line, tab-separated: e-mail, name, role, permission
    sets, active or deactivated, manager's e-mail, partner account id, locale (`-`: none)."""
    with cli_engine_context() as context:
        users = list_user_documents(operator_context(context, tenant))
    emails = {u["id"]: u["email"] for u in users}
    text = "\n".join(
        "\t".join(
            [
                u["email"],
                u["name"],
                u["role"] or "-",
                ",".join(u["permission_sets"]) or "-",
                "active" if u["active"] else "deactivated",
                emails.get(u["manager"], u["manager"]) if u["manager"] else "-",
                u["partner_account"] or "-",
                u["locale"] or "-",
            ]
        )
        for u in users
    )
    emit(users, as_json=as_json, text=text or "no users")
