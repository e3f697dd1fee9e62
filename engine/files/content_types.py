"""Tell a file's content type from its bytes, and match it against a field's `accept` list.

The type is told by content, never by the file's name or the type the client declares:
`puremagic` (pure Python, no libmagic) reads the signature at the start of the file.
Content without a known signature is text when its head is UTF-8 without NUL characters
(`text/plain`, or the `text/*` type the client declared), else `application/octet-stream`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

import puremagic

#: How much of a file's start decides its type.
HEAD_BYTES = 64 * 1024
OCTET_STREAM = "application/octet-stream"
PLAIN_TEXT = "text/plain"
#: Image types a browser renders without running anything: served inline when asked.
#: SVG is not among them: it is XML that can carry scripts.
INLINE_SAFE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# RFC 6838 restricted names: `type/subtype`, a `type/*` wildcard, no parameters.
_NAME = r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
_MEDIA_RANGE = re.compile(rf"{_NAME}/(?:\*|{_NAME})")


@dataclass(frozen=True)
class DetectedType:
    """What a file's head says it is.

    Attributes:
        content_type: the type the file is stored and served as.
        candidates: every type its signature fits, best first (one signature can mean
            several formats: a `.docx`, an `.xlsx` and a `.pptx` all start as a ZIP).
    """

    content_type: str
    candidates: tuple[str, ...]


def media_range_problem(entry: str) -> str | None:
    """Say what is wrong with one `accept` entry (`image/*`, `application/pdf`), or None."""
    if entry == "*/*":
        return "*/* takes any type: leave accept out instead"
    if not _MEDIA_RANGE.fullmatch(entry):
        return (
            f"{entry!r} is not a content type such as application/pdf, or a wildcard such "
            "as image/* (lower case, no parameters)"
        )
    return None


def detect_content_type(head: bytes, *, declared: str | None) -> DetectedType:
    """Return the type `head` (a file's first `HEAD_BYTES`, or all of it) shows.

    `declared` is the type the client sent; it only names the kind of text a text file is.
    """
    candidates = _signature_types(head)
    if candidates:
        return DetectedType(content_type=candidates[0], candidates=candidates)
    if _is_text(head):
        kind = _plain(declared)
        text = kind if kind is not None and kind.startswith("text/") else PLAIN_TEXT
        return DetectedType(content_type=text, candidates=(text,))
    return DetectedType(content_type=OCTET_STREAM, candidates=(OCTET_STREAM,))


def accepted_type(detected: DetectedType, accept: Sequence[str] | None) -> str | None:
    """Return the type the file is stored as if `accept` takes it, else None.

    No `accept` takes every type. Where a signature fits several types, the first one
    `accept` takes is chosen.
    """
    if accept is None:
        return detected.content_type
    for candidate in detected.candidates:
        if any(_matches(candidate, entry) for entry in accept):
            return candidate
    return None


def is_inline_safe(content_type: str) -> bool:
    """Whether a file of this type may be shown in the browser rather than downloaded."""
    return content_type in INLINE_SAFE_TYPES


def _matches(content_type: str, entry: str) -> bool:
    if entry.endswith("/*"):
        return content_type.startswith(entry[:-1])
    return content_type == entry


def _signature_types(head: bytes) -> tuple[str, ...]:
    """The types of the best-matching signatures, best first, without repeats."""
    if not head:
        return ()
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return ()
    typed = [match for match in matches if match.mime_type]
    if not typed:
        return ()
    best = max(match.confidence for match in typed)
    ordered: list[str] = []
    for match in typed:
        mime = match.mime_type.lower()
        if match.confidence == best and mime not in ordered:
            ordered.append(mime)
    return tuple(ordered)


def _is_text(head: bytes) -> bool:
    """Whether `head` is UTF-8 text without NUL (a character cut at its end is allowed)."""
    if not head or b"\x00" in head:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _plain(declared: str | None) -> str | None:
    """The declared type without parameters, in lower case."""
    if not declared:
        return None
    kind = declared.split(";", 1)[0].strip().lower()
    return kind if _MEDIA_RANGE.fullmatch(kind) and not kind.endswith("/*") else None
