"""`tessera privacy export|erase`: a data subject's records across objects, with history;
erasure through the save pipeline, all or nothing, audited. Also the import channel."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from engine import metadata_changes, records
from engine.audit import list_events
from engine.privacy import export_subject
from engine.query import ListQuery
from engine.tenancy import get_tenant
from metadata.models import ObjectDef
from runtime.cli import app
from tests.access_helpers import user_with
from tests.conftest import TenantHandle

runner = CliRunner()

#: The fields flagged `pii`.
PII = {"name", "email", "phone", "buyer_phone", "private_note"}

OBJECTS = [
    {
        "api_name": "contact",
        "fields": [
            {
                "api_name": "name",
                "type": "text",
                "required": True,
                "pii": True,
                "track_history": True,
            },
            {"api_name": "email", "type": "email", "pii": True, "track_history": True},
            {"api_name": "phone", "type": "phone", "pii": True},
            {"api_name": "note", "type": "text", "track_history": True},
        ],
    },
    {
        "api_name": "deal",
        "fields": [
            {"api_name": "title", "type": "text"},
            {"api_name": "buyer_phone", "type": "phone", "pii": True, "track_history": True},
            {"api_name": "contact", "type": "lookup", "target": "contact"},
        ],
    },
    {
        "api_name": "activity",
        "fields": [
            {"api_name": "subject", "type": "text"},
            {"api_name": "private_note", "type": "long_text", "pii": True},
            {"api_name": "contact", "type": "master_detail", "target": "contact"},
        ],
    },
]


@pytest.fixture
def crm(tenant: TenantHandle, database_url: str, monkeypatch: pytest.MonkeyPatch) -> TenantHandle:
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    for body in OBJECTS:
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(body))
    return tenant


@pytest.fixture
def subject(crm: TenantHandle) -> dict[str, str]:
    """Ann, her deal and activity, and someone else's deal."""
    context = crm.context()
    ann = records.create_record(
        context, "contact", {"name": "Ann", "email": "ann@example.com", "phone": "13812345678"}
    )
    records.update_record(context, "contact", ann["id"], {"email": "ann@corp.example"})
    bob = records.create_record(context, "contact", {"name": "Bob"})
    deal = records.create_record(
        context, "deal", {"title": "Big", "buyer_phone": "13900001111", "contact": ann["id"]}
    )
    activity = records.create_record(
        context, "activity", {"subject": "Call", "private_note": "sick", "contact": ann["id"]}
    )
    other = records.create_record(context, "deal", {"title": "Other", "contact": bob["id"]})
    return {
        "ann": ann["id"],
        "bob": bob["id"],
        "deal": deal["id"],
        "activity": activity["id"],
        "other": other["id"],
    }


def privacy(*arguments: str) -> Result:
    return runner.invoke(app, ["privacy", *arguments])


def events(tenant: TenantHandle, action: str) -> list[Any]:
    with tenant.engine.db.connect() as connection:
        return list_events(connection, get_tenant(tenant.engine, tenant.name).id, action=action)


