"""File names are kept safe to store and to send back (RFC 6266 / RFC 5987)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from engine.files import content_disposition, sanitize_file_name
from engine.files.file_names import MAX_NAME_LENGTH


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("发票 2024.pdf", "发票 2024.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\scan.pdf", "scan.pdf"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("line\nbreak\ttab.pdf", "line break tab.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("..hidden", "hidden"),
        ("   spaced   name.pdf  ", "spaced name.pdf"),
        ("", "file"),
        (None, "file"),
        ("/", "file"),
        ("..", "file"),
        ("e\u0301.pdf", "\u00e9.pdf"),
    ],
)
def test_names_lose_folders_and_control_characters(raw: str | None, kept: str) -> None:
    assert sanitize_file_name(raw) == kept


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    name = sanitize_file_name("营业执照" * 100 + ".pdf")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".pdf")


def test_the_disposition_carries_an_ascii_stand_in_and_the_exact_utf8_name() -> None:
    header = content_disposition('营业执照 "2024".pdf')
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii()
    assert fallback.endswith(".pdf")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == '营业执照 "2024".pdf'
    assert all(char not in encoded for char in ' ";')


def test_inline_is_said_when_asked() -> None:
    assert content_disposition("a.png", is_inline=True).startswith("inline; ")
