"""Make a client's file name safe to store and to send back in a Content-Disposition header."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

#: The longest file name kept, in characters (the extension is kept when one is cut).
MAX_NAME_LENGTH = 255
#: The name of a file sent without one (or with nothing left once cleaned).
FALLBACK_NAME = "file"
# Unicode categories dropped from names: controls, format characters (bidirectional
# overrides that disguise `gpj.exe` as `exe.jpg`), surrogates, private use, unassigned.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_LONGEST_EXTENSION = 16


def sanitize_file_name(raw: str | None) -> str:
    """Return the last path segment of `raw`, without control characters, trimmed.

    Path separators of every system (`/`, `\\`) are cut away with what precedes them, so a
    name never names a folder; the result is NFC-normalized, has no leading dots (no
    hidden files, no `..`) and holds at most `MAX_NAME_LENGTH` characters.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if _is_space(char) else char
        for char in name
        if _is_space(char) or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    name = " ".join(name.split()).lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _LONGEST_EXTENSION:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH].rstrip()
    return name or FALLBACK_NAME


def _is_space(char: str) -> bool:
    """Tabs, line breaks and Unicode spaces (other control characters are dropped)."""
    return char in "\t\n\r\v\f" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def content_disposition(name: str, *, is_inline: bool = False) -> str:
    """Return a Content-Disposition header value naming `name` (RFC 6266, RFC 5987).

    `filename` carries an ASCII stand-in for old clients; `filename*` the exact name,
    UTF-8 and percent-encoded, which every current browser prefers.
    """
    kind = "inline" if is_inline else "attachment"
    fallback = "".join(char if " " <= char <= "~" and char not in '"\\%' else "_" for char in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
