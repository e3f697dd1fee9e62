"""`tessera files sweep`: stored files no record refers to go, the others stay."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import metadata_changes, records
from engine.files import new_blob_id
from metadata.models import ObjectDef
from runtime.cli import app
from tests.conftest import TenantHandle
from tests.engine.records.files_helpers import stored_blobs, upload

runner = CliRunner()


@pytest.fixture
def tenant_with_files(
    tenant: TenantHandle, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TenantHandle:
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    monkeypatch.setenv("TESSERA_FILE_STORAGE", str(tmp_path / "files"))
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {"api_name": "visit", "fields": [{"api_name": "photo", "type": "file"}]}
        ),
    )
    return tenant


def test_a_sweep_removes_old_orphans_and_keeps_what_records_name(
    tenant_with_files: TenantHandle,
) -> None:
    context = tenant_with_files.context()
    visit = records.create_record(context, "visit", {})
    upload(context, "visit", visit["id"], "photo")
    [kept] = stored_blobs(context)
    orphan = kept.rsplit("/", 1)[0] + "/" + new_blob_id()
    context.engine.files.put(orphan, [b"left behind"])
    old = 1_000_000_000
    os.utime(context.engine.files.root / orphan, (old, old))  # type: ignore[attr-defined]

    dry = runner.invoke(app, ["files", "sweep", tenant_with_files.name, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert (report["blobs"], report["referenced"], report["removed"]) == (2, 1, 1)
    assert report["removed_keys"] == [orphan] and report["dry_run"] is True
    assert len(stored_blobs(context)) == 2

    swept = runner.invoke(app, ["files", "sweep", tenant_with_files.name])
    assert swept.exit_code == 0, swept.output
    assert "removed 1 of 2 blob(s)" in swept.output
    assert stored_blobs(context) == [kept]


def test_a_sweep_of_an_unknown_tenant_fails_with_its_reason(
    tenant_with_files: TenantHandle,
) -> None:
    result = runner.invoke(app, ["files", "sweep", "nobody", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["error"] == "not-found"


def test_an_export_with_files_imports_back_without_them(
    tenant_with_files: TenantHandle, tmp_path: Path
) -> None:
    context = tenant_with_files.context()
    visit = records.create_record(context, "visit", {})
    upload(context, "visit", visit["id"], "photo", name="门店.pdf")
    exported = tmp_path / "visits.csv"
    result = runner.invoke(
        app, ["data", "export", tenant_with_files.name, "visit", "--output", str(exported)]
    )
    assert result.exit_code == 0, result.output
    assert "门店.pdf" in exported.read_text()
    again = runner.invoke(
        app, ["data", "import", tenant_with_files.name, "visit", str(exported), "--json"]
    )
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["created"] == 1
    assert "photo" in report["ignored_columns"]
    assert len(stored_blobs(context)) == 1  # the copy has no file, and took none
