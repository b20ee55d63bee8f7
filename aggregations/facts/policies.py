"""Fact ``policies``: OI_POLICIES_ACTIVE / _ACTIVE_PREV / _NEW / _RENEWED / _EXPIRED by product.

One scan of the current policies joined to the calendar on "relevant to this period" (any of
the five rules), then one grouped branch per measure over that materialised set.
Org key: the family's location as it stands, rolled up to the configured level; product: the current product's code (NULL when the
policy's product is not current, i.e. the UNKNOWN option).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, case, func, literal, or_, select, true, union_all
from sqlalchemy.sql import Select

from adx.periods import Period
from openimis_db import tables as t

from ..config import CatalogueConfig
from ..expressions import active_on, current, in_period, not_idle
from ..periods import calendar
from ._long import branch
from ._residence import residence

PRODUCT_LIST = "PRODUCT_LIST"  # pseudo-measure: the current product codes


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    cal = calendar(periods)
    p, f, prod = t.tblPolicy, t.tblFamilies, t.tblProduct
    eff, exp = p.c.EffectiveDate, p.c.ExpiryDate
    ni = not_idle(p.c.PolicyStatus)
    rules = {
        "OI_POLICIES_ACTIVE": ni & active_on(eff, exp, cal.c.last_day),
        "OI_POLICIES_ACTIVE_PREV": ni & active_on(eff, exp, cal.c.prev_day),
        "OI_POLICIES_NEW": (p.c.PolicyStage == "N") & in_period(p.c.EnrollDate, cal),
        "OI_POLICIES_RENEWED": (p.c.PolicyStage == "R") & in_period(p.c.EnrollDate, cal),
        "OI_POLICIES_EXPIRED": ni & in_period(exp, cal),
    }
    flags = [case((rule, 1), else_=0).label(code.lower()) for code, rule in rules.items()]
    src, res = residence(
        p.join(cal, or_(*rules.values()))
        .outerjoin(f, f.c.FamilyID == p.c.FamilyID)
        .outerjoin(prod, (prod.c.ProdID == p.c.ProdID) & current(prod)),
        f.c.LocationId,
        config,
    )
    base = (
        select(cal.c.period, res.label("location_id"), prod.c.ProductCode.label("product"), *flags)
        .select_from(src)
        .where(current(p))
        .cte("policy_periods")
    )
    branches = [
        branch(
            code,
            base.c.period,
            base.c.location_id,
            base.c.product,
            None,
            func.sum(base.c[code.lower()]),
        ).where(base.c[code.lower()] == 1)
        for code in rules
    ]
    # Every current product code, so that the PRODUCT options (and the zero-filled grid) do not
    # depend on which products happen to have data in the periods computed; one row per period
    # so that a fact frame split by period (the pipeline's Parquet files) keeps them in each part.
    products = (
        branch(
            PRODUCT_LIST,
            cal.c.period,
            literal(None, Integer),
            prod.c.ProductCode,
            None,
            func.count(),
        )
        .select_from(prod.join(cal, true()))
        .where(current(prod))
    )
    return union_all(*branches, products)
