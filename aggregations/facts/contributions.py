"""Fact ``contributions``: OI_CONTRIBUTIONS_COLLECTED and OI_CONTRIBUTIONS_EARNED by product.

Current premiums that are not photo fees, on current policies. Collected: by PayDate (bucketed by a CASE over the period bounds). Earned:
each premium spread uniformly per day over its policy's cover [EffectiveDate, ExpiryDate); the
query returns SUM(amount in hundredths x overlap days) grouped by cover length (``divisor``),
so the division happens exactly, in Decimal, after the query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, func, union_all
from sqlalchemy.sql import Select

from adx.periods import Period
from openimis_db import tables as t

from ..config import CatalogueConfig
from ..dialect import days_between
from ..expressions import cents, current, not_photo_fee
from ..periods import calendar, period_of, within
from ._long import branch
from ._residence import residence


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    cal = calendar(periods)
    pr, p, f, prod = t.tblPremium, t.tblPolicy, t.tblFamilies, t.tblProduct
    eff, exp = p.c.EffectiveDate, p.c.ExpiryDate

    def source(on=None):
        joined = pr.join(p, p.c.PolicyID == pr.c.PolicyID)
        if on is not None:
            joined = joined.join(cal, on)
        joined = joined.outerjoin(f, f.c.FamilyID == p.c.FamilyID).outerjoin(
            prod, (prod.c.ProdID == p.c.ProdID) & current(prod)
        )
        return residence(joined, f.c.LocationId, config)

    valid = (current(pr), not_photo_fee(pr.c.isPhotoFee), current(p))
    # A flow: each premium bucketed into its payment period by a CASE (no calendar range join).
    paid_src, paid_res = source()
    paid_period = period_of(pr.c.PayDate, periods)
    collected = (
        branch(
            "OI_CONTRIBUTIONS_COLLECTED",
            paid_period,
            paid_res,
            prod.c.ProductCode,
            None,
            func.sum(cents(pr.c.Amount)),
        )
        .select_from(paid_src)
        .where(*valid, within(pr.c.PayDate, periods), paid_period.is_not(None))
    )
    # Overlap of [eff, exp) with [start, end): from the later start to the earlier end.
    lo = case((eff > cal.c.start, eff), else_=cal.c.start)
    hi = case((exp < cal.c.end_excl, exp), else_=cal.c.end_excl)
    cover_src, cover_res = source(and_(eff < cal.c.end_excl, exp > cal.c.start, exp > eff))
    earned = (
        branch(
            "OI_CONTRIBUTIONS_EARNED",
            cal.c.period,
            cover_res,
            prod.c.ProductCode,
            None,
            func.sum(cents(pr.c.Amount) * days_between(hi, lo)),
            divisor=days_between(exp, eff),
        )
        .select_from(cover_src)
        .where(*valid)
    )
    return union_all(collected, earned)
