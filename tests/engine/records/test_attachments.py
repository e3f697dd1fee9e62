"""Files of records through the engine: attached by the save pipeline, released after commit.

Uploads and removals are record updates (version, updated_at/by, rules, after-write hooks
see them); deleting a record, cascades included, removes its files after the commit; a
soft-deleted field keeps its files until it is purged; expressions read a file field as
its file name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Connection

from engine import metadata_changes, records
from engine.context import RequestContext
from engine.errors import PreconditionFailed, RecordValidationError
from engine.extensions import WrittenRecord
from engine.files import LocalFileStorage, StorageUnavailable
from metadata.models import FieldDef, ObjectDef, ValidationRuleDef
from tests.conftest import TenantHandle
from tests.engine.files.samples import PDF, PNG
from tests.engine.records.files_helpers import read_file, stored_blobs, upload

DEALER = {"api_name": "dealer", "fields": [{"api_name": "name", "type": "text"}]}
LICENCE = {
    "api_name": "licence",
    "fields": [
        {"api_name": "number", "type": "text"},
        {"api_name": "status", "type": "picklist", "values": [{"value": "new"}, {"value": "ok"}]},
        {"api_name": "dealer", "type": "master_detail", "target": "dealer"},
        {"api_name": "scan", "type": "file", "accept": ["application/pdf", "image/*"]},
        {"api_name": "photo", "type": "file"},
    ],
}


@pytest.fixture
def dealers(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(DEALER))
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(LICENCE))
    return tenant


def new_licence(context: RequestContext, **values: object) -> tuple[str, str]:
    dealer = records.create_record(context, "dealer", {"name": "Shanghai Motors"})
    licence = records.create_record(
        context, "licence", {"number": "L-1", "dealer": dealer["id"], **values}
    )
    return dealer["id"], licence["id"]


def test_an_upload_is_an_update_the_record_shows(dealers: TenantHandle) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    record = upload(context, "licence", licence, "scan", PDF, name="营业执照.pdf")
    assert record["version"] == 2
    assert record["updated_by"] == context.actor
    assert record["scan"] == {
        "name": "营业执照.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "sha256": record["scan"]["sha256"],
        "uploaded_at": record["scan"]["uploaded_at"],
    }
    assert records.get_record(context, "licence", licence)["scan"] == record["scan"]
    assert read_file(context, "licence", licence, "scan") == PDF


def test_after_write_hooks_see_the_file_change(dealers: TenantHandle) -> None:
    seen: list[Sequence[WrittenRecord]] = []

    def hook(
        connection: Connection, context: RequestContext, written: Sequence[WrittenRecord]
    ) -> None:
        seen.append(written)

    base = dealers.context()
    context = replace(base, engine=replace(base.engine, after_write_hooks=(hook,)))
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    [change] = seen[-1]
    assert change.changed == {"scan"}
    assert change.before is not None and change.before["scan"] is None
    assert change.after is not None and change.after["scan"]["name"] == "licence.pdf"


def test_a_replaced_file_s_blob_is_removed_and_the_new_one_kept(dealers: TenantHandle) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan", PDF)
    [first] = stored_blobs(context)
    upload(context, "licence", licence, "scan", PNG, name="scan.png")
    [second] = stored_blobs(context)
    assert second != first
    assert read_file(context, "licence", licence, "scan") == PNG


def test_removing_a_file_empties_the_field_and_removes_the_blob(dealers: TenantHandle) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    record = records.detach_file(context, "licence", licence, "scan")
    assert (record["scan"], record["version"]) == (None, 3)
    assert stored_blobs(context) == []


def test_an_upload_against_a_stale_version_is_refused_before_it_is_read(
    dealers: TenantHandle,
) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    with pytest.raises(PreconditionFailed):
        records.prepare_upload(context, "licence", licence, "scan", expected_version=7)


def test_deleting_a_parent_removes_the_files_of_the_children_it_cascades_to(
    dealers: TenantHandle,
) -> None:
    context = dealers.context()
    dealer, licence = new_licence(context)
    _, other_licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    upload(context, "licence", licence, "photo", PNG)
    upload(context, "licence", other_licence, "scan")
    assert len(stored_blobs(context)) == 3
    records.delete_record(context, "dealer", dealer)
    [kept] = stored_blobs(context)
    assert other_licence.replace("-", "") in kept
    assert read_file(context, "licence", other_licence, "scan") == PDF


def test_a_delete_inside_a_caller_s_transaction_releases_after_its_commit(
    dealers: TenantHandle,
) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    with dealers.writer() as writer:
        writer.delete("licence", licence)
        assert len(writer.released) == 1
        assert len(stored_blobs(context)) == 1  # not before the commit
    assert stored_blobs(context) == []


def test_a_deleted_field_keeps_its_files_until_it_is_purged(dealers: TenantHandle) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    metadata_changes.delete_field(dealers.context(), "licence", "scan")
    assert len(stored_blobs(context)) == 1
    metadata_changes.restore_field(dealers.context(), "licence", "scan")
    assert read_file(dealers.context(), "licence", licence, "scan") == PDF
    metadata_changes.delete_field(dealers.context(), "licence", "scan")
    metadata_changes.purge_field(dealers.context(), "licence", "scan")
    assert stored_blobs(context) == []


def test_deleting_a_record_removes_the_files_of_its_deleted_fields_too(
    dealers: TenantHandle,
) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    metadata_changes.delete_field(dealers.context(), "licence", "scan")
    records.delete_record(dealers.context(), "licence", licence)
    assert stored_blobs(context) == []


def test_purging_an_object_removes_its_files(dealers: TenantHandle) -> None:
    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    metadata_changes.delete_object(dealers.context(), "licence")
    assert len(stored_blobs(context)) == 1
    metadata_changes.purge_object(dealers.context(), "licence", dry_run=True)
    assert len(stored_blobs(context)) == 1
    metadata_changes.purge_object(dealers.context(), "licence")
    assert stored_blobs(context) == []


def test_a_validation_rule_can_ask_for_a_file_at_a_stage(dealers: TenantHandle) -> None:
    metadata_changes.add_rule(
        dealers.context(),
        "licence",
        ValidationRuleDef(
            api_name="ok_needs_scan",
            expression="status == 'ok' and ISBLANK(scan)",
            message="an approved licence needs its scan",
            field="scan",
        ),
    )
    context = dealers.context()
    _, licence = new_licence(context)
    with pytest.raises(RecordValidationError) as refused:
        records.update_record(context, "licence", licence, {"status": "ok"})
    assert refused.value.problems[0].rule == "ok_needs_scan"
    upload(context, "licence", licence, "scan")
    assert records.update_record(context, "licence", licence, {"status": "ok"})["status"] == "ok"
    # Removing the file of an approved licence is refused by the same rule.
    with pytest.raises(RecordValidationError):
        records.detach_file(context, "licence", licence, "scan")
    assert len(stored_blobs(context)) == 1


def test_expressions_read_a_file_field_as_its_name(dealers: TenantHandle) -> None:
    metadata_changes.add_field(
        dealers.context(),
        "licence",
        FieldDef(api_name="scan_name", type="formula", return_type="text", expression="scan"),
    )
    metadata_changes.add_field(
        dealers.context(),
        "licence",
        FieldDef(
            api_name="has_scan",
            type="formula",
            return_type="boolean",
            expression="not ISBLANK(scan)",
        ),
    )
    metadata_changes.add_rule(
        dealers.context(),
        "licence",
        ValidationRuleDef(
            api_name="scan_kept",
            expression="ISCHANGED(scan) and PRIORVALUE(scan) == 'locked.pdf'",
            message="the locked scan cannot be replaced",
        ),
    )
    context = dealers.context()
    _, licence = new_licence(context)
    assert records.get_record(context, "licence", licence)["has_scan"] is False
    record = upload(context, "licence", licence, "scan", name="营业执照.pdf")
    assert (record["scan_name"], record["has_scan"]) == ("营业执照.pdf", True)
    upload(context, "licence", licence, "scan", name="locked.pdf")
    with pytest.raises(RecordValidationError) as refused:
        upload(context, "licence", licence, "scan", name="other.pdf")
    assert refused.value.problems[0].rule == "scan_kept"


def test_a_formula_reads_a_file_name_through_a_lookup(dealers: TenantHandle) -> None:
    metadata_changes.add_field(
        dealers.context(), "dealer", FieldDef(api_name="logo", type="file", accept=["image/*"])
    )
    metadata_changes.add_field(
        dealers.context(),
        "licence",
        FieldDef(
            api_name="dealer_logo",
            type="formula",
            return_type="text",
            expression="BLANKVALUE(dealer.logo, 'none')",
        ),
    )
    context = dealers.context()
    dealer, licence = new_licence(context)
    assert records.get_record(context, "licence", licence)["dealer_logo"] == "none"
    upload(context, "dealer", dealer, "logo", PNG, name="logo.png")
    records.update_record(context, "licence", licence, {"number": "L-2"})
    assert records.get_record(context, "licence", licence)["dealer_logo"] == "logo.png"


def test_a_sweep_removes_old_blobs_no_record_refers_to(dealers: TenantHandle) -> None:
    from engine.files import new_blob_id
    from engine.records.file_sweep import sweep_files

    context = dealers.context()
    _, licence = new_licence(context)
    upload(context, "licence", licence, "scan")
    [referenced] = stored_blobs(context)
    orphan = referenced.rsplit("/", 1)[0] + "/" + new_blob_id()
    context.engine.files.put(orphan, [b"left behind by a failed removal"])
    recent = sweep_files(context)
    assert (recent.blobs, recent.referenced, recent.recent, recent.removed) == (2, 1, 1, [])
    later = replace(
        context,
        engine=replace(context.engine, clock=lambda: datetime.now(UTC) + timedelta(hours=2)),
    )
    dry = sweep_files(later, dry_run=True)
    assert dry.removed == [orphan] and len(stored_blobs(context)) == 2
    assert sweep_files(later).removed == [orphan]
    assert stored_blobs(context) == [referenced]


def test_a_removal_the_store_fails_is_logged_and_the_delete_still_succeeds(
    dealers: TenantHandle, caplog: pytest.LogCaptureFixture
) -> None:
    base = dealers.context()
    _, licence = new_licence(base)
    upload(base, "licence", licence, "scan")
    stored = base.engine.files
    assert isinstance(stored, LocalFileStorage)

    class Unreachable(LocalFileStorage):
        def delete(self, key: str) -> None:
            raise StorageUnavailable("the store is down")

    broken = replace(base, engine=replace(base.engine, file_storage=Unreachable(stored.root)))
    with caplog.at_level(logging.WARNING, logger="engine.files.cleanup"):
        records.delete_record(broken, "licence", licence)
    assert "tessera files sweep" in caplog.text
    assert len(stored_blobs(base)) == 1  # an orphan now, for the sweep
