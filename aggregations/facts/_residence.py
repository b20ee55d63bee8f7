"""Residence org unit in SQL: the family's location rolled up to the configured level.

Grouping by the level's location (a ward, say) rather than by village keeps the fact results an
order of magnitude smaller. The chain is walked with three LEFT JOINs (village -> ward ->
district -> region, SCHEMA.md §5.4); when no ancestor of the level's type is found that way the
original location id is kept, and the pandas roll-up (which walks any depth and reports
locations without such an ancestor) finishes the job.
"""

from __future__ import annotations

from sqlalchemy import case, literal_column
from sqlalchemy.sql.expression import ColumnElement, FromClause

from openimis_db import tables as t

from ..config import LEVEL_TYPE, CatalogueConfig

HOPS = 4  # the location itself and three ancestors


def residence(
    from_: FromClause, location_id: ColumnElement, config: CatalogueConfig
) -> tuple[FromClause, ColumnElement]:
    """(``from_`` joined with the location chain, residence key expression)."""
    # The type is written into the SQL text: the key is grouped by (see expressions._const).
    want = literal_column(f"'{LEVEL_TYPE[config.residence_level]}'")
    chain = [t.tblLocations.alias(f"res{i}") for i in range(HOPS)]
    joined = from_.outerjoin(chain[0], chain[0].c.LocationId == location_id)
    for parent, child in zip(chain[1:], chain, strict=False):
        joined = joined.outerjoin(parent, parent.c.LocationId == child.c.ParentLocationId)
    key = case(
        *[(loc.c.LocationType == want, loc.c.LocationId) for loc in chain], else_=location_id
    )
    return joined, key
