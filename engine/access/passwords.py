"""Password hashing with argon2id (argon2-cffi), and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import MetadataError, Problem

#: Shorter passwords are refused; longer ones up to this are hashed as given.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()

#: A hash nothing verifies against, used when the user does not exist or has no password,
#: so that a failed login takes as long whether or not the e-mail is known.
_DUMMY_HASH = _HASHER.hash("no user has this password")


def check_password_rules(password: str, *, pointer: str = "/password") -> None:
    """Refuse a password too short or too long to be a password.

    Raises:
        MetadataError: the password breaks a rule.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    else:
        return
    raise MetadataError(
        "the password is not acceptable", problems=[Problem(pointer, "weak-password", problem)]
    )


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, with its own salt and parameters."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash (always spends one verification)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
