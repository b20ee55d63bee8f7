"""Helper to write one UNION ALL branch of a long-form fact query."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, cast, literal, null, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import ColumnElement

from ..expressions import as_text, text_literal


def branch(
    measure: str,
    period: ColumnElement,
    org_key: ColumnElement,
    dim1: ColumnElement | None,
    dim2: ColumnElement | None,
    value: ColumnElement,
    divisor: ColumnElement | None = None,
) -> Select:
    """SELECT measure, period, org_key, dim1, dim2, value, divisor ... (caller adds FROM/WHERE),
    grouped by every non-aggregate column."""
    d1 = as_text(dim1) if dim1 is not None else as_text(null())
    d2 = as_text(dim2) if dim2 is not None else as_text(null())
    div = divisor if divisor is not None else literal(1, Integer)
    cols = [
        text_literal(measure).label("measure"),
        as_text(period).label("period"),
        cast(org_key, Integer).label("org_key"),
        d1.label("dim1"),
        d2.label("dim2"),
        cast(value, BigInteger).label("value"),
        cast(div, BigInteger).label("divisor"),
    ]
    # Constants are not grouped by: PostgreSQL rejects GROUP BY 'M'.
    group = [g for g in (period, org_key) if not isinstance(g, BindParameter)] + [
        d for d in (dim1, dim2) if d is not None and not isinstance(d, BindParameter)
    ]
    if divisor is not None:
        group.append(divisor)
    return select(*cols).group_by(*group)
