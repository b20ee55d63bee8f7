"""Reading the source: keyset-paginated chunks, the avoid set, the latest data month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from .policy import REPLACED_KINDS, TEXT_COLUMNS, Action
from .probe import SourceTable
from .pseudonym import AvoidSet, value_hash

__all__ = ["iter_chunks", "count_rows", "collect_avoid_set", "latest_month"]

_NAME_KINDS = {Action.FIRST_NAME, Action.LAST_NAME, Action.ORG_NAME}


def count_rows(conn: sa.Connection, src: SourceTable) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(src.selectable())).scalar_one()


def iter_chunks(conn: sa.Connection, src: SourceTable, chunk_rows: int) -> Iterator[list[sa.Row]]:
    """Rows in primary-key order, ``chunk_rows`` at a time (keyset pagination: memory bounded and
    the same on PostgreSQL, SQL Server and SQLite, no long-lived server cursor)."""
    table = src.selectable()
    pk = next(c for c in table.c if c.primary_key)
    columns = [c.label(c.key) for c in table.c]
    last = None
    while True:
        query = sa.select(*columns).order_by(pk).limit(chunk_rows)
        if last is not None:
            query = query.where(pk > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1]._mapping[pk.key]


def collect_avoid_set(conn: sa.Connection, layout: dict[str, SourceTable]) -> AvoidSet:
    """Hashes of every source value of every replaced column (and of each word of names), so that
    no fake value ever equals a real one."""

    def hashes() -> Iterator[int]:
        for (table, column), action in TEXT_COLUMNS.items():
            if action not in REPLACED_KINDS:
                continue
            col = layout[table].selectable().c[column]
            query = sa.select(col).where(col.is_not(None)).distinct()
            for (value,) in conn.execution_options(yield_per=10_000).execute(query):
                value = str(value)
                yield value_hash(value)
                if action in _NAME_KINDS:
                    for word in value.split():
                        yield value_hash(word)

    return AvoidSet(hashes())


def latest_month(conn: sa.Connection, layout: dict[str, SourceTable]) -> dt.date | None:
    """First day of the latest month holding a claim date (from/to) or a policy enrolment."""
    claim = layout["tblClaim"].selectable()
    policy = layout["tblPolicy"].selectable()
    values = [
        conn.execute(sa.select(sa.func.max(claim.c.DateFrom))).scalar(),
        conn.execute(sa.select(sa.func.max(claim.c.DateTo))).scalar(),
        conn.execute(sa.select(sa.func.max(policy.c.EnrollDate))).scalar(),
    ]
    dates = [v.date() if isinstance(v, dt.datetime) else v for v in values if v is not None]
    return max(dates).replace(day=1) if dates else None
