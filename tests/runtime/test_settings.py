"""Settings from the environment: the request budget's limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.budget import RequestLimits
from runtime.bootstrap import build_engine_context
from runtime.settings import Settings


def test_the_request_limits_default_to_the_engines_defaults() -> None:
    assert Settings().request_limits() == RequestLimits()


def test_each_request_limit_is_read_from_its_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    monkeypatch.setenv("TESSERA_REQUEST_EXPRESSION_SECONDS", "2.5")
    monkeypatch.setenv("TESSERA_REQUEST_EVALUATION_SECONDS", "0.1")
    monkeypatch.setenv("TESSERA_REQUEST_STATEMENTS", "700")
    monkeypatch.setenv("TESSERA_REQUEST_ROWS", "9000")
    monkeypatch.setenv("TESSERA_REQUEST_SLICE_SECONDS", "0.004")
    engine = build_engine_context(Settings(), migrate=True)
    try:
        assert engine.limits == RequestLimits(
            expression_seconds=2.5, evaluation_seconds=0.1, statements=700, rows=9000
        )
        budget = engine.new_budget()
        assert budget.limits == engine.limits
        assert budget.slice_seconds == 0.004
    finally:
        engine.db.dispose()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TESSERA_REQUEST_STATEMENTS", "0"), ("TESSERA_REQUEST_EXPRESSION_SECONDS", "-1")],
)
def test_a_limit_that_would_refuse_every_request_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_file_store_is_a_folder_beside_the_database_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from engine.files import LocalFileStorage
    from engine.files.s3_storage import S3FileStorage

    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    engine = build_engine_context(Settings())
    try:
        assert isinstance(engine.files, LocalFileStorage)
        assert engine.files.root == tmp_path / "tessera.db.files"
        assert not engine.files.root.exists()  # made when the first file is stored
    finally:
        engine.db.dispose()
    monkeypatch.setenv("TESSERA_FILE_STORAGE", str(tmp_path / "evidence"))
    monkeypatch.setenv("TESSERA_MAX_FILE_BYTES", "2097152")
    engine = build_engine_context(Settings())
    try:
        assert engine.files == engine.file_storage
        assert isinstance(engine.files, LocalFileStorage)
        assert engine.files.root == tmp_path / "evidence"
        assert engine.max_file_bytes == 2097152
    finally:
        engine.db.dispose()
    monkeypatch.setenv("TESSERA_FILE_STORAGE", "s3://evidence/tessera")
    monkeypatch.setenv("TESSERA_S3_ADDRESSING_STYLE", "path")
    store = Settings().file_storage_backend()
    assert isinstance(store, S3FileStorage)
    assert (store.bucket, store.prefix) == ("evidence", "tessera/")


def test_an_s3_store_without_a_bucket_is_an_invalid_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TESSERA_FILE_STORAGE", "s3:///tessera")
    with pytest.raises(ValidationError, match="names its bucket"):
        Settings()


def test_a_configured_secret_key_signs_the_tokens_and_a_short_one_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    monkeypatch.setenv("TESSERA_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TESSERA_ACCESS_TOKEN_SECONDS", "60")
    context = build_engine_context(Settings())
    try:
        assert context.signing_secret.is_configured
        assert context.signing_secret.value(context.db) == "k" * 40
        assert context.access_token_seconds == 60
    finally:
        context.db.dispose()
    monkeypatch.setenv("TESSERA_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()
