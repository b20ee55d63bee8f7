"""TEMPORARY: the snapshot interface types (briefs/SNAPSHOT_INTERFACE.md) until the ``snapshot``
branch with ``openimis_db.snapshot`` is merged; then this file is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date


@dataclass(frozen=True)
class TableRead:
    table: str
    columns: tuple[str, ...]
    current_only: bool = True
    any_date_in: tuple[str, ...] = ()
    through_claim: bool = False
    window: DateWindow | None = None
