"""Throughput and memory of ``anonymise``, against the binary-COPY floor of the same reads.

    .venv/bin/python bench/anonymise.py [--insurees 20000]                   # generated SQLite source
    .venv/bin/python bench/anonymise.py --preset large [--source PG_URL]     # PostgreSQL source

With ``--preset``, the source is a PostgreSQL database with the preset's rows (``--source`` reuses an
existing one, e.g. made by ``bench/generate.py --preset large --db URL``; otherwise one is generated
into a scratch database and dropped after). The run then measures, in the same process:
1. floor: a binary ``COPY`` of every modeled column of every row into /dev/null (bench/_floor.py);
2. the full anonymisation into a fresh PostgreSQL database and into a new SQLite file (snapshot read,
   pseudonyms, dates, bulk load, FK check at commit), rows/s and the ratio to the floor.
Without ``--preset``, a small generated SQLite database is the source (no floor, SQLite target).
Target: large into PostgreSQL and into SQLite at >= 50,000 rows/s.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._floor import copy_floor  # noqa: E402
from openimis_db.engine import make_engine, redact_url  # noqa: E402
from synthetic_data.anonymise import AnonymiseOptions, anonymise  # noqa: E402
from synthetic_data.anonymise.probe import probe_source  # noqa: E402
from synthetic_data.anonymise.source import source_reads  # noqa: E402

SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def _load() -> str:
    """The machine is shared: the load average next to every figure says how much it was."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _admin(statement: sql.Composable) -> None:
    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def _scratch_db(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{SERVER}/{name}"


def _drop_db(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _generate(url: str, preset: str | None, insurees: int | None) -> None:
    # in a child process, so this process's peak RSS is the anonymiser's own
    code = (
        "from synthetic_data import GenerationOptions, generate; "
        f"generate({url!r}, GenerationOptions(preset={preset or 'small'!r}, insurees={insurees!r}, seed=1))"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )


def _run(label: str, source: str, target: str, chunk_rows: int, floor: float | None) -> float:
    t0 = time.perf_counter()
    report = anonymise(source, target, AnonymiseOptions(seed=1, chunk_rows=chunk_rows))
    seconds = time.perf_counter() - t0
    rows = sum(r.rows for r in report.tables.values())
    ratio = f", {seconds / floor:.1f}x the floor" if floor else ""
    print(
        f"anonymise -> {label:<10}: {rows:>11,} rows in {seconds:7.1f} s = {rows / seconds:>9,.0f} rows/s"
        f"{ratio}; peak RSS so far {peak_rss_mb():,.0f} MB; {_load()}"
    )
    return rows / seconds


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", choices=("small", "medium", "large"), default=None)
    ap.add_argument("--insurees", type=int, default=None)
    ap.add_argument("--source", default=None, help="existing PostgreSQL source (with --preset)")
    ap.add_argument("--chunk-rows", type=int, default=100_000)
    ap.add_argument("--targets", default="postgresql,sqlite", help="comma list: postgresql,sqlite")
    args = ap.parse_args()
    scratch: list[str] = []
    targets = args.targets.split(",")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            floor = None
            if args.preset:
                source = args.source
                if source is None:
                    source = _scratch_db("bench_anon_src")
                    scratch.append(source)
                    t0 = time.perf_counter()
                    _generate(source, args.preset, args.insurees)
                    print(f"generated preset {args.preset} in {time.perf_counter() - t0:.0f} s")
                engine = make_engine(source)
                layout = probe_source(engine)
                engine.dispose()
                floors = copy_floor(source, source_reads(layout))
                floor = floors["TOTAL"]
                print(f"source {redact_url(source)}; machine: {os.cpu_count()} CPUs")
                print(
                    f"floor: binary COPY of every modeled column and row: {floor:.1f} s; {_load()}"
                )
            else:
                source = f"sqlite:///{Path(tmp) / 'source.db'}"
                _generate(source, None, args.insurees or 20_000)
                targets = ["sqlite"]
            rates = {}
            for target in targets:
                if target == "postgresql":
                    url = _scratch_db("bench_anon_dst")
                    scratch.append(url)
                else:
                    url = f"sqlite:///{Path(tmp) / 'target.db'}"
                rates[target] = _run(target, source, url, args.chunk_rows, floor)
            print(
                "target: >= 50,000 rows/s into each; "
                + ", ".join(f"{k} {v:,.0f} rows/s" for k, v in rates.items())
            )
    finally:
        for url in scratch:
            _drop_db(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
