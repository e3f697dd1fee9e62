"""What a migration needs from `tessera data import|export`: lookups by key, checked headers,
every error told, labels, empty cells that mean no value, and clear refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine import metadata_changes, records
from engine.query import ListQuery
from metadata.models import ObjectDef
from runtime.cli import app
from tests.conftest import TenantHandle

runner = CliRunner()

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "code", "type": "text", "unique": True, "label": "Account code"},
    ],
}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "title", "type": "text", "required": True, "label": "Deal title"},
        {"api_name": "ref", "type": "text", "unique": True},
        {"api_name": "account", "type": "lookup", "target": "account"},
        {
            "api_name": "stage",
            "type": "picklist",
            "default": "new",
            "values": [
                {"value": "new", "label": "New"},
                {"value": "won", "label": "Won"},
                {"value": "lost", "label": "Lost"},
            ],
        },
        {
            "api_name": "tags",
            "type": "multi_picklist",
            "values": [{"value": "a", "label": "Alpha"}, {"value": "b", "label": "Beta"}],
        },
        {"api_name": "priority", "type": "integer", "default": 3},
        {"api_name": "number", "type": "auto_number", "format": "D-{0000}"},
    ],
}


@pytest.fixture
def crm(tenant: TenantHandle, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Accounts C-1 and C-2 (both named Acme) and C-3 (Globex); no deals yet."""
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    for document in (ACCOUNT, DEAL):
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(document))
    ids = {
        code: records.create_record(tenant.context(), "account", {"code": code, "name": name})["id"]
        for code, name in (("C-1", "Acme"), ("C-2", "Acme"), ("C-3", "Globex"))
    }
    return {"tenant": tenant, "accounts": ids}


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(tenant: TenantHandle, path: Path, *options: str) -> Any:
    return runner.invoke(app, ["data", "import", tenant.name, "deal", str(path), *options])


def deals(tenant: TenantHandle) -> dict[str, dict[str, Any]]:
    page = records.query_records(tenant.context(), "deal", ListQuery(limit=200))
    return {record["title"]: record for record in page["data"]}


