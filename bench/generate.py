"""Benchmark the synthetic openIMIS generator against a plain PostgreSQL COPY of the same rows.

    .venv/bin/python bench/generate.py [--preset large] [--db URL] [--mode create|into_existing] [--seed N]
                                       [--country NP|TZ|CM|CD|NE|GM|international]

1. Generates the preset into a PostgreSQL database (a scratch database created on 127.0.0.1:5432 and
   dropped afterwards when --db is not given) and prints rows, seconds and rows/second per table.
   Seconds per table are the time spent loading that table; generation overlaps with loading.
2. Baseline, in the same run: exports every generated table to a CSV file (COPY TO), then loads the
   same CSV files into a second scratch database with the same schema using plain ``COPY FROM`` in one
   transaction, constraints as declared (deferred FKs checked at commit), and prints the ratio
   generator_total / plain_copy_total. A ratio below 1 means generating + loading was faster than
   merely loading pre-made CSV files the straightforward way.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
import sqlalchemy as sa
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection  # noqa: N812 - a class, named as one

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openimis_db import tables as t  # noqa: E402
from openimis_db.engine import make_engine, redact_url  # noqa: E402
from synthetic_data import GenerationOptions, generate  # noqa: E402
from synthetic_data.target import BASE_GENDERS, GENERATED_TABLES  # noqa: E402

SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def _schema_sql() -> Path:
    for base in (REPO.parent / "shared", REPO / "shared"):
        p = base / "openimis-db/postgresql/schema.sql"
        if p.exists():
            return p
    raise SystemExit("cannot find shared/openimis-db/postgresql/schema.sql")


def _admin() -> PgConnection:
    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    return conn


def _create_db(prefix: str, mode: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    url = f"{SERVER}/{name}"
    if mode == "into_existing":
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(_schema_sql().read_text(encoding="utf-8"))
    return url


def _drop_db(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


def _export_csv(url: str, folder: Path, max_ids: dict[str, int]) -> dict[str, int]:
    """The generated rows (ids above the pre-existing ones) as CSV files; returns the columns' count."""
    sizes = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for name in GENERATED_TABLES:
            table = t.metadata.tables[name]
            pk = sql.Identifier(next(iter(table.primary_key.columns)).name)
            copy = sql.SQL(
                "COPY (SELECT {cols} FROM {table} WHERE {pk} > {floor} ORDER BY {pk}) "
                "TO STDOUT WITH (FORMAT csv)"
            ).format(
                cols=_columns(table),
                table=sql.Identifier(name),
                pk=pk,
                floor=sql.Literal(max_ids.get(name, 0)),
            )
            path = folder / f"{name}.csv"
            with path.open("wb") as fh:
                cur.copy_expert(copy.as_string(conn), fh)
            sizes[name] = path.stat().st_size
    return sizes


def _plain_copy(url: str, folder: Path, mode: str) -> tuple[float, dict[str, float]]:
    if mode == "create":
        engine = make_engine(url)
        t.metadata.create_all(engine)
        with engine.begin() as conn:  # the base data create mode writes too
            conn.execute(
                t.tblGender.insert(),
                [
                    dict(zip(("Code", "Gender", "AltLanguage", "SortOrder"), g, strict=True))
                    for g in BASE_GENDERS
                ],
            )
        engine.dispose()
    per_table = {}
    t0 = time.perf_counter()
    with psycopg2.connect(url) as pg, pg.cursor() as cur:
        for name in GENERATED_TABLES:
            copy = sql.SQL("COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)").format(
                table=sql.Identifier(name), cols=_columns(t.metadata.tables[name])
            )
            t1 = time.perf_counter()
            with (folder / f"{name}.csv").open("rb") as fh:
                cur.copy_expert(copy.as_string(pg), fh, size=1 << 20)
            per_table[name] = time.perf_counter() - t1
        t1 = time.perf_counter()
        pg.commit()  # deferred FKs are checked here
        per_table["(commit: deferred FK checks)"] = time.perf_counter() - t1
    return time.perf_counter() - t0, per_table


