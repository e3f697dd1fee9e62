"""Settings read from the environment (prefix TESSERA_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; every value can be set as TESSERA_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_")

    database_url: str = "sqlite:///./tessera.db"
    host: str = "127.0.0.1"
    port: int = 8000
    catalog_cache_tenants: int = 256
    log_level: str = "info"
    access_log: bool = True
    async_driver: bool = True
