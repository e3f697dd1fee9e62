"""Suggest the name a caller probably meant: the one source of every "did you mean" hint.

Unknown objects, fields, functions and query parameters all get their hint here, so a
typo is answered the same way wherever it is made.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

#: How alike two spellings must be (difflib's ratio, 0 to 1) for one to be suggested.
SIMILARITY_CUTOFF = 0.6


def closest_name(
    name: str, candidates: Iterable[str], *, synonyms: Mapping[str, str] | None = None
) -> str | None:
    """Return the candidate `name` most likely meant, or None when none is close enough.

    A candidate spelled the same but for case, `-` and `_` wins; then the word other
    systems use for a candidate (`synonyms`, keyed by lower-case name: `orderby` → `sort`);
    then the closest spelling.
    """
    known = list(dict.fromkeys(candidates))
    folded = {_fold(candidate): candidate for candidate in known}
    same = folded.get(_fold(name))
    if same is not None and same != name:
        return same
    if synonyms is not None:
        meant = synonyms.get(name.lower())
        if meant is not None and meant in known:
            return meant
    lowered = {candidate.lower(): candidate for candidate in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=SIMILARITY_CUTOFF)
    return lowered[close[0]] if close else None


def did_you_mean(
    name: str, candidates: Iterable[str], *, synonyms: Mapping[str, str] | None = None
) -> str:
    """Return `"; did you mean 'x'?"` for the closest candidate, or `""` when none is close."""
    meant = closest_name(name, candidates, synonyms=synonyms)
    return f"; did you mean {meant!r}?" if meant is not None else ""


def _fold(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")
