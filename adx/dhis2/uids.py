"""Deterministic DHIS2 UIDs derived from (object kind, code).

A DHIS2 UID is 11 characters, ``[A-Za-z][A-Za-z0-9]{10}``. We derive it from a SHA-256 of
``"<kind>:<code>"`` so that re-building the metadata bundle gives the same UIDs on every run and
machine (re-imports update instead of duplicating). Collisions (≈ 62^-10 per pair) are detected
by :class:`UidRegistry`, which the bundle builder uses for every UID it emits.
"""

from __future__ import annotations

import hashlib
import re

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALNUM = _LETTERS + "0123456789"
UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")

# DHIS2's built-in "default" dimension objects (same UIDs in every 2.38-2.41 instance).
DEFAULT_CATEGORY_OPTION = "xYerKDKCefk"
DEFAULT_CATEGORY = "GLevLNI9wkl"
DEFAULT_CATEGORY_COMBO = "bjDvmb4bfuf"
DEFAULT_CATEGORY_OPTION_COMBO = "HllvX50cXC0"


class UidCollisionError(ValueError):
    """Two different objects derived the same UID."""


def is_uid(text: str) -> bool:
    return bool(UID_RE.match(text))


def uid_for(kind: str, code: str) -> str:
    """Stable 11-character DHIS2 UID for the object of type ``kind`` with code ``code``."""
    n = int.from_bytes(hashlib.sha256(f"{kind}:{code}".encode()).digest(), "big")
    n, first = divmod(n, len(_LETTERS))
    chars = [_LETTERS[first]]
    for _ in range(10):
        n, r = divmod(n, len(_ALNUM))
        chars.append(_ALNUM[r])
    return "".join(chars)


class UidRegistry:
    """Hands out UIDs and refuses a UID already given to a different (kind, code)."""

    def __init__(self) -> None:
        self._owner: dict[str, tuple[str, str]] = {}

    def claim(self, uid: str, kind: str, code: str) -> str:
        if not is_uid(uid):
            raise ValueError(
                f"{kind} {code!r}: {uid!r} is not a valid DHIS2 UID (11 chars, [A-Za-z][A-Za-z0-9]{{10}})"
            )
        owner = self._owner.setdefault(uid, (kind, code))
        if owner != (kind, code):
            raise UidCollisionError(
                f"UID {uid} is derived for both {owner[0]} {owner[1]!r} and {kind} {code!r}; "
                "give one of them an explicit UID or a different code"
            )
        return uid

    def uid(self, kind: str, code: str) -> str:
        return self.claim(uid_for(kind, code), kind, code)
