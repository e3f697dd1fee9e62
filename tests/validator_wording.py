"""What the validator and the JSON decoder say in their own words: no answer repeats it."""

from __future__ import annotations

RAW_PHRASES = (
    "Input should be",
    "Field required",
    "Extra inputs are not permitted",
    "Value error,",
    "type=",
    "For further information visit",
    "JSON decode error",
    "Expecting ",
)


def raw_phrases_in(text: str) -> list[str]:
    """The validator's phrases `text` repeats (none, in anything Tessera answers)."""
    return [phrase for phrase in RAW_PHRASES if phrase in text]
