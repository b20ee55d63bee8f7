"""The whole-column replacements give exactly the values of the per-value reference functions, and the
fast load paths keep a run all-or-nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import psycopg2
import pyarrow as pa
import pytest

from openimis_db import tables as t
from openimis_db.engine import make_engine
from synthetic_data.anonymise import AnonymiseError, AnonymiseOptions, anonymise
from synthetic_data.anonymise.batches import transform_batch
from synthetic_data.anonymise.dates import add_months, shift_timestamp
from synthetic_data.anonymise.loading import prefetched
from synthetic_data.anonymise.probe import probe_source
from synthetic_data.anonymise.pseudonym import AvoidSet, Pseudonymiser, normalise, value_hash
from synthetic_data.anonymise.source import collect_avoid_set, iter_batches, read_source
from synthetic_data.anonymise.transform import TableTransformer
from synthetic_data.anonymise.vectorised import shift_days, shift_micros


def _identifiers() -> list[str]:
    """Shapes as they occur: digits only, a letter prefix, mixed case, separators, non-ASCII, short."""
    values = [f"{i:09d}" for i in range(100_000_000, 100_000_400)]
    values += [f"C{i:07d}" for i in range(1, 300)]
    values += [f"RC{i:08d}" for i in range(50)]
    values += [f"+255 7{i % 10}{i:07d}" for i in range(40)]
    values += [f"Ab-{i:03d}x" for i in range(30)]
    values += ["Ñ-12", "ü7", "7", "--", "ab", "N7312902945"]
    return values


@pytest.mark.parametrize("avoid_firsts", [False, True])
def test_identifier_columns_equal_the_per_value_permutation(avoid_firsts):
    values = _identifiers()
    avoid = AvoidSet.of_values(values)
    if avoid_firsts:  # make the first image of many values a "source value": the detours run too
        firsts = [Pseudonymiser(seed=3, avoid=avoid).identifier("identifier", v) for v in values]
        avoid = AvoidSet.of_values([*values, *firsts[::3]])
    scalar, vector = Pseudonymiser(seed=3, avoid=avoid), Pseudonymiser(seed=3, avoid=avoid)
    expected = [scalar.identifier("identifier", v) for v in values]
    got = vector.identifier_many("identifier", pa.array(values)).to_pylist()
    assert got == expected
    assert len(set(got)) == len(set(values))  # still one-to-one
    assert not any(g in avoid for g in got if any(c.isalnum() for c in g) and len(g) > 2)
    if avoid_firsts:
        assert vector.unavoidable == scalar.unavoidable


def test_uuid_column_equals_the_per_value_uuid():
    values = [
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "3FA85F64-5717-4562-B3FC-2C963F66AFA6",
        " 3fa85f64-5717-4562-b3fc-2c963f66afa6 ",
        "a",
    ]
    p = Pseudonymiser(seed=11)
    assert p.uuid_many(pa.array(values)).to_pylist() == [p.uuid(v) for v in values]


def test_avoid_set_column_membership_equals_the_per_value_one():
    values = ["Amani", "  amani ", "AMANI\tX", "Ωmega", "ωMEGA", "x\x1cy", "plain", "ß"]
    avoid = AvoidSet.of_values(["amani", "Amani x", "ωmega", "X Y"])
    got = avoid.contains_array(pa.array(values)).tolist()
    assert got == [v in avoid for v in values] == [True, True, True, True, True, True, False, False]
    assert value_hash("  A  b ") == value_hash(normalise("a b"))


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


@pytest.mark.parametrize("n", [1, 5, -13, 48, 1200])
def test_date_and_timestamp_shifts_equal_the_per_value_functions(n):
    dates = [
        dt.date(y, m, d)
        for y in (1999, 2000, 2023, 2024)
        for m in (1, 2, 3, 12)
        for d in (1, 28, 29, 30, 31)
        if _valid(y, m, d)
    ]
    got = shift_days(np.array([_days(d) for d in dates]), np.ones(len(dates), dtype=bool), n)
    assert [dt.date(1970, 1, 1) + dt.timedelta(days=int(g)) for g in got] == [
        add_months(d, n) for d in dates
    ]
    stamps = [dt.datetime(d.year, d.month, d.day, 10, 30, 5, 123) for d in dates]
    epoch = dt.datetime(1970, 1, 1)
    micros = np.array([(s - epoch) // dt.timedelta(microseconds=1) for s in stamps])
    got = shift_micros(micros, np.ones(len(stamps), dtype=bool), n)
    assert [epoch + dt.timedelta(microseconds=int(g)) for g in got] == [
        shift_timestamp(s, n) for s in stamps
    ]


def _valid(y: int, m: int, d: int) -> bool:
    try:
        dt.date(y, m, d)
        return True
    except ValueError:
        return False


def test_shift_out_of_the_calendar_is_refused_naming_the_date():
    with pytest.raises(ValueError, match="shifting 9999-11-30 by 3 months leaves the calendar"):
        shift_days(np.array([_days(dt.date(9999, 11, 30))]), np.array([True]), 3)


@pytest.mark.parametrize("shift,country", [(0, None), (7, None), (-5, "NP")])
def test_batches_equal_the_per_value_transformer(small_sqlite_url, tmp_path, shift, country):
    """Every table of a generated database, read as a run reads it: the Arrow batch path and the
    per-value path give the same values."""
    engine = make_engine(small_sqlite_url)
    try:
        snapshot = read_source(engine, probe_source(engine), tmp_path)
    finally:
        engine.dispose()
    avoid = collect_avoid_set(snapshot)
    fast, slow = Pseudonymiser(5, avoid, country), Pseudonymiser(5, avoid, country)
    for name in t.MODELED_TABLES:
        columns = t.metadata.tables[name].c.keys()
        fast_t, slow_t = TableTransformer(name, fast, shift), TableTransformer(name, slow, shift)
        for batch in iter_batches(snapshot, name, 4000):
            got = transform_batch(fast_t, batch)
            rows = list(zip(*[batch.column(c).to_pylist() for c in columns], strict=True))
            expected = slow_t.frame(rows)
            for column in columns:
                want = expected[column].tolist()
                assert got.column(column).to_pylist() == want, f"{name}.{column}"


def test_prefetched_yields_in_order_and_reraises_the_worker_error():
    assert list(prefetched(iter(range(10)), depth=2)) == list(range(10))

    def failing():
        yield 1
        raise RuntimeError("worker failed")

    got = []
    with pytest.raises(RuntimeError, match="worker failed"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]


def _orphan_claim_line_source(small_sqlite_url: str, tmp_path: Path) -> str:
    """The generated database with one claim removed: its lines point nowhere."""
    path = tmp_path / "broken.db"
    shutil.copy(small_sqlite_url.removeprefix("sqlite:///"), path)
    conn = sqlite3.connect(path)
    claim = conn.execute('SELECT min("ClaimID") FROM "tblClaimItems"').fetchone()[0]
    conn.execute('DELETE FROM "tblClaim" WHERE "ClaimID" = ?', (claim,))
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_failed_postgresql_load_leaves_no_row_and_every_foreign_key(
    small_sqlite_url, new_pg_db, tmp_path
):
    source = _orphan_claim_line_source(small_sqlite_url, tmp_path)
    url = new_pg_db()
    with pytest.raises(AnonymiseError, match="rejected the copy"):
        anonymise(source, url, AnonymiseOptions(seed=1))
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM "tblInsuree"')
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated")
            declared = sum(len(table.foreign_keys) for table in t.metadata.tables.values())
            assert cur.fetchone()[0] == declared > 20
    finally:
        conn.close()


def test_postgresql_copy_keeps_every_declared_foreign_key(small_sqlite_url, new_pg_db):
    url = new_pg_db()
    anonymise(small_sqlite_url, url, AnonymiseOptions(seed=1))
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated "
                "AND condeferrable AND condeferred"
            )
            declared = sum(len(table.foreign_keys) for table in t.metadata.tables.values())
            assert cur.fetchone()[0] == declared
    finally:
        conn.close()


def test_failed_sqlite_load_leaves_no_file(small_sqlite_url, tmp_path):
    source = _orphan_claim_line_source(small_sqlite_url, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(AnonymiseError, match="rejected the copy"):
        anonymise(source, f"sqlite:///{out / 'copy.db'}", AnonymiseOptions(seed=1))
    assert list(out.iterdir()) == []


def test_new_sqlite_file_is_complete_and_journaled_normally_afterwards(
    small_sqlite_url, new_pg_db, tmp_path
):
    # a PostgreSQL target created first in the same process must not cost the SQLite one its
    # foreign keys (SQLAlchemy marks use_alter constraints of a MetaData once created by ALTER)
    anonymise(small_sqlite_url, new_pg_db(), AnonymiseOptions(seed=1))
    path = tmp_path / "copy.db"
    report = anonymise(small_sqlite_url, f"sqlite:///{path}", AnonymiseOptions(seed=1))
    assert [p.name for p in tmp_path.iterdir()] == ["copy.db"]
    conn = sqlite3.connect(path)
    try:
        assert (
            conn.execute('SELECT count(*) FROM "tblClaimItems"').fetchone()[0]
            == (report.tables["tblClaimItems"].rows)
            > 0
        )
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert len(conn.execute('PRAGMA foreign_key_list("tblClaimItems")').fetchall()) == 4
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
