"""Plain-SQL helpers for the generator tests (independent of the generator's code)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import make_engine


def scalar(url: str, sql: str):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def content_hashes(url: str) -> dict[str, str]:
    """sha256 per modeled table over all rows ordered by primary key."""
    engine = make_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for name in t.MODELED_TABLES:
                table = t.metadata.tables[name]
                h = hashlib.sha256()
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                    h.update(repr(tuple(row)).encode())
                out[name] = h.hexdigest()
    finally:
        engine.dispose()
    return out
