"""Users' e-mails are stored NFKC-normalized and lower-cased, no longer case-folded.

Until this revision an e-mail was stored as `str.casefold` left it. Casefolding changes
letters into others (`ß` into `ss`) and leaves compatibility forms alone, so a
`rep@example.com` written in full-width letters was a user of its own beside
`rep@example.com`. E-mails
are now folded with NFKC, then lower-cased (`metadata.models.fold_email`); this revision
rewrites each stored e-mail that folds to another text.

An e-mail whose folded form another user of the same tenant already has is left as it
is, and a warning names it: two users cannot share one e-mail, and which of them is the
person meant is for an administrator to say (change one user's e-mail with
`PATCH /api/v1/admin/users/{id}`). Where several rows fold alike and none is already
folded, the oldest user gets the folded form. An e-mail casefolding already changed
(`ss` for `ß`) stays as it was stored: the original letters are not known any more.

The revision may run again: a folded e-mail folds to itself. Downgrading changes
nothing: folded e-mails are also what the older code stores and looks up.

Failed logins (`tessera_login_failures`) are counted for 15 minutes and are not
rewritten: a count under an e-mail's older form ends with its window.

Revision ID: 0012
Revises: 0011
"""

import logging
import unicodedata
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "tessera_users",
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("email", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _folded(email: str) -> str:
    # The rule of `metadata.models.fold_email`, written out: a revision keeps meaning
    # what it meant when it was written, whatever the code becomes.
    return unicodedata.normalize("NFKC", email).strip().lower()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.tenant_id, users.c.email).order_by(
            users.c.tenant_id, users.c.created_at, users.c.id
        )
    ).all()
    by_key: dict[tuple[Any, str], list[Any]] = defaultdict(list)
    for row in rows:
        by_key[(row.tenant_id, _folded(row.email))].append(row)
    for (_, folded), same in by_key.items():
        if any(row.email == folded for row in same):
            waiting = [row for row in same if row.email != folded]
        else:
            connection.execute(
                sa.update(users).where(users.c.id == same[0].id).values(email=folded)
            )
            waiting = same[1:]
        for row in waiting:
            logger.warning(
                "user %s keeps the e-mail %r: another user of its tenant has %r; "
                "change one of their e-mails",
                row.id,
                row.email,
                folded,
            )


def downgrade() -> None:
    pass
