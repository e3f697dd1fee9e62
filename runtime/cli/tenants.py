"""`tessera tenant …` and `tessera key …`."""

from __future__ import annotations

import typer

from engine.tenancy import all_tenants, create_api_key, create_tenant, revoke_key, tenant_keys
from runtime.cli.context import cli_engine_context
from runtime.cli.output import JsonOption, command_group, emit

tenant_app = command_group("Create and list tenants.")
key_app = command_group("Issue, list and revoke API keys.")


@tenant_app.command("create")
def tenant_create(name: str, as_json: bool = JsonOption) -> None:
    """Create a tenant with its own schema; print its first API key on the last line."""
    with cli_engine_context() as context:
        tenant = create_tenant(context, name)
        key = create_api_key(context, name, label="initial")
    emit(
        {
            "tenant": tenant.name,
            "schema": tenant.schema_name,
            "key_id": key.id,
            "api_key": key.api_key,
        },
        as_json=as_json,
        text=f"created tenant {tenant.name} (schema {tenant.schema_name})\n{key.api_key}",
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
    as_json: bool = JsonOption,
) -> None:
    """Issue a new API key for a tenant; the key is printed once, on the last line."""
    with cli_engine_context() as context:
        key = create_api_key(context, tenant, label=label)
    emit(
        {"tenant": key.tenant, "key_id": key.id, "api_key": key.api_key},
        as_json=as_json,
        text=f"key {key.id} for tenant {key.tenant}\n{key.api_key}",
    )


@key_app.command("list")
def key_list(tenant: str, as_json: bool = JsonOption) -> None:
    """List a tenant's keys (ids and dates; secrets are never stored)."""
    with cli_engine_context() as context:
        keys = tenant_keys(context, tenant)
    rows = [
        {
            "key_id": k.id,
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
