"""Shared pieces of the metadata bundle steps: the build context, name and code rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from adx.dhis2.uids import UidRegistry
from adx.model import DefinitionError

PUBLIC_DATA_WRITE = {"public": "rwrw----"}  # metadata + data read/write for everyone
PUBLIC_READ = {"public": "r-------"}  # metadata read for everyone (favourites, dashboards)
MAX_CODE = 50
MAX_SHORT_NAME = 50


def check_code(kind: str, code: str, seen: dict[str, str]) -> None:
    """Refuse empty, over-long (DHIS2: 50) or repeated codes of one object type."""
    if not code or len(code) > MAX_CODE:
        raise DefinitionError(f"{kind} code {code!r} must have 1 to {MAX_CODE} characters")
    if code in seen:
        raise DefinitionError(f"{kind} code {code!r} is used twice ({seen[code]})")
    seen[code] = kind


@dataclass
class BuildContext:
    """What every step shares: the UID registry and the codes seen per object type."""

    reg: UidRegistry = field(default_factory=UidRegistry)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def check(self, kind: str, code: str) -> None:
        check_code(kind, code, self.codes.setdefault(kind, {}))


def unique_short(name: str, code: str, used: set[str]) -> str:
    """A short name ≤ 50 chars, unique within ``used`` (DHIS2 requires both for many types)."""
    short = name[:MAX_SHORT_NAME].strip()
    if short in used:
        suffix = f" ({code})"
        short = name[: MAX_SHORT_NAME - len(suffix)].strip() + suffix
    if short in used or len(short) > MAX_SHORT_NAME:
        digest = hashlib.sha256(code.encode()).hexdigest()[:8]
        short = f"{name[: MAX_SHORT_NAME - 9].strip()} {digest}"
    used.add(short)
    return short


def unique_name(name: str, code: str, used: set[str]) -> str:
    """Names of most DHIS2 object types are unique: disambiguate a repeat with its code."""
    if name in used:
        name = f"{name} ({code})"
    used.add(name)
    return name
