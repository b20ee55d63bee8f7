"""Extract + build in one call, and the current product codes (PRODUCT category options)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, select

from adx.periods import Period
from openimis_db import tables as t

from .build import build_dataset, dataset_period_type, resolve_dataset
from .catalogue import DATASET_FACTS
from .config import CatalogueConfig
from .expressions import current
from .facts import extract_fact
from .orgunits import extract_org_units
from .periods import check_periods


def compute_dataset(
    engine: Engine, dataset_code: str, periods: Sequence[Period], config: CatalogueConfig
) -> pd.DataFrame:
    """Data values of one data set for the given periods (one query per source fact)."""
    ds = resolve_dataset(dataset_code, config)
    periods = check_periods(ds, periods, dataset_period_type(ds, config))
    facts = {f: extract_fact(engine, f, periods, config) for f in DATASET_FACTS[ds]}
    return build_dataset(ds, facts, periods, config, extract_org_units(engine, config))


def product_codes(engine: Engine) -> list[str]:
    """Codes of the current products, sorted (pass to ``build_catalogue`` for metadata)."""
    prod = t.tblProduct
    with engine.connect() as conn:
        rows = (
            conn.execute(select(prod.c.ProductCode).where(current(prod)).distinct()).scalars().all()
        )
    return sorted(str(r).strip() for r in rows if r is not None)
