"""Settings read from the environment (prefix TESSERA_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.budget import DEFAULT_LIMITS, DEFAULT_SLICE, RequestLimits


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
    # The budget of each request (docs/limits.md).
    request_expression_seconds: float = Field(DEFAULT_LIMITS.expression_seconds, gt=0)
    request_evaluation_seconds: float = Field(DEFAULT_LIMITS.evaluation_seconds, gt=0)
    request_statements: int = Field(DEFAULT_LIMITS.statements, ge=1)
    request_rows: int = Field(DEFAULT_LIMITS.rows, ge=1)
    # How long a request holds the server's event loop before it lets others run.
    request_slice_seconds: float = Field(DEFAULT_SLICE, gt=0)

    def request_limits(self) -> RequestLimits:
        """The limits every request of this process gets."""
        return RequestLimits(
            expression_seconds=self.request_expression_seconds,
            evaluation_seconds=self.request_evaluation_seconds,
            statements=self.request_statements,
            rows=self.request_rows,
        )
