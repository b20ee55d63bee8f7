"""The dialect fragments (aggregations/dialect.py), one test per dialect: executed on SQLite and
PostgreSQL, compiled (and parsed by sqlglot) for SQL Server."""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot
from sqlalchemy import Date, literal, select
from sqlalchemy.dialects import mssql

from aggregations.dialect import as_date, date_key, days_between
from openimis_db.engine import make_engine

CASES = [  # later, earlier, days
    (date(2024, 3, 1), date(2024, 2, 28), 2),  # across a leap day
    (date(2023, 3, 1), date(2023, 2, 28), 1),
    (date(2025, 1, 15), date(2024, 1, 15), 366),
    (date(2024, 1, 2), date(2024, 1, 5), -3),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'd.db'}"
    else:
        url = request.getfixturevalue("new_pg_db")()
    eng = make_engine(url)
    yield eng
    eng.dispose()


def test_days_between_and_date_key_execute(engine):
    with engine.connect() as conn:
        for later, earlier, days in CASES:
            a, b = literal(later, Date), literal(earlier, Date)
            got = conn.execute(select(days_between(a, b), date_key(as_date(a)))).one()
            assert int(got[0]) == days
            assert int(got[1]) == later.year * 10000 + later.month * 100 + later.day


def test_mssql_fragments():
    a, b = literal(date(2024, 3, 1), Date), literal(date(2024, 2, 28), Date)
    sql = str(
        select(days_between(a, b), date_key(as_date(a))).compile(
            dialect=mssql.dialect(), compile_kwargs={"literal_binds": True}
        )
    )
    assert "DATEDIFF(day, '2024-02-28', '2024-03-01')" in sql
    assert "CAST('2024-03-01' AS DATE)" in sql
    assert "DATEPART(year" in sql
    sqlglot.parse_one(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
