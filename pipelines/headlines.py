"""Headline indicators for the demo summary, computed from the data set Parquet files.

The same formulas DHIS2 applies to the indicators the metadata bundle creates (INDICATORS.md):
plain sums of data values, then the ratio. Default codes (the demo runs without configuration).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd

from adx.model import decode_options
from pipelines.report.sources import load_values


def _values(root: Path, code: str, periods: Sequence[str]) -> pd.DataFrame:
    """The checked values of ``code`` (the same gate as the export and push steps); periods
    never computed are left out."""
    return load_values(root, {code: periods})


def _sum(
    frame: pd.DataFrame, element: str, option: str | None = None, period: str | None = None
) -> Decimal:
    rows = frame[frame["data_element"] == element]
    if period is not None:
        rows = rows[rows["period"] == period]
    if option is not None:
        rows = rows[
            rows["category_options"].apply(
                lambda text: any(opt == option for _cat, opt in decode_options(text))
            )
        ]
    return sum((Decimal(str(v)) for v in rows["value"]), Decimal(0))


def _ratio(num: Decimal, den: Decimal, factor: int = 1) -> str:
    return "n/a (no denominator)" if not den else f"{num * factor / den:.1f}"


def headline_indicators(root: Path, months: Sequence[str], year: str) -> dict[str, str]:
    """Coverage rate (last month), claim rejection rate, claims per 1,000 covered, settlement days."""
    enrol = _values(root, "OI_ENROLMENT", months)
    claims = _values(root, "OI_CLAIMS", months)
    population = _values(root, "OI_POPULATION", [year])
    last = months[-1]
    covered = _sum(enrol, "OI_INSUREES_COVERED", period=last)
    pop = _sum(population, "OI_POPULATION")
    all_claims = _sum(claims, "OI_CLAIMS")
    rejected = _sum(claims, "OI_CLAIMS", option="CLAIM_STATUS_REJECTED")
    claims_last = _sum(claims, "OI_CLAIMS", period=last)
    processed = _sum(claims, "OI_CLAIMS_PROCESSED")
    return {
        f"insurees covered ({last})": f"{covered:,}",
        f"coverage rate % ({last} / population {year})": _ratio(covered, pop, 100),
        f"claims ({months[0]}..{last})": f"{all_claims:,}",
        "claim rejection rate %": _ratio(rejected, all_claims, 100),
        f"claims per 1,000 covered ({last})": _ratio(claims_last, covered, 1000),
        "settlement promptness (days)": _ratio(_sum(claims, "OI_SETTLEMENT_DAYS"), processed),
    }
