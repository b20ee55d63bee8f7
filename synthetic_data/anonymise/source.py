"""Reading the source: keyset-paginated chunks, the avoid set, the latest data month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from .policy import REPLACED_KINDS, TEXT_COLUMNS, Action
from .probe import SourceTable
from .pseudonym import AvoidSet, value_hash

__all__ = [
    "avoid_queries",
    "chunk_query",
    "collect_avoid_set",
    "count_rows",
    "iter_chunks",
    "latest_month",
    "latest_month_queries",
]

_NAME_KINDS = {Action.FIRST_NAME, Action.LAST_NAME, Action.ORG_NAME}


def count_rows(conn: sa.Connection, src: SourceTable) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(src.selectable())).scalar_one()


def iter_chunks(conn: sa.Connection, src: SourceTable, chunk_rows: int) -> Iterator[list[sa.Row]]:
    """Rows in primary-key order, ``chunk_rows`` at a time (keyset pagination: memory bounded and
    the same on PostgreSQL, SQL Server and SQLite, no long-lived server cursor)."""
    key = next(i for i, c in enumerate(src.selectable().c) if c.primary_key)
    last = None
    while True:
        rows = conn.execute(chunk_query(src, chunk_rows, last)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][key]


def chunk_query(src: SourceTable, chunk_rows: int, after=None) -> sa.Select:
    """The next ``chunk_rows`` rows after key ``after`` (None: the first chunk), in modeled column order."""
    table = src.selectable()
    pk = next(c for c in table.c if c.primary_key)
    query = sa.select(*[c.label(c.key) for c in table.c]).order_by(pk).limit(chunk_rows)
    return query if after is None else query.where(pk > after)


def collect_avoid_set(conn: sa.Connection, layout: dict[str, SourceTable]) -> AvoidSet:
    """Hashes of every source value of every replaced column (and of each word of names), so that
    no fake value ever equals a real one."""

    def hashes() -> Iterator[int]:
        for action, query in avoid_queries(layout):
            for (value,) in conn.execute(query.execution_options(yield_per=10_000)):
                value = str(value)
                yield value_hash(value)
                if action in _NAME_KINDS:
                    for word in value.split():
                        yield value_hash(word)

    return AvoidSet(hashes())


def avoid_queries(layout: dict[str, SourceTable]) -> list[tuple[Action, sa.Select]]:
    """One ``SELECT DISTINCT`` per replaced column of the policy table."""
    out = []
    for (table, column), action in TEXT_COLUMNS.items():
        if action in REPLACED_KINDS:
            col = layout[table].selectable().c[column]
            out.append((action, sa.select(col).where(col.is_not(None)).distinct()))
    return out


def latest_month(conn: sa.Connection, layout: dict[str, SourceTable]) -> dt.date | None:
    """First day of the latest month holding a claim date (from/to) or a policy enrolment."""
    values = [conn.execute(q).scalar() for q in latest_month_queries(layout)]
    dates = [v.date() if isinstance(v, dt.datetime) else v for v in values if v is not None]
    return max(dates).replace(day=1) if dates else None


def latest_month_queries(layout: dict[str, SourceTable]) -> list[sa.Select]:
    claim = layout["tblClaim"].selectable()
    policy = layout["tblPolicy"].selectable()
    return [
        sa.select(sa.func.max(claim.c.DateFrom)),
        sa.select(sa.func.max(claim.c.DateTo)),
        sa.select(sa.func.max(policy.c.EnrollDate)),
    ]
