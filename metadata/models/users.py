"""The shape of a user as the users admin API takes it.

Users are data, not metadata (no revision, not in bundles): they live in a system table
of their own, `tessera_users`. A user's role and permission sets name components.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from metadata.models.fields import ApiName

#: The longest e-mail address (RFC 5321's limit on a path).
MAX_EMAIL_LENGTH = 320


def fold_email(text: str) -> str:
    """Return an e-mail in the one form it is stored, compared and counted in (pure).

    NFKC first, so that compatibility forms are the characters they stand for (`rep`
    written in full-width letters, U+FF52 U+FF45 U+FF50, is `rep`), then lower-case. Not
    `str.casefold`: that changes letters into others (`ß` into `ss`), so two addresses
    that are not the same would be taken for one. Logins, users, group members, manual
    shares and the counts of failed logins all compare e-mails in this form.
    """
    return unicodedata.normalize("NFKC", text).strip().lower()


Email = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMAIL_LENGTH)]
UserName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
#: A BCP 47 language tag such as `zh-CN` or `en` (checked further by the engine).
Locale = Annotated[str, StringConstraints(min_length=2, max_length=35)]
#: A user, by id or by e-mail.
UserReference = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMAIL_LENGTH)]


class UserDef(BaseModel):
    """A user: who they are, where they sit in the hierarchy, and what they may do.

    `manager` names another user of the tenant by id or e-mail; `partner_account` is the
    id of a partner account record; `password` is written, never read back.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email
    name: UserName
    role: ApiName | None = None
    manager: UserReference | None = None
    active: bool = True
    partner_account: str | None = None
    permission_sets: list[ApiName] = []
    locale: Locale | None = None
    password: str | None = None


class UserPatch(BaseModel):
    """The keys of a user a PATCH may send, each optional (documentation of the body)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email | None = None
    name: UserName | None = None
    role: ApiName | None = None
    manager: UserReference | None = None
    active: bool | None = None
    partner_account: str | None = None
    permission_sets: list[ApiName] | None = None
    locale: Locale | None = None
    password: str | None = None
