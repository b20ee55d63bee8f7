"""Source facts: one SQLAlchemy Core statement per fact for a whole period range.

Every fact is a small long-form frame with ``FACT_COLUMNS``:

- ``measure``: the (default) data element code the row feeds;
- ``period``: DHIS2 period id; ``org_key``: openIMIS LocationId (residence side: the family's
  location rolled up to the configured level in SQL; population: each location) or HfID
  (facility side), mapped to DHIS2 ids when the data set is built;
- ``dim1``, ``dim2``: raw category values grouped in the database (sex code, age band index,
  product code, claim status, ICD code, ...), NULL kept as missing;
- ``value``: an integer (a count, or an amount in hundredths); ``divisor``: the integer the
  value must still be divided by (1, or the cover days of an earned contribution).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.sql import Select

from adx.periods import Period

from ..config import CatalogueConfig
from ..dialect import tune_transaction
from . import claims, contributions, insurees, policies, population

FACT_COLUMNS = ("measure", "period", "org_key", "dim1", "dim2", "value", "divisor")

FACT_QUERIES: dict[str, Callable[[Sequence[Period], CatalogueConfig], Select]] = {
    "insurees": insurees.query,
    "policies": policies.query,
    "contributions": contributions.query,
    "claims": claims.query,
    "population": population.query,
}


def fact_query(fact: str, periods: Sequence[Period], config: CatalogueConfig) -> Select:
    """The SQL statement of a fact (also used to compile it for SQL Server in tests)."""
    try:
        build = FACT_QUERIES[fact]
    except KeyError:
        raise ValueError(f"unknown fact {fact!r}; known: {', '.join(FACT_QUERIES)}") from None
    if not periods:
        raise ValueError(f"fact {fact}: no period given")
    return build(sorted(periods, key=lambda p: p.start), config)


def extract_fact(
    engine: Engine, fact: str, periods: Sequence[Period], config: CatalogueConfig
) -> pd.DataFrame:
    """Run the fact's single query and return its small long-form result."""
    stmt = fact_query(fact, periods, config)
    with engine.connect() as conn, conn.begin():
        tune_transaction(conn)
        rows = conn.execute(stmt).all()
    return normalise(rows)


def normalise(rows) -> pd.DataFrame:
    """Parquet-friendly dtypes: strings and int64 (no floats anywhere).

    Built column by column from the raw tuples: letting pandas infer a frame first would turn
    NULL dimension values into float NaN.
    """
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(FACT_COLUMNS)
    measure, period, org_key, dim1, dim2, value, divisor = cols
    return pd.DataFrame(
        {
            "measure": pd.array(measure, dtype="string"),
            "period": pd.array([str(p) for p in period], dtype="string"),
            "org_key": pd.array([None if v is None else int(v) for v in org_key], dtype="Int64"),
            "dim1": _dim(dim1),
            "dim2": _dim(dim2),
            "value": pd.array([int(v or 0) for v in value], dtype="int64"),
            "divisor": pd.array([int(v or 1) for v in divisor], dtype="int64"),
        }
    )


def _dim(values) -> pd.arrays.StringArray:
    return pd.array([None if v is None else str(v).strip() for v in values], dtype="string")
