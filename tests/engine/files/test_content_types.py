"""A file's type is told from its bytes, and matched against a field's accept list."""

from __future__ import annotations

import pytest

from engine.files import accepted_type, detect_content_type, is_inline_safe, media_range_problem
from tests.engine.files.samples import CSV, EXE, JPEG, PDF, PNG, docx


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (EXE, "application/vnd.microsoft.portable-executable"),
        (CSV, "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_bytes(content: bytes, expected: str) -> None:
    assert detect_content_type(content, declared=None).content_type == expected


def test_a_declared_type_never_overrides_a_signature() -> None:
    # An executable sent as a picture is still an executable.
    detected = detect_content_type(EXE, declared="image/png")
    assert detected.content_type == "application/vnd.microsoft.portable-executable"
    assert accepted_type(detected, ["image/*"]) is None


def test_text_keeps_the_text_type_it_was_declared_as() -> None:
    assert detect_content_type(CSV, declared="text/csv; charset=utf-8").content_type == "text/csv"
    # A declared non-text type does not make text anything but text.
    assert detect_content_type(CSV, declared="application/pdf").content_type == "text/plain"


def test_text_cut_inside_a_character_at_the_end_of_the_head_is_still_text() -> None:
    head = ("执照" * 10).encode()[:-1]
    assert detect_content_type(head, declared=None).content_type == "text/plain"


@pytest.mark.parametrize(
    ("accept", "content", "stored"),
    [
        (None, EXE, "application/vnd.microsoft.portable-executable"),
        (["image/*"], PNG, "image/png"),
        (["image/*", "application/pdf"], PDF, "application/pdf"),
        (["application/pdf"], PNG, None),
        (["image/*"], CSV, None),
        (["text/csv"], CSV, None),
    ],
)
def test_accept_takes_exact_types_and_wildcards(
    accept: list[str] | None, content: bytes, stored: str | None
) -> None:
    assert accepted_type(detect_content_type(content, declared=None), accept) == stored


def test_a_signature_shared_by_several_formats_is_stored_as_the_one_accepted() -> None:
    detected = detect_content_type(docx(), declared=None)
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sheet in detected.candidates
    assert accepted_type(detected, [sheet]) == sheet


@pytest.mark.parametrize(
    ("entry", "is_valid"),
    [
        ("application/pdf", True),
        ("image/*", True),
        ("application/vnd.ms-excel", True),
        ("*/*", False),
        ("image", False),
        ("Image/PNG", False),
        ("text/plain; charset=utf-8", False),
        ("image/png, image/gif", False),
    ],
)
def test_accept_entries_are_content_types_or_wildcards(entry: str, is_valid: bool) -> None:
    assert (media_range_problem(entry) is None) is is_valid


def test_only_plain_raster_images_are_shown_inline() -> None:
    assert is_inline_safe("image/png")
    assert is_inline_safe("image/jpeg")
    assert not is_inline_safe("image/svg+xml")
    assert not is_inline_safe("text/html")
    assert not is_inline_safe("application/pdf")
