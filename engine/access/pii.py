"""Which fields hold personal data (PII): the fields flagged `pii` (pure)."""

from __future__ import annotations

from metadata.models import FieldDef


def is_pii(definition: FieldDef) -> bool:
    """Whether the field is flagged `pii`: masked for callers without view_pii, erased by
    `tessera privacy erase`."""
    # Read with getattr: definitions without the flag hold no personal data.
    return bool(getattr(definition, "pii", False))