def _columns(table: sa.Table) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)


def _max_ids(url: str) -> dict[str, int]:
    out = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for name in GENERATED_TABLES:
            pk = next(iter(t.metadata.tables[name].primary_key.columns)).name
            cur.execute(
                sql.SQL("SELECT COALESCE(MAX({pk}), 0) FROM {table}").format(
                    pk=sql.Identifier(pk), table=sql.Identifier(name)
                )
            )
            row = cur.fetchone()
            out[name] = 0 if row is None else int(row[0])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", choices=("small", "medium", "large"), default="large")
    ap.add_argument("--insurees", type=int, default=None)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mode", choices=("create", "into_existing"), default="create")
    ap.add_argument(
        "--db", help="PostgreSQL URL to generate into (default: a scratch database, dropped after)"
    )
    ap.add_argument(
        "--country",
        default="international",
        help="country profile (NP, TZ, CM, CD, NE, GM, international); Faker pools are built once",
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain-COPY comparison")
    args = ap.parse_args()

    scratch = []
    try:
        url = args.db or _create_db("bench_gen", args.mode)
        if not args.db:
            scratch.append(url)
        before = _max_ids(url) if args.mode == "into_existing" else {}
        options = GenerationOptions(
            preset=args.preset,
            insurees=args.insurees,
            seed=args.seed,
            mode=args.mode,
            country=args.country,
        )
        print(
            f"generator: preset {args.preset}, {options.n_insurees:,} insurees, mode {args.mode}, country {args.country}, into {redact_url(url)}"
        )
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
        report = generate(url, options)
        total = report.seconds
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process (generator + loader): {peak_mb:,.0f} MB")
        print(f"\n{'table':<20}{'rows':>14}{'load s':>10}{'rows/s':>12}")
        for name, n in report.rows.items():
            s = report.seconds_per_table.get(name, 0.0)
            print(f"{name:<20}{n:>14,}{s:>10.1f}{(n / s if s else 0):>12,.0f}")
        fk = report.seconds_per_table.get("(constraints)", 0.0)
        print(f"{'(re-adding constraints)':<20}{'':>14}{fk:>10.1f}")
        print(
            f"{'TOTAL (wall)':<20}{report.total_rows:>14,}{total:>10.1f}{report.total_rows / total:>12,.0f}"
        )
        if args.no_baseline:
            return 0
        folder = Path(tempfile.mkdtemp(prefix="bench-gen-csv-"))
        try:
            t0 = time.perf_counter()
            sizes = _export_csv(url, folder, before)
            print(
                f"\nexported the same rows to CSV ({sum(sizes.values()) / 1e9:.2f} GB) in {time.perf_counter() - t0:.1f}s"
            )
            base_url = _create_db("bench_copy", args.mode)
            scratch.append(base_url)
            plain_total, plain = _plain_copy(base_url, folder, args.mode)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(
            f"\nbaseline: plain COPY FROM the CSV files into a fresh {args.mode} database, one transaction"
        )
        print(f"{'table':<30}{'s':>8}{'rows/s':>12}")
        for name, s in plain.items():
            rows = report.rows.get(name)
            print(f"{name:<30}{s:>8.1f}{(rows / s if rows and s else 0):>12,.0f}")
        print(f"{'TOTAL':<30}{plain_total:>8.1f}{report.total_rows / plain_total:>12,.0f}")
        print(
            f"\nratio generator (generate + load) / plain COPY of ready CSV: {total / plain_total:.2f}"
        )
        print(
            f"target: large into PostgreSQL < 180 s; this run: {total:.0f} s (load average now {os.getloadavg()[0]:.1f})"
        )
        return 0
    finally:
        for u in scratch:
            _drop_db(u)


if __name__ == "__main__":
    sys.exit(main())
