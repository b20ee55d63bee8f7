"""Compute a data set from a snapshot: the facts' DuckDB SQL in one session (one pass for the
whole period range), then pandas maps the small long-form result to DHIS2 data values."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow.parquet as pq

from adx.periods import Period

from .build import build_dataset
from .config import CatalogueConfig
from .duck import SnapshotLike, read_sql, run_query, session
from .orgunits import org_units, residence_keys
from .periods import check_periods
from .registry import DATASETS, FACTS, resolve_dataset

FACT_COLUMNS = ("measure", "period", "org_key", "dim1", "dim2", "value", "divisor")


def fact_tables(facts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(s.table for f in facts for s in FACTS[f].sources))


def fact_columns(query: str) -> str:
    """The fact's final query with the long-form column types fixed (DuckDB sums are HUGEINT)."""
    return (
        "SELECT CAST(measure AS VARCHAR) AS measure, CAST(period AS VARCHAR) AS period, "
        "CAST(org_key AS BIGINT) AS org_key, CAST(dim1 AS VARCHAR) AS dim1, "
        "CAST(dim2 AS VARCHAR) AS dim2, CAST(value AS BIGINT) AS value, "
        f"CAST(divisor AS BIGINT) AS divisor FROM (\n{query}\n)"
    )


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet-friendly dtypes: strings and int64 (no floats anywhere)."""
    return pd.DataFrame(
        {
            "measure": frame["measure"].astype("string"),
            "period": frame["period"].astype("string"),
            "org_key": frame["org_key"].astype("Int64"),
            "dim1": frame["dim1"].astype("string").str.strip(),
            "dim2": frame["dim2"].astype("string").str.strip(),
            "value": frame["value"].fillna(0).astype("int64"),
            "divisor": frame["divisor"].fillna(1).astype("int64"),
        }
    )


def compute_facts(
    snapshot: SnapshotLike,
    facts: Sequence[str],
    periods: Sequence[Period],
    config: CatalogueConfig,
    org_units_frame: pd.DataFrame,
) -> pd.DataFrame:
    """Long-form rows (``FACT_COLUMNS``) of the facts, from one DuckDB session."""
    residence = residence_keys(org_units_frame)
    with session(snapshot, fact_tables(facts), periods, config, residence) as con:
        parts = [
            run_query(con, read_sql(f), fact_columns, lambda cur: cur.to_arrow_table().to_pandas())
            for f in facts
        ]
    non_empty = [p for p in parts if len(p)]
    frame = pd.concat(non_empty, ignore_index=True) if non_empty else parts[0]
    return normalise(frame)


def product_codes(snapshot: SnapshotLike) -> list[str]:
    """Codes of the current products, sorted (the PRODUCT options; pass to ``build_catalogue``)."""
    table = pq.read_table(snapshot.path("tblProduct")).to_pandas()
    if "ValidityTo" in table.columns:
        table = table[table["ValidityTo"].isna()]
    return sorted({str(c).strip() for c in table["ProductCode"].dropna()})


def compute_dataset(
    snapshot: SnapshotLike, dataset_code: str, periods: Sequence[Period], config: CatalogueConfig
) -> pd.DataFrame:
    """Data values (``adx.model.FRAME_COLUMNS``) of one data set for the periods."""
    ds = resolve_dataset(dataset_code, config)
    periods = check_periods(ds, periods, DATASETS[ds].period_type(config))
    units = org_units(snapshot, config)
    facts = compute_facts(snapshot, DATASETS[ds].facts, periods, config, units)
    return build_dataset(ds, facts, periods, config, units, product_codes(snapshot))
