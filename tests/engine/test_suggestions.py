"""One helper answers every "did you mean": case and separators, synonyms, then spelling."""

from __future__ import annotations

from engine.suggestions import closest_name, did_you_mean


def test_the_closest_spelling_is_suggested() -> None:
    assert did_you_mean("acount", ["account", "contact"]) == "; did you mean 'account'?"


def test_nothing_is_suggested_when_nothing_is_close() -> None:
    assert closest_name("zebra", ["account", "contact"]) is None
    assert did_you_mean("zebra", ["account"]) == ""


def test_case_and_separators_are_folded_before_spelling() -> None:
    assert closest_name("Close-Date", ["close_date", "closed"]) == "close_date"
    assert closest_name("DRYRUN", ["dry_run", "force"]) == "dry_run"


def test_a_synonym_wins_when_spelling_cannot_see_the_meaning() -> None:
    assert closest_name("orderby", ["filter", "sort", "limit"]) is None
    assert closest_name("orderby", ["filter", "sort"], synonyms={"orderby": "sort"}) == "sort"
    # A synonym of a name the caller cannot use here is not suggested.
    assert closest_name("orderby", ["filter"], synonyms={"orderby": "sort"}) is None
