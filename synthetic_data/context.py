"""Shared state of one generation run: options, time span, id allocation, row counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from synthetic_data._util import add_months, month_start
from synthetic_data.options import GenerationOptions
from synthetic_data.profiles import Pools, Profile, build_pools

AUDIT_USER = 1  # tblUsers.UserID of the base data's Admin user (AuditUserID has no FK)


@dataclass
class Context:
    options: GenerationOptions
    id_offsets: dict[str, int]  # table -> max existing primary key (0 for an empty table)
    progress: Callable[[str, int], None] | None = None
    rows: dict[str, int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        y, m = self.options.start_year_month
        self.span_start = month_start(y, m)
        self.span_end = int(
            add_months(np.array([self.span_start]), self.options.months)[0]
        )  # exclusive
        self.as_of = self.span_end - 1  # the snapshot date: statuses are consistent with it
        self.seed = self.options.seed
        self.profile: Profile = self.options.profile
        self.pools: Pools = build_pools(self.profile, self.seed)  # Faker runs here, once

    def ids(self, table: str, n: int) -> np.ndarray:
        """The next ``n`` primary keys of ``table`` (after any rows the target already holds)."""
        start = self._next.get(table, self.id_offsets.get(table, 0) + 1)
        self._next[table] = start + n
        return np.arange(start, start + n, dtype=np.int64)

    def count(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n
        if self.progress is not None:
            self.progress(table, self.rows[table])
