"""bulk_insert on PostgreSQL (COPY) and SQLite (executemany): values round-trip exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import make_engine
from synthetic_data.bulk_load import BulkLoadError, bulk_insert

UTC = dt.UTC


def _frames():
    """Two tiny tables covering NULLs, empty strings, quotes, newlines, accents, booleans, bytes, dates."""
    genders = pd.DataFrame(
        {
            "Code": ["X"],
            "Gender": ['He said "hi",\nthen left'],
            "AltLanguage": [""],
            "SortOrder": [9],
        }
    )
    icd = pd.DataFrame(
        {
            "ICDID": np.array([7, 8, 9], dtype="int64"),
            "ICDCode": ["B50", "Z34.0", "O82"],
            "ICDName": ["Paludisme à falciparum", "Ёлка, \\N", ""],
            "ValidityFrom": pd.to_datetime(
                ["2023-01-01 10:00:00", "2024-02-29 23:59:59", "2020-12-31 00:00:00"]
            ).tz_localize("UTC"),
            "ValidityTo": pd.to_datetime([None, "2024-03-01 00:00:00", None]).tz_localize("UTC"),
            "LegacyID": [np.nan, 7.0, np.nan],  # float with NaN: must land as integer/NULL
            "AuditUserID": [1, 1, -1],
            "RowID": [None, b"\x00\x01\xff", b""],
        }
    )
    return genders, icd


EXPECTED_ICD = [
    (
        7,
        "B50",
        "Paludisme à falciparum",
        dt.datetime(2023, 1, 1, 10, 0, tzinfo=UTC),
        None,
        None,
        1,
        None,
    ),
    (
        8,
        "Z34.0",
        "Ёлка, \\N",
        dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
        dt.datetime(2024, 3, 1, tzinfo=UTC),
        7,
        1,
        b"\x00\x01\xff",
    ),
    (9, "O82", "", dt.datetime(2020, 12, 31, tzinfo=UTC), None, None, -1, b""),
]


def _comparable(v):
    """A read value as the expectation spells it: datetimes in UTC (SQLite drops the zone), bytes."""
    if isinstance(v, dt.datetime):
        return (v.replace(tzinfo=UTC) if v.tzinfo is None else v).astimezone(UTC)
    return bytes(v) if isinstance(v, memoryview) else v


def _read_icd(conn):
    rows = conn.execute(sa.select(t.tblICDCodes).order_by(t.tblICDCodes.c.ICDID)).all()
    out = [tuple(_comparable(v) for v in r) for r in rows]
    cols = list(t.tblICDCodes.c.keys())
    order = [
        "ICDID",
        "ICDCode",
        "ICDName",
        "ValidityFrom",
        "ValidityTo",
        "LegacyID",
        "AuditUserID",
        "RowID",
    ]
    return [tuple(row[cols.index(c)] for c in order) for row in out]


def test_bulk_insert_postgresql_copy_round_trip(openimis_pg_url):
    genders, icd = _frames()
    engine = make_engine(openimis_pg_url)
    with engine.begin() as conn:
        assert bulk_insert(conn, t.tblGender, genders) == 1
        assert bulk_insert(conn, t.tblICDCodes, icd) == 3
    with engine.connect() as conn:
        g = conn.execute(sa.select(t.tblGender).where(t.tblGender.c.Code == "X")).one()
        assert tuple(g) == ("X", 'He said "hi",\nthen left', "", 9)  # '' stays '', not NULL
        assert _read_icd(conn) == EXPECTED_ICD
    engine.dispose()


def test_bulk_insert_sqlite_round_trip_and_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    t.metadata.create_all(engine)
    genders, icd = _frames()
    with engine.begin() as conn:
        bulk_insert(conn, t.tblGender, genders)
        bulk_insert(conn, t.tblICDCodes, icd)
    with engine.connect() as conn:
        assert tuple(conn.execute(sa.select(t.tblGender)).one()) == (
            "X",
            'He said "hi",\nthen left',
            "",
            9,
        )
        assert _read_icd(conn) == EXPECTED_ICD
    # a failing transaction leaves nothing behind: the insert ran in the caller's transaction
    with pytest.raises(RuntimeError), engine.begin() as conn:
        bulk_insert(conn, t.tblGender, pd.DataFrame({"Code": ["Y"]}))
        raise RuntimeError("abort")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.tblGender)).scalar() == 1
    engine.dispose()


def test_bulk_insert_object_columns_from_a_database_read(openimis_pg_url):
    """Frames read back from a database (Decimal, date objects, None) load too (the anonymiser's case)."""
    frame = pd.DataFrame(
        {
            "PremiumId": [1],
            "PremiumUUID": ["4d0c3a52-1111-4222-8333-444455556666"],
            "Amount": [Decimal("1234.50")],
            "Receipt": ["R1"],
            "PayDate": [dt.date(2024, 2, 29)],
            "PayType": ["C"],
            "isPhotoFee": [None],
            "ValidityFrom": [dt.datetime(2024, 1, 1, tzinfo=UTC)],
            "AuditUserID": [1],
            "PolicyID": [1],
        }
    )
    engine = make_engine(openimis_pg_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
        bulk_insert(conn, t.tblPremium, frame)
        row = conn.execute(
            sa.select(t.tblPremium.c.Amount, t.tblPremium.c.PayDate, t.tblPremium.c.isPhotoFee)
        ).one()
        assert tuple(row) == (Decimal("1234.50"), dt.date(2024, 2, 29), None)
        conn.rollback()  # the policy does not exist: never commit
    engine.dispose()


def test_bulk_insert_rejects_unknown_column(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    t.metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(BulkLoadError, match="NoSuchColumn"):
        bulk_insert(conn, t.tblGender, pd.DataFrame({"Code": ["M"], "NoSuchColumn": [1]}))
    engine.dispose()


def test_bulk_insert_rejects_fractional_integer(openimis_pg_url):
    engine = make_engine(openimis_pg_url)
    with engine.connect() as conn, pytest.raises(BulkLoadError, match="tblGender.SortOrder"):
        bulk_insert(conn, t.tblGender, pd.DataFrame({"Code": ["Z"], "SortOrder": [1.5]}))
    engine.dispose()


def test_bulk_insert_postgresql_session_time_zone_is_respected_and_restored(openimis_pg_url):
    """timestamptz values land at the right instant whatever the session's TimeZone, which is kept."""
    _, icd = _frames()
    engine = make_engine(openimis_pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET TimeZone TO 'Asia/Kathmandu'")
        bulk_insert(conn, t.tblICDCodes, icd)
        assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "Asia/Kathmandu"
        epoch = conn.exec_driver_sql(
            'SELECT extract(epoch FROM "ValidityFrom") FROM "tblICDCodes" WHERE "ICDID" = 7'
        ).scalar()
    assert float(epoch) == dt.datetime(2023, 1, 1, 10, 0, tzinfo=UTC).timestamp()
    engine.dispose()
