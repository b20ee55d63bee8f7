"""Engine creation for the three supported back ends, and small dialect helpers."""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

import redaction


class DatabaseURLError(ValueError):
    """The database URL is malformed or names an unsupported or unavailable driver."""


SUPPORTED = ("postgresql", "mssql", "sqlite")


def redact_url(url: str) -> str:
    """The URL with any password masked (user-info, ``password=``/``PWD=`` in the query or an
    ODBC string), safe for logs and error messages; see :mod:`redaction`."""
    try:
        make_url(url)
    except ArgumentError:
        return "<unparseable database URL>"
    return redaction.redact_url(url)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a PostgreSQL, SQL Server or SQLite URL.

    - ``postgresql://user@host:5432/db`` (psycopg2)
    - ``mssql+pyodbc://user:pass@host:1433/db?driver=ODBC+Driver+18+for+SQL+Server`` (needs the
      ``.[mssql]`` extra, unixODBC and Microsoft's ODBC driver); ``fast_executemany`` is enabled.
    - ``sqlite:///path/to/file.db``; foreign keys are enforced per connection.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseURLError(
            f"cannot parse database URL {redact_url(url)!r}: expected e.g. "
            "postgresql://user@host/db, sqlite:///file.db or mssql+pyodbc://..."
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise DatabaseURLError(
            f"unsupported database {backend!r} in {redact_url(url)}: use one of {', '.join(SUPPORTED)}"
        )
    if backend == "mssql":
        if importlib.util.find_spec("pyodbc") is None:
            raise DatabaseURLError(
                "SQL Server URLs need pyodbc: pip install 'openimis-dhis2[mssql]' (and unixODBC "
                "plus Microsoft's ODBC Driver 18 for SQL Server)"
            )
        kwargs.setdefault("fast_executemany", True)
    if backend == "postgresql" and "+" not in parsed.drivername:
        # SQLAlchemy 2.1 defaults to psycopg 3; this project ships psycopg2 (COPY via copy_expert).
        parsed = parsed.set(drivername="postgresql+psycopg2")
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
