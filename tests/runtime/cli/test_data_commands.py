"""`tessera data import` and `tessera data export`: streamed files, errors by line, round trips."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from engine import metadata_changes
from metadata.models import FieldDef, ObjectDef
from runtime.cli import app
from runtime.cli.data import count_rows, import_progress
from tests.conftest import TenantHandle

runner = CliRunner()


@pytest.fixture
def lead(tenant: TenantHandle, database_url: str, monkeypatch: pytest.MonkeyPatch) -> TenantHandle:
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef(
            api_name="lead",
            fields=[
                FieldDef(api_name="code", type="text", unique=True),
                FieldDef(api_name="score", type="integer"),
                FieldDef(api_name="budget", type="currency"),
                FieldDef(api_name="hot", type="boolean"),
                FieldDef(
                    api_name="tags", type="multi_picklist", values=[{"value": "a"}, {"value": "b"}]
                ),
                FieldDef(api_name="meta", type="json"),
            ],
        ),
    )
    return tenant


def import_file(tenant: TenantHandle, path: Path, *options: str) -> Result:
    """Run `tessera data import TENANT lead PATH OPTIONS…`."""
    return runner.invoke(app, ["data", "import", tenant.name, "lead", str(path), *options])


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def total(tenant: TenantHandle, where: dict[str, object] | None = None) -> int:
    from engine.query import ListQuery
    from engine.records import query_records

    query = ListQuery(filter=where, limit=1, count=True)
    return query_records(tenant.context(), "lead", query)["total"]


def test_a_100k_row_csv_imports_in_full(lead: TenantHandle, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "score", "budget", "hot"])
        for index in range(100_000):
            writer.writerow(
                [f"L{index:06d}", index % 100, f"{index}.25", "true" if index % 2 else "false"]
            )
    result = import_file(lead, path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == 100_000
    assert total(lead) == 100_000


def test_errors_are_reported_by_line_and_valid_rows_are_kept(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            {"code": "A", "score": "1", "budget": "1.00", "hot": "yes"},
            {"code": "B", "score": "many", "budget": "1.00", "hot": "no"},
            {"code": "C", "score": "3", "budget": "x", "hot": "maybe"},
            {"code": "A", "score": "4", "budget": "", "hot": ""},
        ],
    )
    result = import_file(lead, path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (1, 3)
    assert {(e["line"], e["field"]) for e in report["errors"]} == {
        (3, "score"),
        (4, "budget"),
        (4, "hot"),
        (5, "code"),
    }
    assert total(lead) == 1


def test_cells_past_what_the_parsers_take_are_errors_by_line_not_a_crash(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [
            {"code": "A", "score": "9" * 5000, "meta": ""},
            {"code": "B", "score": "1", "meta": "[" * 100_000},
            {"code": "C", "score": "2", "meta": "1" * 5000},
            {"code": "D", "score": "0" * 30 + "7", "meta": '{"ok": [1, 2]}'},
        ],
    )
    result = import_file(lead, path, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (1, 3)
    assert {(e["line"], e["field"]) for e in report["errors"]} == {
        (2, "score"),
        (3, "meta"),
        (4, "meta"),
    }
    assert total(lead) == 1


def test_an_atomic_import_with_one_bad_row_writes_nothing(
    lead: TenantHandle, tmp_path: Path
) -> None:
    rows = [{"code": f"C{i}", "score": str(i)} for i in range(50)] + [{"code": "bad", "score": "x"}]
    path = write_csv(tmp_path / "leads.csv", rows)
    result = import_file(lead, path, "--atomic", "--batch-size", "10", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["written"] is False
    assert report["errors"][0]["line"] == 52
    assert total(lead) == 0


def test_an_export_imports_back_to_the_same_records(lead: TenantHandle, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "code": "X1",
                    "score": 5,
                    "budget": "10.50",
                    "hot": True,
                    "tags": ["a", "b"],
                    "meta": {"k": [1, 2]},
                },
                {"code": "X2", "score": None, "hot": False, "tags": [], "meta": None},
            ]
        )
        + "\n"
    )
    assert import_file(lead, source).exit_code == 0
    exported = tmp_path / "out.csv"
    result = runner.invoke(app, ["data", "export", lead.name, "lead", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    original = json.loads(
        runner.invoke(app, ["data", "export", lead.name, "lead"]).output.splitlines()[0]
    )
    # Re-import the CSV into the same object under new codes: values must come back equal.
    text = exported.read_text().replace("X1", "Y1").replace("X2", "Y2")
    exported.write_text(text)
    again = import_file(lead, exported, "--json")
    assert again.exit_code == 0, again.output
    lines = runner.invoke(
        app, ["data", "export", lead.name, "lead", "--filter", json.dumps({"code": "Y1"})]
    ).output.splitlines()
    copy = json.loads(lines[0])
    for key in ("score", "budget", "hot", "tags", "meta"):
        assert copy[key] == original[key], key


def test_imported_nulls_of_json_and_multi_picklist_fields_are_no_value(
    lead: TenantHandle, tmp_path: Path
) -> None:
    # 100 rows: PostgreSQL takes them through COPY. A CSV cell `null` is JSON null too.
    source = tmp_path / "in.jsonl"
    rows = [{"code": f"J{i:03}", "meta": None, "tags": None} for i in range(100)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    cells = write_csv(tmp_path / "in.csv", [{"code": "C1", "meta": "null"}])
    for path in (source, cells):
        result = import_file(lead, path)
        assert result.exit_code == 0, result.output
    assert total(lead, {"meta": {"is_null": True}}) == 101
    assert total(lead, {"tags": {"is_null": True}}) == 101
    assert total(lead, {"meta": {"is_null": False}}) == 0


def test_json_lines_with_a_lone_surrogate_are_refused_by_line_and_nothing_of_them_is_written(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(
        '{"code": "ok"}\n'
        '{"code": "\\ud800"}\n'
        '{"code": "pair \\ud83d\\ude00", "meta": {"k": ["\\udc00"]}}\n'
        '{"score": NaN}\n',
        encoding="utf-8",
    )
    result = import_file(lead, path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (1, 3)
    assert [error["line"] for error in report["errors"]] == [2, 3, 4]
    assert total(lead) == 1


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_bytes_that_are_not_utf8_are_refused_by_line_and_the_other_lines_imported(
    lead: TenantHandle, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"leads{suffix}"
    lines = (
        [b"code,score", b"ok,1", b"caf\xe9,2", b"fine,3"]
        if suffix == ".csv"
        else [b'{"code": "ok"}', b'{"code": "caf\xe9"}', b'{"code": "fine"}']
    )
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = import_file(lead, path, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (2, 1)
    [error] = report["errors"]
    assert error["line"] == (3 if suffix == ".csv" else 2)
    assert "save the file as UTF-8" in error["message"]
    assert total(lead) == 2


def test_text_imported_from_a_file_is_refused_when_no_database_can_store_it(
    lead: TenantHandle,
) -> None:
    from engine.errors import RecordValidationError
    from engine.records import create_record

    for value in ("\ud800", "a\x00b"):
        with pytest.raises(RecordValidationError) as refused:
            create_record(lead.context(), "lead", {"code": value, "meta": {"k": value}})
        assert {problem.pointer for problem in refused.value.problems} == {"/code", "/meta"}
    assert total(lead) == 0


def test_an_export_filter_that_is_not_strict_json_is_a_usage_error(lead: TenantHandle) -> None:
    result = runner.invoke(
        app, ["data", "export", lead.name, "lead", "--filter", '{"code": "\\ud800"}']
    )
    assert result.exit_code == 2
    assert "lone surrogate" in result.output


def test_an_export_filter_naming_an_unknown_field_says_so_once(lead: TenantHandle) -> None:
    result = runner.invoke(app, ["data", "export", lead.name, "lead", "--filter", '{"scor": 1}'])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: 'lead' has no field 'scor'")
    assert line.count("has no field") == 1


def test_a_json_lines_line_that_is_not_json_says_its_line_column_and_what_is_wrong(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(
        '{"code": "ok"}\n'
        "\n"
        '{"code": "a", "score": NaN}\n'
        '  {"code": "b", "meta": {"k": [1, 1e400]}}\n'
        '{"code": "c",}\n'
        "[1, 2]\n"
        '{"code": "d", "tags": ["zz"]}\n',
        encoding="utf-8",
    )

    result = import_file(lead, path)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "line 3, column 24: score: NaN is not a JSON number (NaN or Infinity cannot be "
        "stored); send a number",
        "line 4, column 35: meta: 1e400 is too large for a number; send a finite number",
        "line 5, column 14: not valid JSON: expected a key in double quotes; "
        "JSON allows no comma before '}'",
        "line 6, column 1: each line is one record, a JSON object; this one is an array",
        "line 7: tags: 'zz' is not a value of this picklist (allowed: a, b)",
        "created 1, updated 0; 5 record(s) failed",
    ]
    report = json.loads(import_file(lead, path, "--json").output)
    assert [
        (error["line"], error["column"], error["field"], error["code"])
        for error in report["errors"]
    ] == [
        (1, None, "code", "not-unique"),
        (3, 24, "score", "invalid-number"),
        (4, 35, "meta", "invalid-number"),
        (5, 14, "", "invalid-json"),
        (6, 1, "", "not-an-object"),
        (7, None, "tags", "not-in-picklist"),
    ]
    assert total(lead) == 1


def test_errors_past_the_first_thousand_are_counted_and_all_go_to_the_errors_file(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [{"code": f"E{i}", "score": "bad"} for i in range(1500)] + [{"code": "OK", "score": "1"}],
    )
    result = import_file(lead, path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len([line for line in lines if line.startswith("line ")]) == 1000
    assert "… and 500 more errors; write them all with --errors FILE" in lines
    assert lines[-1] == "created 1, updated 0; 1,500 record(s) failed"

    errors = tmp_path / "errors.csv"
    path = write_csv(path, [{"code": f"E{i}", "score": "bad"} for i in range(1500)])
    result = runner.invoke(
        app, ["data", "import", lead.name, "lead", str(path), "--errors", str(errors), "--json"]
    )
    report = json.loads(result.output)
    assert (report["error_count"], len(report["errors"])) == (1500, 1000)
    with errors.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 1500
    assert written[-1]["line"] == "1501"
    assert (written[-1]["field"], written[-1]["code"]) == ("score", "wrong-type")
    assert json.loads(written[-1]["row"]) == {"code": "E1499", "score": "bad"}


def _import_with_errors_file(
    lead: TenantHandle, source: Path, errors: Path
) -> tuple[Result, list[dict[str, Any]]]:
    """Import `source` writing its errors to the JSON Lines file `errors`; read them back."""
    result = runner.invoke(
        app, ["data", "import", lead.name, "lead", str(source), "--errors", str(errors)]
    )
    return result, [json.loads(line) for line in errors.read_text("utf-8").splitlines()]


def test_the_errors_file_can_be_json_lines_and_holds_the_rows_as_read(
    lead: TenantHandle, tmp_path: Path
) -> None:
    source = tmp_path / "leads.jsonl"
    source.write_text('{"code": "A", "score": "x"}\n[1, 2]\n', encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    result, written = _import_with_errors_file(lead, source, errors)
    assert result.exit_code == 1
    assert f"all 2 error(s) are in {errors}" in result.output
    assert [(e["line"], e["column"], e["code"], e["row"]) for e in written] == [
        (1, None, "wrong-type", {"code": "A", "score": "x"}),
        (2, 1, "not-an-object", None),
    ]


def test_an_errors_file_of_another_kind_is_a_usage_error(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", [{"code": "A"}])
    result = runner.invoke(
        app, ["data", "import", lead.name, "lead", str(path), "--errors", str(tmp_path / "e.txt")]
    )
    assert result.exit_code == 2
    assert total(lead) == 0


def test_an_atomic_import_reports_the_errors_of_every_batch(
    lead: TenantHandle, tmp_path: Path
) -> None:
    rows = [{"code": f"C{i}", "score": "x" if i % 10 == 0 else str(i)} for i in range(40)]
    path = write_csv(tmp_path / "leads.csv", rows)
    result = import_file(lead, path, "--atomic", "--batch-size", "10", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["written"], report["failed"]) == (False, 4)
    assert [error["line"] for error in report["errors"]] == [2, 12, 22, 32]
    assert total(lead) == 0


def test_a_row_with_more_cells_than_the_header_is_an_error_of_its_line(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("code,score\nA,1\nB,2,3\n", encoding="utf-8")
    result = import_file(lead, path, "--json")
    report = json.loads(result.output)
    assert (report["created"], report["failed"]) == (1, 1)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(3, "extra-cells")]


def test_the_errors_file_keeps_every_cell_of_a_row_with_extra_cells(
    lead: TenantHandle, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("code,score\nA,1\nB,2,3,x\n", encoding="utf-8")
    _, [error] = _import_with_errors_file(lead, path, tmp_path / "errors.jsonl")
    assert (error["line"], error["code"]) == (3, "extra-cells")
    assert error["row"] == {"code": "B", "score": "2", "_extra_cells": ["3", "x"]}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("plain.csv", "code,score\nA,1\nB,2\nC,3", "3"),
        ("quoted.csv", 'code,note\nA,"two\nlines"\nB,x\n', "~3"),
        ("blank.jsonl", '{"code": "A"}\n\n{"code": "B"}\n', "~3"),
        ("plain.jsonl", '{"code": "A"}\r\n{"code": "B"}\r\n', "2"),
    ],
)
def test_rows_are_counted_up_front_exactly_or_as_an_estimate(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode())
    assert str(count_rows(path)) == expected


def test_the_progress_bar_counts_rows_and_rows_per_second() -> None:
    from rich.console import Console

    console = Console(record=True, width=120, force_terminal=True)
    progress = import_progress(disable=False)
    task = progress.add_task("import", total=2000, total_rows="2,000")
    progress.update(task, completed=500)
    time.sleep(0.05)
    progress.update(task, completed=1500)
    console.print(progress.get_renderable())
    shown = console.export_text()
    assert "1,500/2,000 rows" in shown
    assert " rows/s" in shown


def test_a_batch_that_loses_to_concurrent_writes_stops_the_import_and_the_summary_keeps_the_rest(
    lead: TenantHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.errors import WritesCollided
    from engine.records import transfer

    real_write_batch = transfer.write_batch
    calls = []

    def second_batch_collides(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise WritesCollided("the request collided with concurrent writes; send it again")
        return real_write_batch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transfer, "write_batch", second_batch_collides)
    path = write_csv(tmp_path / "leads.csv", [{"code": f"L{i}", "score": i} for i in range(10)])
    result = runner.invoke(
        app, ["data", "import", lead.name, "lead", str(path), "--batch-size", "5", "--json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["created"] == 5
    assert report["stopped_at_line"] == 7
    assert report["errors"][0]["code"] == "writes-collided"
    assert total(lead) == 5