def test_lookup_columns_take_ids_unique_fields_and_names(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant, accounts = crm["tenant"], crm["accounts"]
    path = write_csv(
        tmp_path / "deals.csv",
        ["title", "account", "account.code"],
        [["By id", accounts["C-2"], ""], ["By name", "Globex", ""], ["By code", "", "C-1"]],
    )
    result = run_import(tenant, path, "--json")
    assert result.exit_code == 0, result.output
    assert {title: deal["account"] for title, deal in deals(tenant).items()} == {
        "By id": accounts["C-2"],
        "By name": accounts["C-3"],
        "By code": accounts["C-1"],
    }


def test_unmatched_and_ambiguous_lookups_are_errors_by_line_with_field_and_value(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant = crm["tenant"]
    path = write_csv(
        tmp_path / "deals.csv",
        ["title", "account"],
        [["Fine", "Globex"], ["Which Acme", "Acme"], ["Nobody", "Initech"]],
    )
    result = run_import(tenant, path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(e["line"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, "account", "ambiguous-record"),
        (4, "account", "unknown-record"),
    ]
    assert "'Acme'" in report["errors"][0]["message"]
    assert "account.code" in report["errors"][0]["message"]
    assert report["errors"][1]["message"] == "no account record has name 'Initech'"
    assert list(deals(tenant)) == ["Fine"]


def test_an_upsert_moves_records_to_the_accounts_its_keys_name(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant, accounts = crm["tenant"], crm["accounts"]
    first = write_csv(tmp_path / "a.csv", ["ref", "title", "account.code"], [["R1", "Deal", "C-1"]])
    assert run_import(tenant, first).exit_code == 0
    again = write_csv(
        tmp_path / "b.csv",
        ["ref", "title", "account.code"],
        [["R1", "Deal", "C-3"], ["R2", "New", "C-2"]],
    )
    result = run_import(tenant, again, "--upsert-on", "ref", "--json")
    assert result.exit_code == 0, result.output
    assert (json.loads(result.output)["created"], json.loads(result.output)["updated"]) == (1, 1)
    assert {title: deal["account"] for title, deal in deals(tenant).items()} == {
        "Deal": accounts["C-3"],
        "New": accounts["C-2"],
    }


def test_a_header_with_unknown_columns_fails_once_before_any_row(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant = crm["tenant"]
    rows = [[f"T{i}", "x", "y", "z", "w"] for i in range(50)]
    path = write_csv(
        tmp_path / "deals.csv",
        ["title", "titel", "account.nope", "stage.code", "account.name"],
        rows,
    )
    result = run_import(tenant, path, "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["error"] == "invalid-record"
    assert [(e["field"], e["code"]) for e in report["errors"]] == [
        ("titel", "unknown-column"),
        ("account.nope", "unknown-field"),
        ("stage.code", "not-a-lookup"),
    ]
    assert "did you mean 'title'?" in report["errors"][0]["message"]
    assert deals(tenant) == {}


def test_a_dotted_column_to_a_field_that_is_not_unique_is_a_header_error(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    metadata_changes.add_field(
        crm["tenant"].context(), "account", _field({"api_name": "city", "type": "text"})
    )
    path = write_csv(tmp_path / "deals.csv", ["title", "account.city"], [["T", "Paris"]])
    result = run_import(crm["tenant"], path)
    assert result.exit_code == 2
    assert "'city' is not a unique field of 'account'" in result.output
    assert "account.code" in result.output


def _field(document: dict[str, Any]) -> Any:
    from metadata.models import FieldDef

    return FieldDef.model_validate(document)


def test_labels_name_columns_and_picklist_values(crm: dict[str, Any], tmp_path: Path) -> None:
    tenant = crm["tenant"]
    path = write_csv(
        tmp_path / "deals.csv",
        ["Deal title", "stage", "tags", "account.code"],
        [
            ["Labels", "Won", "Alpha;b", "C-1"],
            ["Values", "lost", "b", "C-1"],
            ["Bad", "won ", "", ""],
        ],
    )
    result = run_import(tenant, path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(e["line"], e["field"], e["code"]) for e in report["errors"]] == [
        (4, "stage", "not-in-picklist")
    ]
    found = deals(tenant)
    assert (found["Labels"]["stage"], found["Labels"]["tags"]) == ("won", ["a", "b"])
    assert (found["Values"]["stage"], found["Values"]["tags"]) == ("lost", ["b"])


def test_an_export_with_labels_writes_labels_and_imports_back(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant = crm["tenant"]
    records.create_record(
        tenant.context(), "deal", {"title": "One", "ref": "R1", "stage": "won", "tags": ["a", "b"]}
    )
    exported = tmp_path / "deals.csv"
    result = runner.invoke(
        app, ["data", "export", tenant.name, "deal", "--labels", "--output", str(exported)]
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(exported.read_text(encoding="utf-8").splitlines()))
    assert (row["stage"], row["tags"]) == ("Won", "Alpha;Beta")
    lines = runner.invoke(app, ["data", "export", tenant.name, "deal", "--labels"]).output
    assert json.loads(lines.splitlines()[0])["tags"] == ["Alpha", "Beta"]
    exported.write_text(exported.read_text().replace("R1", "R2").replace("One", "Two"))
    again = run_import(tenant, exported, "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert "number" in report["ignored_columns"] and "id" in report["ignored_columns"]
    copy = deals(tenant)["Two"]
    assert (copy["stage"], copy["tags"]) == ("won", ["a", "b"])


def test_empty_cells_let_defaults_apply_on_create_and_keep_values_on_update(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant = crm["tenant"]
    created = write_csv(
        tmp_path / "a.csv", ["ref", "title", "stage", "priority"], [["R1", "Deal", "", ""]]
    )
    assert run_import(tenant, created).exit_code == 0
    deal = deals(tenant)["Deal"]
    assert (deal["stage"], deal["priority"]) == ("new", 3)
    updated = write_csv(
        tmp_path / "b.csv", ["ref", "title", "stage", "priority"], [["R1", "", "won", ""]]
    )
    result = run_import(tenant, updated, "--upsert-on", "ref", "--json")
    assert result.exit_code == 0, result.output
    deal = deals(tenant)["Deal"]
    assert (deal["stage"], deal["priority"]) == ("won", 3)


def test_a_required_field_left_empty_on_create_is_reported_missing(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["ref", "title"], [["R1", ""]])
    result = run_import(crm["tenant"], path, "--json")
    assert result.exit_code == 1
    assert [(e["field"], e["code"]) for e in json.loads(result.output)["errors"]] == [
        ("title", "required")
    ]


@pytest.mark.parametrize("command", ["import", "export"])
def test_an_unknown_object_is_invalid_input_with_a_close_name(
    crm: dict[str, Any], tmp_path: Path, command: str
) -> None:
    path = write_csv(tmp_path / "deals.csv", ["title"], [["T"]])
    arguments = [str(path)] if command == "import" else ["--output", str(tmp_path / "out.csv")]
    result = runner.invoke(app, ["data", command, crm["tenant"].name, "deals", *arguments])
    assert result.exit_code == 2
    assert result.output.strip() == "error: there is no object 'deals'; did you mean 'deal'?"
    assert not (tmp_path / "out.csv").exists()


def test_json_lines_take_lookup_keys_and_labels_per_record(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant, accounts = crm["tenant"], crm["accounts"]
    path = tmp_path / "deals.jsonl"
    path.write_text(
        json.dumps({"title": "J1", "account.code": "C-3", "stage": "Won", "tags": ["Beta"]})
        + "\n"
        + json.dumps({"title": "J2", "account.nope": "x"})
        + "\n",
        encoding="utf-8",
    )
    result = run_import(tenant, path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(e["line"], e["field"], e["code"]) for e in report["errors"]] == [
        (2, "account.nope", "unknown-field")
    ]
    deal = deals(tenant)["J1"]
    assert (deal["account"], deal["stage"], deal["tags"]) == (accounts["C-3"], "won", ["b"])


def test_an_upsert_on_a_field_that_is_not_unique_is_invalid_input(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "deals.csv", ["title"], [["T"]])
    result = run_import(crm["tenant"], path, "--upsert-on", "title")
    assert result.exit_code == 2
    assert "upsert_on must name a unique field of 'deal'" in result.output
    assert deals(crm["tenant"]) == {}


def test_a_batch_the_cascade_refuses_is_reported_and_the_import_stops_there(
    crm: dict[str, Any], tmp_path: Path
) -> None:
    tenant = crm["tenant"]
    metadata_changes.add_field(
        tenant.context(), "deal", _field({"api_name": "amount", "type": "currency"})
    )
    metadata_changes.add_field(
        tenant.context(),
        "account",
        _field(
            {
                "api_name": "total",
                "type": "rollup_summary",
                "return_type": "currency",
                "precision": 5,
                "scale": 2,
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            }
        ),
    )
    path = write_csv(
        tmp_path / "deals.csv",
        ["title", "account.code", "amount"],
        [["A", "C-1", "600"], ["B", "C-3", "1"], ["C", "C-1", "600"], ["D", "C-3", "1"]],
    )
    result = run_import(tenant, path, "--batch-size", "2", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (2, 1)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(4, "rollup-overflow")]
    assert report["stopped_at_line"] == 4
    assert sorted(deals(tenant)) == ["A", "B"]
