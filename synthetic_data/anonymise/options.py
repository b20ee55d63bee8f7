"""Options of one anonymisation run, validated on construction."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

__all__ = ["AnonymiseOptions", "AnonymiseError", "TARGET_MODES"]

TARGET_MODES = ("auto", "create", "into_existing")


class AnonymiseError(ValueError):
    """The run cannot proceed; the message names the table, column or value and what to do."""


@dataclass(frozen=True)
class AnonymiseOptions:
    """``seed``: key of every replacement (None: a random one; keep it secret, it is the mapping key).
    ``shift_months`` / ``shift_to`` ("YYYY-MM", latest claim/policy month moves there): date shift,
    at most one of them. ``k``: report village x sex x age band x product cells with fewer insurees;
    ``suppress``: set the sex of the insurees in those cells to unknown (NULL). ``target_mode``: "create"
    (tables are created), "into_existing" (an empty real openIMIS schema) or "auto" (decided by the
    target). ``chunk_rows``: rows per streamed chunk. ``country``: a country profile code whose pools
    replace names, phones and addresses (None: the built-in international pools)."""

    seed: int | None = None
    shift_months: int = 0
    shift_to: str | None = None
    k: int | None = None
    suppress: bool = False
    target_mode: str = "auto"
    chunk_rows: int = 20_000
    age_bands: tuple[int, ...] = field(default=(0, 6, 13, 19, 26, 36, 56, 76))
    country: str | None = None

    def __post_init__(self) -> None:
        if self.shift_months and self.shift_to:
            raise AnonymiseError("give either shift_months or shift_to, not both")
        if self.shift_to is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.shift_to):
            raise AnonymiseError(
                f"shift_to {self.shift_to!r} is not a month YYYY-MM (e.g. 2024-06)"
            )
        if self.k is not None and self.k < 2:
            raise AnonymiseError(f"k must be at least 2 (got {self.k})")
        if self.suppress and self.k is None:
            raise AnonymiseError("suppress needs k (the minimum cell size)")
        if self.target_mode not in TARGET_MODES:
            raise AnonymiseError(
                f"target_mode {self.target_mode!r}: use one of {', '.join(TARGET_MODES)}"
            )
        if self.country is not None:
            from synthetic_data.profiles import ProfileError, load_profile

            try:
                object.__setattr__(self, "country", load_profile(self.country).code)
            except ProfileError as exc:
                raise AnonymiseError(str(exc)) from None
        if self.chunk_rows < 1:
            raise AnonymiseError("chunk_rows must be positive")
        if self.seed is None:
            object.__setattr__(self, "seed", secrets.randbits(63))
