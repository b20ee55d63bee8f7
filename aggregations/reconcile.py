"""Reconciliation: per data element and period, the sum over all category options and org units
of a built data set equals an undisaggregated total from separate, simple DuckDB SQL
(``sql/reconcile_<data set>.sql``) over the same snapshot.

The totals SQL is written apart from the facts (no categories, no org units, COUNT/SUM per
period), so an error in a disaggregation, the mapping or a dropped catch-all shows up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from adx.periods import Period

from .build import CENT
from .config import CatalogueConfig
from .duck import SnapshotLike, read_sql, run_query, session
from .periods import check_periods
from .registry import AMOUNT, DATASETS, ELEMENTS, FACTS, dataset_period_type, resolve_dataset

TOTALS_SQL = {
    "OI_ENROLMENT": "reconcile_enrolment",
    "OI_CLAIMS": "reconcile_claims",
    "OI_POPULATION": "reconcile_population",
}


@dataclass(frozen=True)
class ReconciliationProblem:
    data_set: str
    data_element: str
    period: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return (
            f"{self.data_set} {self.data_element} {self.period}: data values sum to {self.actual}, "
            f"the undisaggregated total is {self.expected}"
        )


def totals(
    snapshot: SnapshotLike, dataset: str, periods: Sequence[Period], config: CatalogueConfig
) -> dict[tuple[str, str], Decimal]:
    """{(default element code, period id): total} (amounts in currency units)."""
    tables = list(dict.fromkeys(s.table for f in DATASETS[dataset].facts for s in FACTS[f].sources))

    def wrap(query: str) -> str:
        return (
            "SELECT CAST(measure AS VARCHAR), CAST(period AS VARCHAR), CAST(value AS HUGEINT), "
            f"CAST(divisor AS BIGINT) FROM (\n{query}\n)"
        )

    with session(snapshot, tables, periods, config) as con:
        rows = run_query(con, read_sql(TOTALS_SQL[dataset]), wrap, lambda cur: cur.fetchall())
    kinds = {e.code: e.kind for e in ELEMENTS}
    out: dict[tuple[str, str], Decimal] = {}
    for measure, period, value, divisor in rows:
        scale = 100 if kinds[measure] == AMOUNT else 1
        v = Decimal(int(value or 0)) / (scale * int(divisor or 1))
        out[(measure, period)] = out.get((measure, period), Decimal(0)) + v
    return out


def reconcile(
    snapshot: SnapshotLike,
    dataset_code: str,
    frame: pd.DataFrame,
    periods: Sequence[Period],
    config: CatalogueConfig,
) -> list[ReconciliationProblem]:
    """Problems found (empty list = the data set reconciles)."""
    ds = resolve_dataset(dataset_code, config)
    periods = check_periods(ds, periods, dataset_period_type(ds, config))
    expected = totals(snapshot, ds, periods, config)
    back = {config.code(e.code): e.code for e in ELEMENTS}
    actual: dict[tuple[str, str], Decimal] = {}
    cells: dict[tuple[str, str], int] = {}
    for de, period, value in zip(
        frame["data_element"], frame["period"], frame["value"], strict=True
    ):
        key = (back.get(str(de), str(de)), str(period))
        actual[key] = actual.get(key, Decimal(0)) + Decimal(str(value))
        cells[key] = cells.get(key, 0) + 1
    problems = []
    for spec in (e for e in ELEMENTS if e.data_set == ds):
        for p in periods:
            key = (spec.code, p.id)
            want = expected.get(key, Decimal(0))
            got = actual.get(key, Decimal(0))
            # Amount cells are rounded to cents one by one: allow half a cent per cell.
            tol = CENT / 2 * cells.get(key, 0) if spec.kind == AMOUNT else Decimal(0)
            if abs(want.quantize(CENT) - got) > tol:
                problems.append(
                    ReconciliationProblem(
                        config.code(ds), config.code(spec.code), p.id, _fmt(want), _fmt(got)
                    )
                )
    return problems


def _fmt(v: Decimal) -> str:
    return format(v.quantize(CENT), "f")
