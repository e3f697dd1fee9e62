"""Tenants and their API keys."""

from engine.tenancy.api_keys import (
    Credential,
    IssuedKey,
    authenticate,
    create_api_key,
    revoke_key,
    tenant_keys,
)
from engine.tenancy.tenants import all_tenants, create_tenant, get_tenant, schema_name_for

__all__ = [
    "Credential",
    "IssuedKey",
    "all_tenants",
    "authenticate",
    "create_api_key",
    "create_tenant",
    "get_tenant",
    "revoke_key",
    "schema_name_for",
    "tenant_keys",
]
