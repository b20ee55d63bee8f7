"""Fact ``population``: OI_POPULATION (by sex) and OI_FAMILIES_TARGET of current locations.

Grouped by location (the location table is the org unit dimension itself, a few thousand rows);
rolled up to the configured level when the data set is built. The figures are the current
rows' figures, so every yearly period gets the same values.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, literal, true, union_all
from sqlalchemy.sql import Select

from adx.periods import Period
from openimis_db import tables as t

from ..config import CatalogueConfig
from ..expressions import current
from ..periods import calendar
from ._long import branch


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    cal = calendar(periods)
    loc = t.tblLocations
    src = loc.join(cal, true())
    branches = [
        branch(
            "OI_POPULATION",
            cal.c.period,
            loc.c.LocationId,
            literal(sex),
            None,
            func.sum(func.coalesce(col, 0)),
        )
        .select_from(src)
        .where(current(loc), col.isnot(None))
        for sex, col in (
            ("M", loc.c.MalePopulation),
            ("F", loc.c.FemalePopulation),
            ("O", loc.c.OtherPopulation),
        )
    ]
    branches.append(
        branch(
            "OI_FAMILIES_TARGET",
            cal.c.period,
            loc.c.LocationId,
            None,
            None,
            func.sum(loc.c.Families),
        )
        .select_from(src)
        .where(current(loc), loc.c.Families.isnot(None))
    )
    return union_all(*branches)
