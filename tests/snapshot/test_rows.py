"""Driver values (sqlite3, pyodbc) to Arrow: exact money, dates from text or datetime, no float."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from openimis_db.snapshot import DateWindow, SnapshotError, TableRead, arrow_schema
from openimis_db.snapshot.rows import column_to_array, rows_to_batch

MONEY = pa.decimal128(18, 2)


def test_sqlite_floats_become_exact_money():
    got = column_to_array([0.1 + 0.2, 12.5, 7, None, 1234567.89], MONEY, "t.c").to_pylist()
    assert got == [Decimal("0.30"), Decimal("12.50"), Decimal("7.00"), None, Decimal("1234567.89")]


def test_pyodbc_decimals_and_text_numbers_stay_exact():
    assert column_to_array([Decimal("10.25"), 3], MONEY, "t.c").to_pylist() == [
        Decimal("10.25"),
        Decimal("3.00"),
    ]
    assert column_to_array(["10.25", None], MONEY, "t.c").to_pylist() == [Decimal("10.25"), None]


def test_dates_from_sqlite_text_and_from_sql_server_smalldatetime():
    typ = pa.date32()
    assert column_to_array(["2024-02-29", "2024-03-01 00:00:00"], typ, "t.c").to_pylist() == [
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]
    assert column_to_array([datetime(2024, 2, 29, 0, 0)], typ, "t.c").to_pylist() == [
        date(2024, 2, 29)
    ]


def test_timestamps_are_utc():
    typ = pa.timestamp("us", tz="UTC")
    got = column_to_array(["2024-01-02 03:04:05.000006"], typ, "t.c").to_pylist()
    assert got == [datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)]


def test_booleans_from_integers_and_rowversion_as_hex():
    assert column_to_array([1, 0, None], pa.bool_(), "t.c").to_pylist() == [True, False, None]
    assert column_to_array([b"\x00\x01"], pa.string(), "t.c").to_pylist() == ["0x0001"]


def test_a_bad_value_names_the_column():
    with pytest.raises(SnapshotError, match=r"tblClaim\.DateFrom"):
        column_to_array(["not a date"], pa.date32(), "tblClaim.DateFrom")


def test_zero_rows_keep_the_schema():
    read = TableRead("tblClaim", ("ClaimID", "Claimed", "DateFrom"))
    batch = rows_to_batch([], arrow_schema(read), "tblClaim")
    assert batch.num_rows == 0 and batch.schema == arrow_schema(read)


def test_read_specs_are_checked():
    with pytest.raises(SnapshotError, match="unknown column"):
        TableRead("tblClaim", ("NoSuchColumn",))
    with pytest.raises(SnapshotError, match="need a window"):
        TableRead("tblClaim", ("ClaimID",), any_date_in=("DateFrom",))
    with pytest.raises(SnapshotError, match="empty date window"):
        DateWindow(date(2024, 2, 1), date(2024, 1, 1))
