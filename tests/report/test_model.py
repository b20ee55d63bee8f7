"""The report's figures against plain Python over the same rows (never the renderer's own helpers)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pipelines.report import compute

from .conftest import MONTHS


def _rows(values):
    return [dict(zip(values.columns, r, strict=True)) for r in values.itertuples(index=False)]


def _sum(rows, de, periods=None, ou=None, option=None):
    total = Decimal(0)
    for r in rows:
        if r["data_element"] != de or (periods and r["period"] not in periods):
            continue
        if ou and r["org_unit"] != ou:
            continue
        if option and option not in r["category_options"]:
            continue
        total += Decimal(r["value"])
    return total


def _headline(data, label):
    return next(v for lbl, v, _ in data.headlines if lbl == label)


def test_headline_ratios(report_input, values):
    rows = _rows(values)
    data = compute(report_input)
    claims = _sum(rows, "OI_CLAIMS", MONTHS)
    rejected = _sum(rows, "OI_CLAIMS", MONTHS, option="CLAIM_STATUS=CLAIM_STATUS_REJECTED")
    assert _headline(data, "Claim rejection rate") == f"{float(rejected * 100 / claims):,.1f} %"
    covered = _sum(rows, "OI_INSUREES_COVERED", ["202412"])
    population = _sum(rows, "OI_POPULATION", ["2024"])
    assert _headline(data, "Coverage rate") == f"{float(covered * 100 / population):,.1f} %"
    assert _headline(data, "Insurees covered") == f"{int(covered):,}"
    per_1000 = _sum(rows, "OI_CLAIMS", ["202412"]) * 1000 / covered
    assert _headline(data, "Claims per 1,000 covered") == f"{float(per_1000):,.1f}"
    days = _sum(rows, "OI_SETTLEMENT_DAYS", MONTHS) / _sum(rows, "OI_CLAIMS_SETTLED", MONTHS)
    assert _headline(data, "Settlement promptness") == f"{float(days):,.1f} days"


def test_trend_of_rejection_rate_per_month(report_input, values):
    rows = _rows(values)
    trend = compute(report_input).trends["Claim rejection rate (%)"]["rejection %"]
    for month, got in zip(MONTHS, trend, strict=True):
        num = _sum(rows, "OI_CLAIMS", [month], option="CLAIM_STATUS_REJECTED")
        assert abs(got - float(num * 100 / _sum(rows, "OI_CLAIMS", [month]))) < 1e-9


def test_rankings(report_input, values):
    rows = _rows(values)
    rates = {}
    for hf in {r["org_unit"] for r in rows if r["data_set"] == "OI_CLAIMS"}:
        den = _sum(rows, "OI_CLAIMS", MONTHS, ou=hf)
        rates[hf] = float(_sum(rows, "OI_CLAIMS", MONTHS, ou=hf, option="REJECTED") * 100 / den)
    ranked = sorted(rates, key=lambda hf: (-rates[hf], hf))
    rejection = next(r for r in compute(report_input).rankings if r.name == "Claim rejection rate")
    assert [ou for ou, _ in rejection.top] == ranked[:5]
    assert [ou for ou, _ in rejection.bottom] == ranked[::-1][:5]
    coverage = next(r for r in compute(report_input).rankings if r.name == "Coverage rate")
    best = max({r["org_unit"] for r in rows if r["data_set"] == "OI_ENROLMENT"},
               key=lambda w: _sum(rows, "OI_INSUREES_COVERED", ["202412"], ou=w)
               / _sum(rows, "OI_POPULATION", ["2024"], ou=w))  # fmt: skip
    assert coverage.top[0][0] == best


def test_data_quality_table(report_input, values):
    rows = _rows(values)
    expected = defaultdict(int)
    for r in rows:
        if r["data_element"] == "OI_DQ_INSUREES" and r["period"] == "202412":
            expected[("OI_DQ_INSUREES", r["category_options"].split("=")[1])] += int(r["value"])
        if r["data_element"] == "OI_DQ_CLAIMS":
            expected[("OI_DQ_CLAIMS", r["category_options"].split("=")[1])] += int(r["value"])
    got = {(e, issue): n for e, issue, n, _ in compute(report_input).data_quality}
    assert got == dict(expected)


def test_v1_catalogue_divides_promptness_by_processed_claims(report_input, values):
    import dataclasses

    v1 = values[values["data_element"] != "OI_CLAIMS_SETTLED"].reset_index(drop=True)
    rows = _rows(v1)
    data = compute(dataclasses.replace(report_input, values=v1))
    days = _sum(rows, "OI_SETTLEMENT_DAYS", MONTHS) / _sum(rows, "OI_CLAIMS_PROCESSED", MONTHS)
    assert _headline(data, "Settlement promptness") == f"{float(days):,.1f} days"
