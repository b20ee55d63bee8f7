"""The DuckDB session's memory limit makes a large aggregation spill to its temporary directory
instead of failing: the same query fails with spilling switched off."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from adx.periods import monthly
from aggregations import CatalogueConfig
from aggregations.duck import session

ROWS = 3_000_000
# A temporary table (as the facts create) and a hash aggregate with one group per row: far
# more than 64 MB of state, so both must go to disk.
QUERY = (
    f"CREATE TEMP TABLE big AS SELECT i AS k, i % 97 AS v, repeat('x', 24) || i AS pad "
    f"FROM range({ROWS}) t(i);"
    "SELECT COUNT(*), SUM(n) FROM (SELECT k, pad, COUNT(*) AS n FROM big GROUP BY k, pad)"
)


class _NoTables:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, table: str) -> Path:  # pragma: no cover - no table is viewed
        raise AssertionError(table)


def _config(tmp_path: Path) -> CatalogueConfig:
    return CatalogueConfig(
        duckdb_memory_limit="64MB", duckdb_temp_directory=tmp_path / "spill", duckdb_threads=1
    )


def test_large_aggregation_spills_under_the_memory_limit(tmp_path: Path) -> None:
    with session(_NoTables(tmp_path), [], [monthly(2024, 1)], _config(tmp_path)) as con:
        setup, query = QUERY.split(";")
        con.execute(setup)
        spilled = con.execute("SELECT COALESCE(SUM(size), 0) FROM duckdb_temporary_files()")
        assert spilled.fetchone()[0] > 0, "the temporary table did not spill"
        assert con.execute(query).fetchone() == (ROWS, ROWS)


def test_the_same_aggregation_fails_without_spilling(tmp_path: Path) -> None:
    with session(_NoTables(tmp_path), [], [monthly(2024, 1)], _config(tmp_path)) as con:
        con.execute("SET temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException):
            setup, query = QUERY.split(";")
            con.execute(setup)
            con.execute(query).fetchone()
