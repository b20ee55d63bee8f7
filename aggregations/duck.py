"""The DuckDB session over a snapshot: views of the Parquet files, the run's periods, the
residence roll-up and the catalogue's SQL macros (age bands, claim date rule, cents).

In-process, with a memory limit and a spill directory, so a large range spills instead of
growing (DESIGN.md). Views: ``tblX`` holds the current rows, ``tblX_all`` every row read (the
rows "as they stand" that referenced attributes come from).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from adx.periods import Period

from .config import LEVEL_TYPE, CatalogueConfig

SQL_DIR = Path(__file__).parent / "sql"
# Cast on read: SQL Server smalldatetime claim dates become dates, exact-text amounts decimals.
DATE_COLUMNS = frozenset(
    {
        "DOB",
        "EnrollDate",
        "EffectiveDate",
        "ExpiryDate",
        "PayDate",
        "DateFrom",
        "DateTo",
        "DateClaimed",
        "DateProcessed",
    }
)
DECIMAL_COLUMNS = frozenset({"Amount", "Claimed", "Approved", "QtyProvided", "RemuneratedAmount"})


class SnapshotLike(Protocol):
    """What the computation needs of an ``openimis_db.snapshot.Snapshot``."""

    directory: Path

    def path(self, table: str) -> Path: ...


def read_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _macros(config: CatalogueConfig) -> list[str]:
    bands = config.age_bands
    whens = " ".join(
        f"WHEN age_years(dob, ref) >= {bands[i].low} THEN {i}" for i in range(len(bands) - 1, 0, -1)
    )
    ref = {
        "coalesce": "COALESCE(date_to, date_from)",
        "date_from": "date_from",
        "date_claimed": "date_claimed",
        "date_processed": "date_processed",
    }[config.claim_date]
    order = "RDWV"
    level = order.index(LEVEL_TYPE[config.residence_level])
    below = ", ".join(f"'{t}'" for t in order[level:])
    return [
        # Completed years (INDICATORS.md "Age") from YYYYMMDD keys: leap days need no care.
        "CREATE MACRO age_years(dob, ref) AS "
        "((year(ref) * 10000 + month(ref) * 100 + day(ref)) "
        "- (year(dob) * 10000 + month(dob) * 100 + day(dob))) // 10000",
        # Band index; -1 (the UNKNOWN option) for a missing or future DOB.
        f"CREATE MACRO age_band(dob, ref) AS CASE WHEN dob IS NULL OR dob > ref THEN -1 "
        f"{whens} ELSE 0 END",
        f"CREATE MACRO claim_ref(date_from, date_to, date_claimed, date_processed) AS {ref}",
        "CREATE MACRO cents(x) AS CAST(round(COALESCE(x, 0) * 100) AS BIGINT)",
        "CREATE MACRO not_idle(status) AS COALESCE(status, 0) <> 1",
        "CREATE MACRO is_true(flag) AS COALESCE(CAST(flag AS INTEGER), 0) <> 0",
        f"CREATE MACRO at_or_below(location_type) AS TRIM(location_type) IN ({below})",
        "CREATE MACRO res(loc) AS COALESCE("
        "(SELECT r.res_key FROM residence r WHERE r.location_id = loc), loc)",
    ]


def _view(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    source = f"read_parquet({_quote(path)})"
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    casts = [f'CAST("{c}" AS DATE) AS "{c}"' for c in names if c in DATE_COLUMNS]
    casts += [f'CAST("{c}" AS DECIMAL(18, 2)) AS "{c}"' for c in names if c in DECIMAL_COLUMNS]
    select = f"SELECT * REPLACE ({', '.join(casts)})" if casts else "SELECT *"
    con.execute(f'CREATE VIEW "{table}_all" AS {select} FROM {source}')
    where = ' WHERE "ValidityTo" IS NULL' if "ValidityTo" in names else ""
    con.execute(f'CREATE VIEW "{table}" AS SELECT * FROM "{table}_all"{where}')


def _periods(con: duckdb.DuckDBPyConnection, periods: Sequence[Period]) -> None:
    rows = ", ".join(
        f"('{p.id}', DATE '{p.start}', DATE '{p.end}', DATE '{p.end - timedelta(days=1)}', "
        f"DATE '{p.start - timedelta(days=1)}')"
        for p in periods
    )
    con.execute(
        "CREATE TABLE periods (period VARCHAR, start DATE, end_excl DATE, last_day DATE, "
        "prev_day DATE)"
    )
    if rows:
        con.execute(f"INSERT INTO periods VALUES {rows}")


@contextmanager
def session(
    snapshot: SnapshotLike,
    tables: Sequence[str],
    periods: Sequence[Period],
    config: CatalogueConfig,
    residence: pd.DataFrame | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with views of ``tables``, the periods and the macros.

    ``residence``: columns ``location_id``, ``res_key`` (location -> its ancestor at the
    configured level), from ``orgunits.org_units``.
    """
    spill = config.duckdb_temp_directory or Path(snapshot.directory) / "duckdb_tmp"
    settings: dict[str, str | int] = {
        "memory_limit": config.duckdb_memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": "false",
    }
    if config.duckdb_threads:
        settings["threads"] = config.duckdb_threads
    con = duckdb.connect(":memory:", config=settings)
    try:
        for table in dict.fromkeys(tables):
            _view(con, table, Path(snapshot.path(table)))
        _periods(con, periods)
        frame = (
            residence
            if residence is not None
            else pd.DataFrame(
                {"location_id": pd.array([], "Int64"), "res_key": pd.array([], "Int64")}
            )
        )
        con.register("residence_frame", frame[["location_id", "res_key"]])
        con.execute(
            "CREATE TABLE residence AS SELECT CAST(location_id AS BIGINT) AS location_id, "
            "CAST(res_key AS BIGINT) AS res_key FROM residence_frame WHERE res_key IS NOT NULL"
        )
        con.unregister("residence_frame")
        for macro in _macros(config):
            con.execute(macro)
        yield con
    finally:
        con.close()
