"""Api name rules: safe SQL identifiers on every dialect, with a located, actionable problem."""

from __future__ import annotations

import pytest

from engine.catalog import SYSTEM_COLUMNS
from engine.metadata_changes.names import MAX_NAME_LENGTH, check_api_name

POINTER = "/fields/3/api_name"


def field_name_problems(name: str) -> list[tuple[str, str]]:
    return [
        (problem.pointer, problem.code)
        for problem in check_api_name(name, pointer=POINTER, is_field=True)
    ]


@pytest.mark.parametrize(
    "name", ["amount", "close_date", "x", "line2", "a_b_c", "street_address_1"]
)
def test_a_snake_case_ascii_name_is_accepted(name: str) -> None:
    assert check_api_name(name, pointer=POINTER, is_field=True) == []
    assert check_api_name(name, pointer="/api_name", is_field=False) == []


@pytest.mark.parametrize(
    "name",
    ["Amount", "closeDate", "close-date", "close date", "montant_dû", "naïve", "a.b", "a$"],
)
def test_a_name_that_is_not_snake_case_ascii_is_refused(name: str) -> None:
    assert field_name_problems(name) == [(POINTER, "invalid-name")]


@pytest.mark.parametrize("name", ["2fa", "_private", "_deleted_amount_01a2b3c4", "9"])
def test_a_name_that_does_not_start_with_a_letter_is_refused(name: str) -> None:
    assert field_name_problems(name) == [(POINTER, "invalid-name")]


def test_an_empty_name_is_refused() -> None:
    assert field_name_problems("") == [(POINTER, "invalid-name")]


@pytest.mark.parametrize("name", ["amount\n", "amount\r\n", "\namount"])
def test_a_name_with_a_line_break_is_refused(name: str) -> None:
    assert field_name_problems(name) == [(POINTER, "invalid-name")]


def test_the_invalid_name_message_says_which_characters_to_use() -> None:
    (problem,) = check_api_name("Close-Date", pointer=POINTER, is_field=True)
    assert "'Close-Date'" in problem.detail
    assert "lowercase letters, digits and '_'" in problem.detail
    assert "starting with a letter" in problem.detail


def test_a_name_of_63_characters_is_accepted() -> None:
    assert MAX_NAME_LENGTH == 63
    assert check_api_name("a" * 63, pointer=POINTER, is_field=True) == []


def test_a_name_longer_than_63_characters_is_refused_with_its_length() -> None:
    (problem,) = check_api_name("a" * 64, pointer=POINTER, is_field=True)
    assert (problem.pointer, problem.code) == (POINTER, "name-too-long")
    assert "64 characters" in problem.detail
    assert "at most 63" in problem.detail


@pytest.mark.parametrize("name", ["select", "order", "table", "user", "from", "where", "group"])
def test_a_reserved_word_is_refused_as_a_field_name(name: str) -> None:
    assert field_name_problems(name) == [(POINTER, "reserved-name")]


@pytest.mark.parametrize("name", ["select", "order", "table", "user"])
def test_a_reserved_word_is_refused_as_an_object_name(name: str) -> None:
    problems = check_api_name(name, pointer="/api_name", is_field=False)
    assert [(problem.pointer, problem.code) for problem in problems] == [
        ("/api_name", "reserved-name")
    ]


def test_the_reserved_word_message_suggests_another_name() -> None:
    (problem,) = check_api_name("order", pointer=POINTER, is_field=True)
    assert "'order' is an SQL reserved word" in problem.detail
    assert "order_value" in problem.detail


@pytest.mark.parametrize("name", ["name", "status", "amount", "description", "stage"])
def test_common_field_names_are_not_mistaken_for_reserved_words(name: str) -> None:
    assert field_name_problems(name) == []


@pytest.mark.parametrize("name", SYSTEM_COLUMNS)
def test_a_system_column_name_is_refused_as_a_field_name(name: str) -> None:
    (problem,) = check_api_name(name, pointer=POINTER, is_field=True)
    assert (problem.pointer, problem.code) == (POINTER, "reserved-name")
    assert "system column" in problem.detail
    assert "choose another name" in problem.detail


def test_the_system_columns_are_the_ones_every_table_has() -> None:
    assert SYSTEM_COLUMNS == (
        "id",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "owner_id",
        "version",
    )


@pytest.mark.parametrize("name", ["version", "owner_id", "created_at"])
def test_a_system_column_name_is_fine_for_an_object(name: str) -> None:
    assert check_api_name(name, pointer="/api_name", is_field=False) == []


def test_every_problem_is_located_at_the_pointer_given() -> None:
    for name in ("Bad", "a" * 70, "select", "id"):
        (problem,) = check_api_name(name, pointer="/fields/7/api_name", is_field=True)
        assert problem.pointer == "/fields/7/api_name"
        assert problem.as_dict()["field"] == "api_name"


@pytest.mark.parametrize(
    "name", ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid", "rowid"]
)
def test_a_column_the_database_keeps_on_every_table_is_refused_as_a_field_name(
    name: str,
) -> None:
    (problem,) = check_api_name(name, pointer=POINTER, is_field=True)
    assert (problem.pointer, problem.code) == (POINTER, "reserved-name")
    assert "the database keeps on every table" in problem.detail


@pytest.mark.parametrize("name", ["sqlite_master", "sqlite_sequence", "sqlite_stat1", "pg_class"])
def test_a_name_of_the_databases_own_tables_is_refused_as_an_object_name(name: str) -> None:
    (problem,) = check_api_name(name, pointer="/api_name", is_field=False, is_table=True)
    assert (problem.pointer, problem.code) == ("/api_name", "reserved-name")
    assert "sqlite_, pg_" in problem.detail


def test_a_database_table_prefix_is_fine_for_a_field() -> None:
    assert check_api_name("pg_count", pointer=POINTER, is_field=True) == []
