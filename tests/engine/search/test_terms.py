"""The text a caller searches for: words, limits, and characters no query language reads."""

from __future__ import annotations

import pytest

from engine.query import InvalidQuery
from engine.search import MAX_SEARCH_LENGTH, MAX_WORDS, parse_search_text


def problem_of(raw: str | None) -> tuple[str, str]:
    with pytest.raises(InvalidQuery) as caught:
        parse_search_text(raw)
    (problem,) = caught.value.problems
    return problem.pointer, problem.code


def test_the_text_is_cut_into_words_at_white_space() -> None:
    searched = parse_search_text("  acme \t north\nwind ")
    assert searched.words == ("acme", "north", "wind")
    assert searched.text == "acme north wind"


def test_a_word_given_twice_is_searched_once_whatever_its_case() -> None:
    assert parse_search_text("Acme acme ACME corp").words == ("Acme", "corp")


@pytest.mark.parametrize("raw", ['"*(:', "NEAR(a b)", "a OR b", "-x", "name:acme", "^a*", "'"])
def test_query_syntax_characters_are_words_like_any_other(raw: str) -> None:
    assert parse_search_text(raw).text == raw


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_no_text_is_refused_with_what_to_send(raw: str | None) -> None:
    assert problem_of(raw) == ("/q", "missing-text")


def test_text_past_the_length_limit_is_refused() -> None:
    assert parse_search_text("x" * MAX_SEARCH_LENGTH).words == ("x" * MAX_SEARCH_LENGTH,)
    assert problem_of("x" * (MAX_SEARCH_LENGTH + 1)) == ("/q", "too-long")
    assert problem_of("x" * 10_000) == ("/q", "too-long")


def test_more_words_than_the_limit_are_refused() -> None:
    words = [f"w{i}" for i in range(MAX_WORDS + 1)]
    assert parse_search_text(" ".join(words[:-1])).words == tuple(words[:-1])
    assert problem_of(" ".join(words)) == ("/q", "too-many-words")


@pytest.mark.parametrize("raw", ["a\x00b", "\ud800"])
def test_text_no_database_stores_is_refused(raw: str) -> None:
    assert problem_of(raw) == ("/q", "invalid-character")
