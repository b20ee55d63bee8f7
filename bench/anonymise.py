"""Throughput and memory of ``anonymise`` on a generated database, against a read-only baseline.

    .venv/bin/python bench/anonymise.py [--insurees 20000] [--chunk-rows 20000] [--target URL]

Generates a SQLite openIMIS database, then measures in the same run:
1. baseline: reading every modeled table in the same keyset-paginated chunks (no transformation, no
   writing), i.e. the floor any streamed copy pays;
2. the full anonymisation to a new SQLite file (pseudonyms, dates, bulk insert, FK check at commit).
Prints rows, seconds, rows/s, the ratio to the baseline and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openimis_db import tables as t
from openimis_db.engine import make_engine
from synthetic_data.anonymise import AnonymiseOptions, anonymise
from synthetic_data.anonymise.probe import probe_source
from synthetic_data.anonymise.source import iter_chunks


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--insurees", type=int, default=20_000)
    ap.add_argument("--chunk-rows", type=int, default=20_000)
    ap.add_argument(
        "--target",
        default=None,
        help="target URL (default: a SQLite file); e.g. an empty PG database",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = f"sqlite:///{Path(tmp) / 'source.db'}"
        t0 = time.perf_counter()
        # generated in a child process, so this process's peak RSS is the read + anonymise's own
        code = (
            "from synthetic_data import GenerationOptions, generate; "
            f"generate({src!r}, GenerationOptions(preset='small', insurees={args.insurees}, seed=1))"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        print(
            f"generated {args.insurees} insurees in {time.perf_counter() - t0:.1f} s; "
            f"peak RSS so far {peak_rss_mb():.0f} MB"
        )

        engine = make_engine(src)
        layout = probe_source(engine)
        t0 = time.perf_counter()
        rows = 0
        with engine.connect() as conn:
            for name in t.MODELED_TABLES:
                for chunk in iter_chunks(conn, layout[name], args.chunk_rows):
                    rows += len(chunk)
        base = time.perf_counter() - t0
        engine.dispose()
        print(f"baseline read : {rows:>9} rows in {base:6.2f} s = {rows / base:>9.0f} rows/s")

        t0 = time.perf_counter()
        report = anonymise(
            src,
            args.target or f"sqlite:///{Path(tmp) / 'target.db'}",
            AnonymiseOptions(seed=1, k=5, chunk_rows=args.chunk_rows),
        )
        full = time.perf_counter() - t0
        copied = sum(r.rows for r in report.tables.values())
        print(
            f"anonymise     : {copied:>9} rows in {full:6.2f} s = {copied / full:>9.0f} rows/s "
            f"({full / base:.1f}x the read baseline)"
        )
        print(f"peak RSS of the process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
