"""The push ledger: a small SQLite file recording what each run pushed where.

Stale-value removal reads back a scope (data set x org units x period). Built only from the
current org unit mapping, that scope misses the org unit a facility was mapped to before a
re-mapping, and the values pushed there stay in DHIS2 (double counting). The ledger remembers
every (DHIS2 instance, data set, period, org unit) ever pushed, so the scope can cover them all.

Entries are written *before* the values are sent: a push killed half-way is still covered by
the next run's clean-up (reading back an org unit that holds nothing costs one row of a
read-back). Dry runs store nothing in DHIS2 and are not recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_NAME = "dhis2_push_ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pushes (
    instance  TEXT NOT NULL,  -- DHIS2 base URL, without credentials
    data_set  TEXT NOT NULL,
    period    TEXT NOT NULL,
    org_unit  TEXT NOT NULL,
    run_id    TEXT NOT NULL,
    pushed_at TEXT NOT NULL,  -- UTC, ISO 8601
    PRIMARY KEY (instance, data_set, period, org_unit, run_id)
);
CREATE INDEX IF NOT EXISTS pushes_scope ON pushes (instance, data_set, period);
"""


class PushLedger:
    """The ledger file at ``path`` (created with its folder on first use)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A short-lived connection per call: concurrent runs (one per process) wait on the lock.
        with closing(sqlite3.connect(self.path, timeout=60)) as conn:
            conn.executescript(_SCHEMA)
            with conn:  # one transaction: committed on success, rolled back on error
                yield conn

    def record(
        self,
        *,
        instance: str,
        data_set: str,
        period: str,
        org_units: Iterable[str],
        run_id: str,
        when: datetime | None = None,
    ) -> None:
        stamp = (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        rows = [(instance, data_set, period, ou, run_id, stamp) for ou in sorted(set(org_units))]
        with self._connect() as conn:
            conn.executemany("INSERT OR IGNORE INTO pushes VALUES (?, ?, ?, ?, ?, ?)", rows)

    def org_units(self, *, instance: str, data_set: str, period: str) -> set[str]:
        """Every org unit ever pushed for this data set and period on this DHIS2 instance."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT DISTINCT org_unit FROM pushes WHERE instance = ? AND data_set = ? "
                "AND period = ?",
                (instance, data_set, period),
            ).fetchall()
        return {r[0] for r in rows}

    def runs(self, *, instance: str, data_set: str, period: str) -> list[tuple[str, str, str]]:
        """(run id, org unit, pushed at) rows, oldest first: the history of one scope."""
        with self._connect() as conn:
            return conn.execute(
                "SELECT run_id, org_unit, pushed_at FROM pushes WHERE instance = ? AND "
                "data_set = ? AND period = ? ORDER BY pushed_at, run_id, org_unit",
                (instance, data_set, period),
            ).fetchall()
