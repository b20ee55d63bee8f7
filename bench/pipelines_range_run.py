"""Backfill cost: one range run of N months (single-run backfill policy) vs N one-month runs.

Generates a synthetic SQLite openIMIS database, then materialises the monthly job (extract, data
sets, exports; no push) both ways through Dagster, counting SQL statements sent to the database
and wall time. Usage: .venv/bin/python bench/pipelines_range_run.py [--preset small] [--months 12]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
from sqlalchemy import Engine, event

from pipelines.assets import DATASETS
from pipelines.automation import MONTHLY_JOB, RANGE_END, RANGE_START
from pipelines.definitions import build_definitions
from pipelines.resources import DHIS2Resource
from pipelines.settings import Settings
from synthetic_data import GenerationOptions, generate

STATEMENTS = 0
DB_FILE = "bench.db"
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, *_args) -> None:
    """Statements sent to the openIMIS database only (Dagster's own storage is SQLite too)."""
    global STATEMENTS
    if (conn.engine.url.database or "").endswith(DB_FILE):
        STATEMENTS += 1


def run(defs, months: list[str], keys) -> tuple[float, int]:
    global STATEMENTS
    STATEMENTS = 0
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        job = defs.resolve_job_def(MONTHLY_JOB)
        if len(months) == 1:
            ok = job.execute_in_process(
                instance=instance, partition_key=months[0], asset_selection=keys, run_config=QUIET
            ).success
        else:
            tags = {RANGE_START: months[0], RANGE_END: months[-1]}
            ok = job.execute_in_process(
                instance=instance, tags=tags, asset_selection=keys, run_config=QUIET
            ).success
    assert ok
    return time.perf_counter() - started, STATEMENTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    months = [f"2024{m:02d}" for m in range(1, args.months + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / DB_FILE}"
        generate(url, GenerationOptions(preset=args.preset, seed=1, start="2023-01", months=24))
        os.environ["OPENIMIS_DB_URL"] = url
        keys = [k for s in DATASETS if not s.yearly for k in s.keys[:-1]]  # no push
        defs = build_definitions(Settings(start="202301", out_dir=tmp, retries=0), DHIS2Resource())
        range_s, range_q = run(defs, months, keys)
        single = [run(defs, [m], keys) for m in months]
        single_s, single_q = sum(s for s, _ in single), sum(q for _, q in single)
    print(f"preset {args.preset}, {len(months)} months, monthly data sets, SQLite")
    print(f"  one range run      : {range_s:7.2f} s  {range_q:5d} SQL statements")
    print(
        f"  {len(months):2d} one-month runs : {single_s:7.2f} s  {single_q:5d} SQL statements (baseline)"
    )
    print(
        f"  range run speed-up : {single_s / range_s:5.1f}x time, {single_q / max(range_q, 1):5.1f}x fewer statements"
    )


if __name__ == "__main__":
    main()
