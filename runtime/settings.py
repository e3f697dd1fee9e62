"""Settings read from the environment (prefix TESSERA_)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.budget import DEFAULT_LIMITS, DEFAULT_SLICE, RequestLimits
from engine.context import (
    DEFAULT_ACCESS_TOKEN_SECONDS,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_REFRESH_TOKEN_SECONDS,
)
from engine.files import FileStorage, LocalFileStorage
from runtime.app.size_limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_URL_BYTES, MEBIBYTE

#: The shortest TESSERA_SECRET_KEY taken: an HS256 key should have 256 bits.
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    """Runtime configuration; every value can be set as TESSERA_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_")

    database_url: str = "sqlite:///./tessera.db"
    host: str = "127.0.0.1"
    port: int = 8000
    catalog_cache_tenants: int = 256
    log_level: str = "info"
    access_log: bool = True
    #: The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or
    #: networks, comma-separated, or `*`. Empty (the default): none, so a request's client
    #: address is always its connection's, and a client cannot pick the address that
    #: failed logins are counted by (docs/identity.md#failed-logins).
    forwarded_allow_ips: str = ""
    async_driver: bool = True
    #: Where `tessera serve --demo` keeps the demo key (default: beside a SQLite database).
    demo_key_file: Path | None = None
    #: The largest request body served; larger ones are answered 413 (docs/data-api.md).
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024)
    #: The longest URL (path and query string) served; longer ones are answered 414.
    max_url_bytes: int = Field(DEFAULT_MAX_URL_BYTES, ge=256)
    #: How much of a request's head (request line and headers) the server reads before it
    #: gives up with a bare 400; above `max_url_bytes`, so long URLs get their 414.
    max_head_bytes: int = Field(MEBIBYTE, ge=16 * 1024)
    # The budget of each request (docs/limits.md).
    request_expression_seconds: float = Field(DEFAULT_LIMITS.expression_seconds, gt=0)
    request_evaluation_seconds: float = Field(DEFAULT_LIMITS.evaluation_seconds, gt=0)
    request_statements: int = Field(DEFAULT_LIMITS.statements, ge=1)
    request_rows: int = Field(DEFAULT_LIMITS.rows, ge=1)
    # How long a request holds the server's event loop before it lets others run.
    request_slice_seconds: float = Field(DEFAULT_SLICE, gt=0)
    #: Where file fields' contents live: a folder, or s3://bucket/prefix; empty is a
    #: folder beside the SQLite database (docs/data-api.md#files).
    file_storage: str = ""
    #: How an S3-compatible store is addressed: auto, path (most servers but AWS) or virtual.
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    #: The largest file the server takes, whatever a field's max_size says.
    max_file_bytes: int = Field(DEFAULT_MAX_FILE_BYTES, ge=1024)
    #: The key access tokens are signed with; unset, one is generated once and kept in the
    #: database, shared by every process on it (docs/identity.md).
    secret_key: SecretStr | None = None
    #: How long an access token, and a refresh token, is good for.
    access_token_seconds: int = Field(DEFAULT_ACCESS_TOKEN_SECONDS, ge=10, le=24 * 3600)
    refresh_token_seconds: int = Field(DEFAULT_REFRESH_TOKEN_SECONDS, ge=60)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"use at least {MIN_SECRET_KEY_LENGTH} characters, such as the output of "
                "`openssl rand -base64 48`"
            )
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _names_proxies(cls, value: str) -> str:
        proxies = [proxy.strip() for proxy in value.split(",") if proxy.strip()]
        for proxy in proxies:
            if proxy == "*":
                continue
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"{proxy!r} is not an address or network: write proxies as "
                    "'10.0.0.5,10.1.0.0/16', or '*' for every one"
                ) from exc
        return ",".join(proxies)

    def is_behind_proxy(self) -> bool:
        """Whether some proxy's forwarded headers are believed."""
        return bool(self.forwarded_allow_ips)

    @field_validator("file_storage")
    @classmethod
    def _names_a_bucket(cls, value: str) -> str:
        location = value.strip()
        if location.startswith("s3://") and not location.removeprefix("s3://").split("/")[0]:
            raise ValueError("an s3:// store names its bucket: s3://bucket/prefix")
        return location

    def file_storage_backend(self) -> FileStorage | None:
        """The configured file store, None for the default folder beside the database."""
        location = self.file_storage
        if not location:
            return None
        if location.startswith("s3://"):
            # Imported here: boto3 takes a noticeable time to import.
            from engine.files.s3_storage import S3FileStorage

            return S3FileStorage.from_url(location, addressing_style=self.s3_addressing_style)
        return LocalFileStorage(Path(location).expanduser().resolve())

    def request_limits(self) -> RequestLimits:
        """The limits every request of this process gets."""
        return RequestLimits(
            expression_seconds=self.request_expression_seconds,
            evaluation_seconds=self.request_evaluation_seconds,
            statements=self.request_statements,
            rows=self.request_rows,
        )
