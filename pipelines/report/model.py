"""What the run report shows, computed from the data values frame (adx FRAME_COLUMNS). Pure.

Ratios follow the DHIS2 indicators of INDICATORS.md: sums of data values, then the ratio, so the
report agrees with what a DHIS2 dashboard shows for the same org unit and period. Coverage of a
month uses the population of its year (the latest earlier year when that one is missing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

DQ_ELEMENTS = ("OI_DQ_INSUREES", "OI_DQ_CLAIMS")
RANK_SIZE = 5


@dataclass(frozen=True)
class ReconciliationOutcome:
    data_set: str
    problems: tuple[str, ...] = ()
    ran: bool = True  # False: no reconciliation result was found for this data set

    @property
    def passed(self) -> bool:
        return self.ran and not self.problems


@dataclass(frozen=True)
class PushOutcome:
    """What DHIS2 answered to one data set's push (the push asset's metadata)."""

    data_set: str
    status: str
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: tuple[str, ...] = ()
    stale_removed: int = 0
    dry_run: bool = False
    completeness_registered: int | None = None  # None: the push did not report registrations


@dataclass
class ReportInput:
    values: (
        pd.DataFrame
    )  # FRAME_COLUMNS, every data set, every period of the run (+ population years)
    months: tuple[str, ...]  # the monthly periods reported, ascending
    reconciliation: tuple[ReconciliationOutcome, ...] = ()
    pushes: tuple[PushOutcome, ...] = ()
    title: str = "openIMIS → DHIS2 run report"
    source: str = ""
    generated_at: str = ""
    code: Callable[[str], str] = field(default=lambda c: c)  # default code -> configured code


@dataclass(frozen=True)
class Ranking:
    name: str
    unit: str
    top: tuple[tuple[str, float], ...]
    bottom: tuple[tuple[str, float], ...]
    excluded: int  # org units without a denominator


@dataclass(frozen=True)
class ReportData:
    headlines: tuple[tuple[str, str, str], ...]  # (label, value, note)
    trends: dict[str, dict[str, list[float | None]]]  # chart -> series -> value per month
    rankings: tuple[Ranking, ...]
    data_quality: tuple[tuple[str, str, int, str], ...]  # (element, issue, count, worst org units)
    data_quality_present: bool
    org_units: int


class _Values:
    """Exact sums over the frame by element, option, period and org unit."""

    def __init__(self, frame: pd.DataFrame, code: Callable[[str], str]):
        self.code = code
        f = frame.loc[:, ["period", "org_unit", "data_element", "category_options", "value"]].copy()
        f["category_options"] = f["category_options"].fillna("").astype(str)
        f["amount"] = [Decimal(str(v)) for v in f["value"]]
        self.frame = f

    def rows(self, element: str, option: str | None = None) -> pd.DataFrame:
        f = self.frame[self.frame["data_element"] == self.code(element)]
        if option is not None:
            wanted = self.code(option)
            f = f[
                f["category_options"].map(
                    lambda s: wanted in (p.partition("=")[2] for p in s.split(";"))
                )
            ]
        return f

    def has(self, element: str) -> bool:
        return bool((self.frame["data_element"] == self.code(element)).any())

    def total(self, element: str, periods: Sequence[str], option: str | None = None) -> Decimal:
        f = self.rows(element, option)
        return sum(f[f["period"].isin(list(periods))]["amount"], Decimal(0))

    def by(
        self, column: str, element: str, periods: Sequence[str], option: str | None = None
    ) -> dict[str, Decimal]:
        f = self.rows(element, option)
        f = f[f["period"].isin(list(periods))]
        return {k: sum(g["amount"], Decimal(0)) for k, g in f.groupby(column)}

    def population(self, month: str) -> Decimal:
        pop = self.rows("OI_POPULATION")
        years = sorted(p for p in pop["period"].unique() if p <= month[:4])
        return self.total("OI_POPULATION", [years[-1]]) if years else Decimal(0)

    def population_by_ou(self, month: str) -> dict[str, Decimal]:
        pop = self.rows("OI_POPULATION")
        years = sorted(p for p in pop["period"].unique() if p <= month[:4])
        return self.by("org_unit", "OI_POPULATION", [years[-1]]) if years else {}


def ratio(num: Decimal, den: Decimal, factor: int = 1) -> float | None:
    return None if not den else float(num * factor / den)


def settled_element(values: _Values) -> str:
    """v1.1 divides promptness by settled claims; a v1 catalogue only has processed claims."""
    return "OI_CLAIMS_SETTLED" if values.has("OI_CLAIMS_SETTLED") else "OI_CLAIMS_PROCESSED"


def _fmt(value: float | Decimal | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    if digits == 0:
        return f"{int(round(value)):,}{suffix}"
    return f"{float(value):,.{digits}f}{suffix}"


def compute(report: ReportInput) -> ReportData:
    v = _Values(report.values, report.code)
    months = list(report.months)
    last = months[-1]
    settled = settled_element(v)
    covered = v.total("OI_INSUREES_COVERED", [last])
    claims = v.total("OI_CLAIMS", months)
    rejected = v.total("OI_CLAIMS", months, "CLAIM_STATUS_REJECTED")
    span = f"{months[0]}–{last}" if len(months) > 1 else last
    headlines = (
        ("Insurees covered", _fmt(covered, 0), last),
        ("Coverage rate", _fmt(ratio(covered, v.population(last), 100), 1, " %"), last),
        ("New policies", _fmt(v.total("OI_POLICIES_NEW", months), 0), span),
        ("Contributions collected", _fmt(v.total("OI_CONTRIBUTIONS_COLLECTED", months), 0), span),
        ("Claims", _fmt(claims, 0), span),
        ("Claim rejection rate", _fmt(ratio(rejected, claims, 100), 1, " %"), span),
        ("Claims per 1,000 covered", _fmt(ratio(v.total("OI_CLAIMS", [last]), covered, 1000), 1), last),
        ("Incurred claims ratio", _fmt(ratio(v.total("OI_REMUNERATED_AMOUNT", months),
                                             v.total("OI_CONTRIBUTIONS_EARNED", months)), 2), span),
        ("Settlement promptness", _fmt(ratio(v.total("OI_SETTLEMENT_DAYS", months),
                                             v.total(settled, months)), 1, " days"), span),
    )  # fmt: skip
    return ReportData(
        headlines=headlines,
        trends=_trends(v, months, settled),
        rankings=_rankings(v, months, settled),
        data_quality=_data_quality(v, months),
        data_quality_present=any(v.has(e) for e in DQ_ELEMENTS),
        org_units=int(report.values["org_unit"].nunique()) if len(report.values) else 0,
    )


def _trends(
    v: _Values, months: list[str], settled: str
) -> dict[str, dict[str, list[float | None]]]:
    def series(element: str, option: str | None = None) -> list[float | None]:
        return [float(v.total(element, [m], option)) for m in months]

    def rate(
        num: Callable[[str], Decimal], den: Callable[[str], Decimal], factor: int = 1
    ) -> list[float | None]:
        return [ratio(num(m), den(m), factor) for m in months]

    statuses = ("REJECTED", "ENTERED", "CHECKED", "PROCESSED", "VALUATED", "OTHER")
    return {
        "Insurees covered": {"covered": series("OI_INSUREES_COVERED")},
        "Coverage rate (%)": {"coverage %": rate(lambda m: v.total("OI_INSUREES_COVERED", [m]), v.population, 100)},
        "Policies": {"new": series("OI_POLICIES_NEW"), "renewed": series("OI_POLICIES_RENEWED"),
                     "expired": series("OI_POLICIES_EXPIRED")},
        "Contributions": {"collected": series("OI_CONTRIBUTIONS_COLLECTED"),
                          "earned": series("OI_CONTRIBUTIONS_EARNED")},
        "Claims by status": {s.lower(): series("OI_CLAIMS", f"CLAIM_STATUS_{s}") for s in statuses},
        "Claim rejection rate (%)": {"rejection %": rate(
            lambda m: v.total("OI_CLAIMS", [m], "CLAIM_STATUS_REJECTED"), lambda m: v.total("OI_CLAIMS", [m]), 100)},
        "Settlement promptness (days)": {"days": rate(
            lambda m: v.total("OI_SETTLEMENT_DAYS", [m]), lambda m: v.total(settled, [m]))},
    }  # fmt: skip


def _rank(
    name: str, unit: str, num: dict[str, Decimal], den: dict[str, Decimal], factor: int
) -> Ranking:
    rates = {ou: float(num.get(ou, Decimal(0)) * factor / d) for ou, d in den.items() if d}
    ordered = sorted(rates.items(), key=lambda kv: (-kv[1], kv[0]))
    excluded = len(set(num) - set(rates))
    return Ranking(
        name, unit, tuple(ordered[:RANK_SIZE]), tuple(reversed(ordered[-RANK_SIZE:])), excluded
    )


def _rankings(v: _Values, months: list[str], settled: str) -> tuple[Ranking, ...]:
    last = months[-1]
    return (
        _rank("Coverage rate", "%", v.by("org_unit", "OI_INSUREES_COVERED", [last]), v.population_by_ou(last), 100),
        _rank("Claim rejection rate", "%", v.by("org_unit", "OI_CLAIMS", months, "CLAIM_STATUS_REJECTED"),
              v.by("org_unit", "OI_CLAIMS", months), 100),
        _rank("Settlement promptness", "days", v.by("org_unit", "OI_SETTLEMENT_DAYS", months),
              v.by("org_unit", settled, months), 1),
    )  # fmt: skip


def _data_quality(v: _Values, months: list[str]) -> tuple[tuple[str, str, int, str], ...]:
    """Per element and issue: the count (last month for the insuree stock, the range for claims)."""
    out = []
    for element, periods in (("OI_DQ_INSUREES", [months[-1]]), ("OI_DQ_CLAIMS", months)):
        rows = v.rows(element)
        rows = rows[rows["period"].isin(periods)]
        for options, group in rows.groupby("category_options"):
            issue = options.partition("=")[2] or "(total)"
            count = int(sum(group["amount"], Decimal(0)))
            per_ou = group.groupby("org_unit")["amount"].apply(lambda s: sum(s, Decimal(0)))
            worst = [
                f"{ou} ({int(n)})"
                for ou, n in sorted(per_ou.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
                if n
            ]
            out.append((v.code(element), issue, count, ", ".join(worst)))
    return tuple(out)
