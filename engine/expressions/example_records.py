"""The fixed situation every function example is evaluated in, so its result never changes.

Plugins use these in their examples (a cross-object example queries EXAMPLE_RECORDS);
docs/expressions.md lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

EXAMPLE_NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
EXAMPLE_USER = "01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d"
EXAMPLE_TENANT = "demo"
EXAMPLE_ACCOUNT = UUID("00000000-0000-0000-0000-0000000000a1")
EXAMPLE_OTHER_ACCOUNT = UUID("00000000-0000-0000-0000-0000000000a2")
#: The records cross-object examples query, by object, oldest first.
EXAMPLE_RECORDS: Mapping[str, tuple[Mapping[str, Any], ...]] = {
    "invoice": tuple(
        {
            "id": UUID(int=number),
            "account": account,
            "amount": Decimal(amount),
            "status": status,
            "issued_on": issued_on,
        }
        for number, account, amount, status, issued_on in (
            (1, EXAMPLE_ACCOUNT, "120.00", "paid", date(2026, 1, 10)),
            (2, EXAMPLE_ACCOUNT, "80.00", "open", date(2026, 2, 10)),
            (3, EXAMPLE_ACCOUNT, "50.00", "open", date(2026, 3, 1)),
            (4, EXAMPLE_OTHER_ACCOUNT, "300.00", "open", date(2026, 3, 5)),
        )
    )
}
