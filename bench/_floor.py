"""The extraction floor: a binary ``COPY (SELECT <the same columns> ...) TO STDOUT`` of every read
into /dev/null, in one ``REPEATABLE READ READ ONLY`` transaction, timed. Nothing parsed, nothing
written: what reading these rows costs the server and the wire at the least.

    from bench._floor import copy_floor
    seconds_per_table = copy_floor(url, reads)   # {table: seconds}, plus "TOTAL"

Importable by the other bench scripts (aggregate.py, anonymise.py); PostgreSQL only.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg2

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from openimis_db.snapshot import TableRead, render_statements  # noqa: E402

__all__ = ["copy_floor"]


def copy_floor(url: str, reads: Sequence[TableRead]) -> dict[str, float]:
    """Seconds per table of a binary COPY of each read's SELECT into /dev/null (and ``TOTAL``)."""
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")
    out: dict[str, float] = {}
    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur, open("/dev/null", "wb") as sink:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            t_all = time.perf_counter()
            for read, sql in zip(reads, render_statements(reads, "postgresql"), strict=True):
                t0 = time.perf_counter()
                cur.copy_expert(f"COPY ({sql}) TO STDOUT (FORMAT binary)", sink, size=1 << 20)
                out[read.table] = time.perf_counter() - t0
            out["TOTAL"] = time.perf_counter() - t_all
            cur.execute("ROLLBACK")
    finally:
        conn.close()
    return out