def history(tenant: TenantHandle, object_name: str, record_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = records.record_history(
        tenant.context(), object_name, record_id, limit=100
    )["data"]
    return data


def read(tenant: TenantHandle, object_name: str, record_id: str) -> dict[str, Any]:
    return records.get_record(tenant.context(), object_name, record_id)


def test_export_gives_the_subject_and_every_record_referring_to_it(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    result = privacy("export", crm.name, "contact", subject["ann"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["subject"] == {"object": "contact", "id": subject["ann"]}
    found = [(r["object"], r["id"], r["via"]) for r in document["records"]]
    assert found == [
        ("contact", subject["ann"], []),
        ("activity", subject["activity"], ["contact"]),
        ("deal", subject["deal"], ["contact"]),
    ]
    ann = document["records"][0]
    assert ann["record"]["email"] == "ann@corp.example"
    assert [(h["field"], h["old_value"], h["new_value"]) for h in ann["history"]] == [
        ("email", "ann@example.com", "ann@corp.example"),
        ("name", None, "Ann"),
        ("email", None, "ann@example.com"),
    ]
    [event] = events(crm, "privacy.export")
    assert event.target == f"contact:{subject['ann']}"
    assert event.details == {"object": "contact", "record": subject["ann"], "records": 3}


def test_an_export_leaves_out_personal_data_its_caller_would_see_masked(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    # The clerk reads every record (view_all), not personal data (no view_pii).
    clerk = user_with(
        crm,
        "clerk@example.com",
        {"api_name": "clerk", "objects": {"*": {"read": True, "view_all": True}}},
    )
    records.update_record(crm.context(), "contact", subject["ann"], {"note": "hello"})
    document = export_subject(clerk.context(), "contact", subject["ann"])
    ann = document["records"][0]
    assert "email" not in ann["record"] and "name" not in ann["record"]
    assert ann["record"]["note"] == "hello"
    assert [(h["field"], h["new_value"]) for h in ann["history"]] == [("note", "hello")]
    assert document["records"][2]["record"]["title"] == "Big"


def test_export_to_a_file_is_readable_by_its_owner_alone(
    crm: TenantHandle, subject: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "ann.json"
    result = privacy("export", crm.name, "contact", subject["ann"], "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"out": str(out), "records": 3}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(json.loads(out.read_text())["records"]) == 3


def test_export_of_an_unknown_record_fails_and_is_not_audited(crm: TenantHandle) -> None:
    result = privacy("export", crm.name, "contact", "01900000-0000-7000-8000-000000000000")
    assert result.exit_code == 1
    assert "no contact record" in result.output
    assert events(crm, "privacy.") == []


def test_a_text_that_is_no_record_id_is_invalid_input_for_export_and_erase(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    for command in (["export"], ["erase", "--yes"]):
        result = privacy(*command, crm.name, "contact", "not-an-id", "--json")
        assert result.exit_code == 2, result.output
        refusal = json.loads(result.output)
        assert refusal["error"] == "invalid-request"
        assert "'not-an-id' is not a record id" in refusal["detail"]
        assert [e["code"] for e in refusal["errors"]] == ["invalid-id"]
    assert events(crm, "privacy.") == []
    assert read(crm, "contact", subject["ann"])["name"] == "Ann"


def test_erasing_a_subject_again_finds_nothing_left_and_changes_nothing(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    first = privacy("erase", crm.name, "contact", subject["ann"], "--yes")
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"erased 3 record(s) of contact:{subject['ann']}")
    erased = {
        name: (read(crm, name, subject[key]), history(crm, name, subject[key]))
        for name, key in (("contact", "ann"), ("deal", "deal"), ("activity", "activity"))
    }
    again = privacy("erase", crm.name, "contact", subject["ann"], "--yes")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"nothing left to erase of contact:{subject['ann']}")
    assert "nothing was changed" in again.output
    as_json = privacy("erase", crm.name, "contact", subject["ann"], "--yes", "--json")
    assert json.loads(as_json.output) == {
        "subject": f"contact:{subject['ann']}",
        "records": [],
        "history_rows": 0,
    }
    # No new version, no new history: the placeholder `[erased]` is no personal data.
    for name, key in (("contact", "ann"), ("deal", "deal"), ("activity", "activity")):
        assert (read(crm, name, subject[key]), history(crm, name, subject[key])) == erased[name]
    # Every erasure request is in the audit log; the later ones name no record.
    first_event, *later = sorted(events(crm, "privacy.erase"), key=lambda e: e.id)
    assert len(first_event.details["records"]) == 3
    assert [(e.target, e.details["records"], e.details["history_rows"]) for e in later] == [
        (f"contact:{subject['ann']}", [], 0)
    ] * 2


def test_erasing_again_clears_only_what_was_filled_in_since(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    assert privacy("erase", crm.name, "contact", subject["ann"], "--yes").exit_code == 0
    records.update_record(crm.context(), "contact", subject["ann"], {"email": "ann@new.example"})
    result = privacy("erase", crm.name, "contact", subject["ann"], "--yes", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    # The new e-mail, and the history rows of its entry and of its erasure.
    assert outcome["records"] == [{"object": "contact", "id": subject["ann"], "fields": ["email"]}]
    assert outcome["history_rows"] == 2
    assert read(crm, "contact", subject["ann"])["email"] is None
    assert all(e["erased"] for e in history(crm, "contact", subject["ann"]))


def test_erase_of_an_object_with_no_pii_fields_is_refused_naming_what_would_be_erased(
    crm: TenantHandle,
) -> None:
    for body in (
        {"api_name": "company", "fields": [{"api_name": "title", "type": "text"}]},
        {
            "api_name": "employee",
            "fields": [
                {"api_name": "mobile", "type": "phone", "pii": True},
                {"api_name": "company", "type": "lookup", "target": "company"},
            ],
        },
    ):
        metadata_changes.create_object(crm.context(), ObjectDef.model_validate(body))
    company = records.create_record(crm.context(), "company", {"title": "Acme"})
    worker = records.create_record(
        crm.context(), "employee", {"mobile": "13600000000", "company": company["id"]}
    )
    result = privacy("erase", crm.name, "company", company["id"], "--yes")
    assert result.exit_code == 2
    assert "company has no pii fields" in result.output
    assert "employee.mobile" in result.output
    refusal = json.loads(
        privacy("erase", crm.name, "company", company["id"], "--yes", "--json").output
    )
    assert [e["code"] for e in refusal["errors"]] == ["no-pii-fields"]
    assert read(crm, "employee", worker["id"])["mobile"] == "13600000000"
    assert events(crm, "privacy.erase") == []


def test_erase_empties_personal_data_of_the_subject_and_its_referrers_with_history(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    before = read(crm, "contact", subject["ann"])
    result = privacy("erase", crm.name, "contact", subject["ann"], "--yes", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert [(r["object"], r["fields"]) for r in outcome["records"]] == [
        ("contact", ["name", "email", "phone"]),
        ("activity", ["private_note"]),
        ("deal", ["buyer_phone"]),
    ]
    ann = read(crm, "contact", subject["ann"])
    # A required text keeps a placeholder; the others are empty; the rest is untouched.
    assert (ann["name"], ann["email"], ann["phone"]) == ("[erased]", None, None)
    assert ann["version"] == before["version"] + 1
    assert read(crm, "deal", subject["deal"])["buyer_phone"] is None
    assert read(crm, "deal", subject["deal"])["title"] == "Big"
    assert read(crm, "activity", subject["activity"])["private_note"] is None
    assert read(crm, "deal", subject["other"])["title"] == "Other"
    assert read(crm, "contact", subject["bob"])["name"] == "Bob"
    entries = history(crm, "contact", subject["ann"])
    assert entries and all(e["erased"] for e in entries if e["field"] in PII)
    assert {(e["old_value"], e["new_value"]) for e in entries} == {(None, None)}
    # The erasure's own changes are history too: written through the command line.
    assert {e["channel"] for e in entries[:2]} == {"cli"}
    assert all(e["erased"] for e in history(crm, "deal", subject["deal"]))
    [event] = events(crm, "privacy.erase")
    assert event.target == f"contact:{subject['ann']}"
    assert "ann" not in json.dumps(event.details).lower()


def test_erase_refuses_a_required_field_it_cannot_empty_and_changes_nothing(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    metadata_changes.update_field(
        crm.context(), "deal", "buyer_phone", {"required": True, "default": "13000000000"}
    )
    result = privacy("erase", crm.name, "contact", subject["ann"], "--yes", "--json")
    assert result.exit_code == 2, result.output
    refusal = json.loads(result.output)
    assert [e["pointer"] for e in refusal["errors"]] == [f"/deal/{subject['deal']}/buyer_phone"]
    assert read(crm, "contact", subject["ann"])["email"] == "ann@corp.example"
    assert not any(e["erased"] for e in history(crm, "contact", subject["ann"]))
    assert events(crm, "privacy.erase") == []


def test_erase_without_yes_asks_and_a_script_must_confirm(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    result = privacy("erase", crm.name, "contact", subject["ann"])
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert read(crm, "contact", subject["ann"])["name"] == "Ann"


def test_an_import_is_kept_in_history_with_the_import_channel(
    crm: TenantHandle, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("name,note\nCy,hello\n", encoding="utf-8")
    result = runner.invoke(app, ["data", "import", crm.name, "contact", str(path), "--json"])
    assert result.exit_code == 0, result.output
    query = ListQuery(filter={"name": {"eq": "Cy"}})
    [created] = records.query_records(crm.context(), "contact", query)["data"]
    assert {(e["field"], e["channel"]) for e in history(crm, "contact", created["id"])} == {
        ("name", "import"),
        ("note", "import"),
    }


def test_without_yes_the_subject_is_checked_before_any_prompt_and_nothing_changes(
    crm: TenantHandle, subject: dict[str, str]
) -> None:
    # Not an id: the refusal names the id, not the missing --yes.
    bad = privacy("erase", crm.name, "contact", "not-an-id", "--json")
    assert bad.exit_code == 2, bad.output
    assert [e["code"] for e in json.loads(bad.output)["errors"]] == ["invalid-id"]
    # A real subject without --yes and no terminal to ask at: refused, nothing erased,
    # and the dry run before the question left no audit event.
    unasked = privacy("erase", crm.name, "contact", subject["ann"])
    assert unasked.exit_code == 2, unasked.output
    assert "pass --yes" in unasked.output
    assert read(crm, "contact", subject["ann"])["name"] == "Ann"
    assert events(crm, "privacy.") == []
