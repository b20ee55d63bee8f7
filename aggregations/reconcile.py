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
    actual, cells = _sums(frame, back)
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


def _sums(
    frame: pd.DataFrame, back: dict[str, str]
) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], int]]:
    """{(default element code, period): exact sum of the values}, and the number of cells.

    Values are decimal strings with at most two decimals (``build.format_value``), summed as
    integer hundredths in pandas (a Python loop over a 12-month range took seconds); any other
    shape is summed value by value with ``Decimal``.
    """
    text = frame["value"].astype(str)
    keys = [
        frame["data_element"].astype(str).map(lambda c: back.get(c, c)),
        frame["period"].astype(str),
    ]
    if len(text) and not text.str.fullmatch(r"\d+(\.\d{1,2})?").all():
        exact = text.map(Decimal)
        sums = exact.groupby(keys).sum()
        return {k: Decimal(v) for k, v in sums.items()}, exact.groupby(keys).size().to_dict()
    if not len(text):
        return {}, {}
    parts = text.str.split(".", n=1, expand=True).reindex(columns=[0, 1])
    decimals = parts[1].astype("string").fillna("").str.ljust(2, "0")
    hundredths = parts[0].astype("int64") * 100 + decimals.astype("int64")
    grouped = hundredths.groupby(keys)
    sums = {k: Decimal(int(v)) / 100 for k, v in grouped.sum().items()}
    return sums, grouped.size().to_dict()


def _fmt(v: Decimal) -> str:
    return format(v.quantize(CENT), "f")
