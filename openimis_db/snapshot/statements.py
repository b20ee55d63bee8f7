"""The SELECT sent for each ``TableRead``: plain columns, ``ValidityTo IS NULL``, date bounds.

Nothing else (no joins, no functions, no casts), so every dialect, including the legacy SQL Server
edition, runs the same simple scan. Rendered with literal binds: the values are dates from a
``DateWindow``, never user text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from openimis_db import tables as t

from .model import SnapshotError, TableRead

__all__ = ["CLAIM_DATES", "select_for", "render", "render_statements", "DIALECTS"]

# The claim dates a claim line is kept for when the run reads no tblClaim itself.
CLAIM_DATES: tuple[str, ...] = ("DateFrom", "DateTo", "DateClaimed", "DateProcessed")

# each backend's default driver dialect (the classes sqlalchemy.dialects.<name>.dialect name)
DIALECTS: dict[str, sa.Dialect] = {
    name: sa.make_url(f"{name}://").get_dialect()() for name in ("postgresql", "sqlite", "mssql")
}


def _source_table(
    name: str, source_name: str | None = None, spelled: dict[str, str] | None = None
) -> sa.Table:
    """A Core table spelled as the source spells it, with the modeled types."""
    model = t.metadata.tables[name]
    spelled = spelled or {}
    return sa.Table(
        source_name or name,
        sa.MetaData(),
        *[sa.Column(spelled.get(c.name, c.name), c.type, key=c.name) for c in model.c],
    )


class _WindowDate(sa.types.TypeDecorator[dt.date]):
    """A window bound rendered as a date literal: ISO ``'2024-01-01'``, or ``'20240101'`` on SQL Server,
    the one format SQL Server reads the same under every DATEFORMAT/language for its ``datetime`` and
    ``smalldatetime`` columns (``DateFrom``/``DateTo`` are ``smalldatetime`` in the legacy edition)."""

    impl = sa.String
    cache_ok = True

    def process_literal_param(self, value: dt.date | None, dialect: sa.Dialect) -> str:
        if value is None:
            raise SnapshotError("a date window bound is missing")
        return value.strftime("%Y%m%d") if dialect.name == "mssql" else value.isoformat()


def _window_filter(
    table: sa.Table, read: TableRead, columns: Sequence[str]
) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if read.current_only:
        conds.append(table.c.ValidityTo.is_(None))
    if columns:
        if read.window is None:
            raise SnapshotError(f"{read.table}: filtered on {', '.join(columns)} without a window")
        start, end = read.window.start, read.window.end
        conds.append(
            sa.or_(
                *[
                    sa.and_(
                        table.c[c] >= sa.literal(start, _WindowDate()),
                        table.c[c] < sa.literal(end, _WindowDate()),
                    )
                    for c in columns
                ]
            )
        )
    return conds


def select_for(read: TableRead, claim_read: TableRead | None = None) -> sa.Select[Any]:
    """The SELECT of one read. ``claim_read``: the run's tblClaim read, whose filter a
    ``through_claim`` read applies to the claim (default: current claims with any of ``CLAIM_DATES``
    in the line read's window)."""
    spelled = (
        dict(zip(read.columns, read.source_columns, strict=True)) if read.source_columns else {}
    )
    table = _source_table(read.table, read.source_table, spelled)
    query = sa.select(*[table.c[c] for c in read.columns]).where(
        *_window_filter(table, read, read.any_date_in)
    )
    if read.through_claim:
        claim_spec = claim_read or TableRead(
            "tblClaim", ("ClaimID",), current_only=True, any_date_in=CLAIM_DATES, window=read.window
        )
        claim = _source_table("tblClaim", claim_spec.source_table)
        inner = sa.select(claim.c.ClaimID).where(
            *_window_filter(claim, claim_spec, claim_spec.any_date_in)
        )
        query = query.where(table.c.ClaimID.in_(inner))
    return query


def render(query: sa.Select[Any], dialect_name: str) -> str:
    try:
        dialect = DIALECTS[dialect_name]
    except KeyError:
        raise SnapshotError(
            f"unsupported dialect {dialect_name!r}: use one of {', '.join(DIALECTS)}"
        ) from None
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def claim_read_of(reads: Sequence[TableRead]) -> TableRead | None:
    return next((r for r in reads if r.table == "tblClaim"), None)


def render_statements(reads: Sequence[TableRead], dialect_name: str) -> list[str]:
    """The exact SQL text sent for each read, in order."""
    claim = claim_read_of(reads)
    return [render(select_for(r, claim), dialect_name) for r in reads]
