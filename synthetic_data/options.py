"""Options and report of a generation run, and the size presets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from synthetic_data.profiles import DEFAULT_PROFILE, Profile, ProfileError, load_profile

Preset = Literal["small", "medium", "large"]
Mode = Literal["create", "into_existing"]

PRESET_INSUREES: dict[str, int] = {"small": 2_000, "medium": 100_000, "large": 1_000_000}
MAX_MONTHS = 120
MIN_INSUREES = 20
# ClaimCode is varchar(8) ("C" + 7 digits of the id): 2M insurees make ~7M claims over 24 months.
MAX_INSUREES = 2_000_000


class GenerationError(ValueError):
    """Bad options or an unusable target database; the message says what to change."""


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    """What to generate. ``insurees`` overrides the preset's size; ``start`` is ``YYYY-MM``;
    ``country`` a profile code (``NP``, ``TZ`` ... or ``international``) or a ``Profile``."""

    preset: Preset = "small"
    insurees: int | None = None
    seed: int = 42
    start: str = "2023-01"
    months: int = 24
    mode: Mode = "create"
    country: str | Profile = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        if not isinstance(self.country, Profile):
            try:
                load_profile(self.country)
            except ProfileError as exc:
                raise GenerationError(str(exc)) from None
        if self.preset not in PRESET_INSUREES:
            raise GenerationError(
                f"unknown preset {self.preset!r}: use one of {', '.join(PRESET_INSUREES)}"
            )
        if self.insurees is not None and not (
            isinstance(self.insurees, int) and MIN_INSUREES <= self.insurees <= MAX_INSUREES
        ):
            raise GenerationError(
                f"insurees must be an integer between {MIN_INSUREES} and {MAX_INSUREES:,}, got {self.insurees!r}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise GenerationError(f"seed must be a non-negative integer, got {self.seed!r}")
        m = re.fullmatch(r"(\d{4})-(\d{2})", str(self.start))
        if not m or not (1 <= int(m.group(2)) <= 12) or not (1990 <= int(m.group(1)) <= 2100):
            raise GenerationError(
                f"start must be YYYY-MM (a month between 1990-01 and 2100-12), got {self.start!r}"
            )
        if (
            not isinstance(self.months, int)
            or isinstance(self.months, bool)
            or not (1 <= self.months <= MAX_MONTHS)
        ):
            raise GenerationError(
                f"months must be an integer from 1 to {MAX_MONTHS}, got {self.months!r}"
            )
        if self.mode not in ("create", "into_existing"):
            raise GenerationError(f"mode must be 'create' or 'into_existing', got {self.mode!r}")

    @property
    def n_insurees(self) -> int:
        return self.insurees if self.insurees is not None else PRESET_INSUREES[self.preset]

    @property
    def profile(self) -> Profile:
        return self.country if isinstance(self.country, Profile) else load_profile(self.country)

    @property
    def start_year_month(self) -> tuple[int, int]:
        y, m = self.start.split("-")
        return int(y), int(m)


@dataclass(slots=True)
class GenerationReport:
    """What was written: rows per table (all rows, history and deleted ones included)."""

    rows: dict[str, int]
    first_month: str  # YYYYMM
    last_month: str  # YYYYMM
    seconds: float
    seed: int = 42
    mode: str = "create"
    dialect: str = ""
    country: str = DEFAULT_PROFILE
    seconds_per_table: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())
