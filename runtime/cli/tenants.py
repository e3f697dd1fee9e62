"""`tessera tenant …` and `tessera key …`."""

from __future__ import annotations

import typer

from engine.access import DEFAULT_ADMIN_EMAIL, user_with_email
from engine.tenancy import (
    all_tenants,
    create_api_key,
    create_tenant,
    get_tenant,
    revoke_key,
    tenant_keys,
)
from runtime.cli.context import cli_engine_context
from runtime.cli.output import JsonOption, command_group, emit

tenant_app = command_group("Create and list tenants.")
key_app = command_group("Issue, list and revoke API keys.")


@tenant_app.command("create")
def tenant_create(
    name: str,
    admin_email: str = typer.Option(
        DEFAULT_ADMIN_EMAIL, "--admin-email", help="The e-mail of the tenant's first admin user"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a tenant with its own schema and admin user; print the admin's first API key
    on the last line."""
    with cli_engine_context() as context:
        tenant = create_tenant(context, name, admin_email=admin_email)
        key = create_api_key(context, name, label="initial")
        admin = user_with_email(context, get_tenant(context, name), admin_email)
    emit(
        {
            "tenant": tenant.name,
            "schema": tenant.schema_name,
            "admin_email": admin.email,
            "key_id": key.id,
            "api_key": key.api_key,
        },
        as_json=as_json,
        text=(
            f"created tenant {tenant.name} (schema {tenant.schema_name}) with admin user "
            f"{admin.email}; their API key:\n{key.api_key}"
        ),
    )


@tenant_app.command("list")
def tenant_list(as_json: bool = JsonOption) -> None:
    """List tenants with their metadata revision."""
    with cli_engine_context() as context:
        tenants = all_tenants(context)
    rows = [
        {
            "tenant": t.name,
            "schema": t.schema_name,
            "revision": t.revision,
            "created_at": t.created_at.isoformat(),
        }
        for t in tenants
    ]
    text = (
        "\n".join(f"{r['tenant']}\t{r['schema']}\trevision {r['revision']}" for r in rows)
        or "no tenants"
    )
    emit(rows, as_json=as_json, text=text)


@key_app.command("create")
def key_create(
    tenant: str,
    label: str = typer.Option(None, help="What the key is for"),
    user: str = typer.Option(
        None, "--user", help="The e-mail of the user the key acts as (default: the first admin)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Issue a new API key of a user of a tenant; the key is printed once, on the last line."""
    with cli_engine_context() as context:
        owner = user_with_email(context, get_tenant(context, tenant), user) if user else None
        key = create_api_key(context, tenant, label=label, user_id=owner.id if owner else None)
        email = owner.email if owner else None
    emit(
        {
            "tenant": key.tenant,
            "key_id": key.id,
            "user_id": str(key.user_id),
            "api_key": key.api_key,
        },
        as_json=as_json,
        text=f"key {key.id} for tenant {key.tenant}"
        + (f", acting as {email}" if email else "")
        + f"\n{key.api_key}",
    )


@key_app.command("list")
def key_list(tenant: str, as_json: bool = JsonOption) -> None:
    """List a tenant's keys (ids and dates; secrets are never stored)."""
    with cli_engine_context() as context:
        keys = tenant_keys(context, tenant)
    rows = [
        {
            "key_id": k.id,
            "user_id": str(k.user_id) if k.user_id else None,
            "label": k.label,
            "created_at": k.created_at.isoformat(),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        }
        for k in keys
    ]
    text = "\n".join(
        f"{r['key_id']}\t{r['label'] or ''}\t{'revoked' if r['revoked_at'] else 'active'}"
        for r in rows
    )
    emit(rows, as_json=as_json, text=text or "no keys")


@key_app.command("revoke")
def key_revoke(key_id: str, as_json: bool = JsonOption) -> None:
    """Revoke a key; requests with it get 401 at once."""
    with cli_engine_context() as context:
        revoke_key(context, key_id)
    emit({"key_id": key_id, "revoked": True}, as_json=as_json, text=f"revoked key {key_id}")
