"""Every dialect-specific SQL fragment of the catalogue, in one place (tested per dialect).

Shared SQL elsewhere is portable; these constructs compile differently on PostgreSQL, SQLite and
SQL Server.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, extract, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class days_between(FunctionElement):  # noqa: N801 (SQL function style)
    """``later - earlier`` in whole days, as an integer."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_default(element, compiler, **kw):  # PostgreSQL: date - date is an integer
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


@compiles(days_between, "mssql")
def _days_mssql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"DATEDIFF(day, {compiler.process(earlier, **kw)}, {compiler.process(later, **kw)})"


class as_date(FunctionElement):  # noqa: N801
    """A date/datetime column as a date (SQL Server smalldatetime claim dates need it).

    On SQLite dates are ISO strings already and ``CAST(x AS DATE)`` would turn them into numbers,
    so it is the identity there; PostgreSQL columns are ``date`` already.
    """

    inherit_cache = True
    name = "as_date"


@compiles(as_date)
def _as_date_default(element, compiler, **kw):
    (arg,) = list(element.clauses)
    return compiler.process(arg, **kw)


@compiles(as_date, "mssql")
def _as_date_mssql(element, compiler, **kw):
    (arg,) = list(element.clauses)
    return f"CAST({compiler.process(arg, **kw)} AS DATE)"


def date_key(col: ColumnElement) -> ColumnElement:
    """``YYYYMMDD`` as an integer (age in completed years = (ref_key - dob_key) // 10000).

    SQLAlchemy's ``extract`` renders EXTRACT (PostgreSQL), STRFTIME (SQLite), DATEPART (SQL Server).
    """
    # Multipliers written into the SQL (not parameters): the key can end up in a GROUP BY.
    k10000, k100 = literal_column("10000", Integer), literal_column("100", Integer)
    return extract("year", col) * k10000 + extract("month", col) * k100 + extract("day", col)


class date_literal(ColumnElement):  # noqa: N801
    """A date written into the SQL text (not a parameter), typed as a date: usable inside grouped
    expressions. ``CAST('2024-01-31' AS DATE)``; on SQLite, where dates are ISO strings and
    CAST(... AS DATE) would make a number, the bare string."""

    type = Date()
    inherit_cache = False  # the date is part of the SQL text

    def __init__(self, value: date) -> None:
        self.value = value


@compiles(date_literal)
def _date_literal_default(element, compiler, **kw):
    return f"CAST('{element.value.isoformat()}' AS DATE)"


@compiles(date_literal, "sqlite")
def _date_literal_sqlite(element, compiler, **kw):
    return f"'{element.value.isoformat()}'"


# PostgreSQL only, for the extraction transaction: the fact queries are a few large hash
# aggregates and joins. JIT compilation of their many expressions cost seconds (up to 18 s
# under EXPLAIN ANALYZE on the large benchmark database) for no gain, and the default 4 MB
# work_mem makes the aggregates spill and sort on disk.
POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '256MB'")


def tune_transaction(conn) -> None:
    """Settings for the current transaction of ``conn`` (a no-op on other dialects)."""
    if conn.dialect.name == "postgresql":
        for stmt in POSTGRES_SETTINGS:
            conn.exec_driver_sql(stmt)
