"""Portable SQL building blocks shared by the fact queries (no dialect-only functions here)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy.sql.expression import ColumnElement

from openimis_db import tables as t

from .config import AgeBand, CatalogueConfig
from .dialect import as_date, date_key
from .periods import band_columns

UNKNOWN_AGE = -1  # band index of a missing or future DOB


def current(table) -> ColumnElement:
    """The entity's current version (SCHEMA.md §1): never history copies nor deleted rows."""
    return table.c.ValidityTo.is_(None)


def not_idle(status: ColumnElement) -> ColumnElement:
    """Policy status is not Idle (1); a NULL status is not Idle either."""
    return or_(status.is_(None), status != 1)


def not_photo_fee(flag: ColumnElement) -> ColumnElement:
    """``isPhotoFee`` is not true. Booleans are compared through CAST(... AS INTEGER) (SCHEMA.md §4)."""
    return func.coalesce(cast(flag, Integer), 0) == 0


def cents(amount: ColumnElement) -> ColumnElement:
    """A numeric(18,2) amount as integer hundredths (NULL as 0): exact sums on every engine,
    including SQLite where NUMERIC is stored as a float."""
    return cast(func.round(func.coalesce(amount, 0) * 100, 0), BigInteger)


def as_text(col: ColumnElement) -> ColumnElement:
    """A dimension value as a string so that UNION ALL branches line up."""
    return cast(col, String(64))


def text_literal(value: str) -> ColumnElement:
    return cast(literal(value), String(64))


def _const(n: int) -> ColumnElement:
    """An integer written into the SQL text, not a bound parameter: these CASE expressions are
    grouped by, and SQL Server only matches a SELECT expression to its GROUP BY twin when both
    have no parameters (two ``?`` are never "the same expression")."""
    return literal_column(str(int(n)), Integer)


def age_band_at_period_end(dob: ColumnElement, cal, bands: Sequence[AgeBand]) -> ColumnElement:
    """Band index of the age at ``cal.last_day``: DOB compared with boundary dates computed in
    Python per period (``calendar`` columns), -1 for a missing or future DOB."""
    names = band_columns(bands)
    whens = [(or_(dob.is_(None), dob > cal.c.last_day), _const(UNKNOWN_AGE))]
    for i in range(len(bands) - 1, 0, -1):
        whens.append((dob <= cal.c[names[i]], _const(i)))
    return case(*whens, else_=_const(0))


def age_key_diff(dob: ColumnElement, ref: ColumnElement) -> ColumnElement:
    """``ref_key - dob_key`` with YYYYMMDD integer keys (NULL when either date is NULL):
    completed years = diff // 10000, so leap days and birthdays need no date arithmetic."""
    return date_key(ref) - date_key(dob)


def age_band_of_diff(diff: ColumnElement, bands: Sequence[AgeBand]) -> ColumnElement:
    """Band index from ``age_key_diff`` (-1 for a missing or future DOB). Taking the difference
    as a column lets a query compute it once per row rather than once per band."""
    whens = [(or_(diff.is_(None), diff < _const(0)), _const(UNKNOWN_AGE))]
    for i in range(len(bands) - 1, 0, -1):
        whens.append((diff >= _const(bands[i].low * 10000), _const(i)))
    return case(*whens, else_=_const(0))


def age_band_at(dob: ColumnElement, ref: ColumnElement, bands: Sequence[AgeBand]) -> ColumnElement:
    """Band index of the age at a per-row date."""
    return age_band_of_diff(age_key_diff(dob, ref), bands)


def claim_reference_date(config: CatalogueConfig) -> ColumnElement:
    c = t.tblClaim.c
    expr = {
        "coalesce": func.coalesce(c.DateTo, c.DateFrom),
        "date_from": c.DateFrom,
        "date_claimed": c.DateClaimed,
        "date_processed": c.DateProcessed,
    }[config.claim_date]
    return as_date(expr)


def in_period(col: ColumnElement, cal) -> ColumnElement:
    return and_(col >= cal.c.start, col < cal.c.end_excl)


def active_on(eff: ColumnElement, exp: ColumnElement, day: ColumnElement) -> ColumnElement:
    """Cover rule of P1/P6: EffectiveDate <= day < ExpiryDate."""
    return and_(eff <= day, exp > day)
