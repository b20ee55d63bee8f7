"""One regression test per "Known defects we must not copy" of INDICATORS.md (scenario.py rows)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from adx.periods import month_range, quarterly
from aggregations import CatalogueConfig, build_catalogue
from openimis_db.engine import make_engine

from .snap import compute_dataset, reconcile
from .test_edge_cases import lookup, total

MONTHS = month_range("202401", "202403")


@pytest.fixture(scope="module")
def enrolment(scenario_engine):
    return compute_dataset(scenario_engine, "OI_ENROLMENT", MONTHS, CatalogueConfig())


@pytest.fixture(scope="module")
def claims(scenario_engine):
    return compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, CatalogueConfig())


def test_validity_is_not_inverted(enrolment):
    """openIMIS's module counts a policy valid only if it expired *before* the period end."""
    # PO2 expired 2024-03-10 (before the end of March): not active at 2024-03-31 ...
    assert lookup(enrolment, "202403", "W2", "OI_POLICIES_ACTIVE", "PRODUCT=PRODUCT_UNKNOWN") == 0
    # ... while PO1 (expires 2025) and PO7 are.
    assert lookup(enrolment, "202403", "W1", "OI_POLICIES_ACTIVE", "PRODUCT=PRODUCT_P1") == 2


def test_remunerated_amount_of_processed_valuated_claims_counts(claims):
    """openIMIS's module sums valuated amounts only for claims that were never processed."""
    # C1 is valuated AND processed (2024-02-10): its passed lines (40 + 50.25) count.
    assert lookup(claims, "202402", "HF1", "OI_REMUNERATED_AMOUNT") == Decimal("90.25")


def test_no_insuree_dropped_for_age_and_zeros_are_sent(enrolment):
    """openIMIS drops insurees without DOB or aged exactly at the last band boundary, and zeros."""
    # I2 is exactly 76 on 2024-02-29 (the open last band) and counted there.
    assert (
        lookup(enrolment, "202402", "W1", "OI_INSUREES_REGISTERED", "SEX=SEX_F;AGE=AGE_76PLUS") == 1
    )
    # I3 has no usable DOB (in the future): AGE_UNKNOWN; the sum over options is every insuree.
    assert (
        lookup(
            enrolment, "202402", "W1", "OI_INSUREES_REGISTERED", "SEX=SEX_UNKNOWN;AGE=AGE_UNKNOWN"
        )
        == 1
    )
    assert total(enrolment, "202402", "OI_INSUREES_REGISTERED", "W1") == 5
    # Zeros are written: every option combination is present for each org unit and period with data.
    catalogue = build_catalogue(CatalogueConfig(), product_codes=["P1"])
    de = catalogue.data_set("OI_ENROLMENT").element("OI_INSUREES_REGISTERED")
    combos = list(itertools.product(*[c.option_codes() for c in de.categories]))
    cell = enrolment[
        (enrolment.period == "202402")
        & (enrolment.org_unit == "W1")
        & (enrolment.data_element == "OI_INSUREES_REGISTERED")
    ]
    assert len(cell) == len(combos) == 4 * 9
    assert (cell["value"] == "0").sum() == len(combos) - 5


def test_settlement_promptness_is_not_integer_division(scenario_engine):
    """Legacy reports divide integers (always 0 or 1): we send days and claims separately."""
    cfg = CatalogueConfig(claims_period_type="Quarterly")
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", [quarterly(2024, 1)], cfg)
    days, settled, n = (
        total(frame, "2024Q1", "OI_SETTLEMENT_DAYS"),
        total(frame, "2024Q1", "OI_CLAIMS_SETTLED"),
        total(frame, "2024Q1", "OI_CLAIMS_PROCESSED"),
    )
    # C8: 3 days, C1: 8 days; C7 was processed before it was claimed: v1.1 keeps it out of both
    # the days and the settled claims (v1 counted it as 0 days inside the denominator).
    assert (days, settled, n) == (11, 2, 3)
    assert total(frame, "2024Q1", "OI_DQ_CLAIMS", None) >= 1
    ind = next(i for i in build_catalogue(cfg).indicators if i.code == "OI_SETTLEMENT_PROMPTNESS")
    assert [o.data_element for o in ind.numerator] == ["OI_SETTLEMENT_DAYS"]
    assert [o.data_element for o in ind.denominator] == ["OI_CLAIMS_SETTLED"]
    assert days / settled != days // settled


def test_multi_product_claim_counted_once(claims):
    """Legacy reports count a claim once per product: C1 has lines of products 1 and 2."""
    assert (
        lookup(
            claims,
            "202402",
            "HF1",
            "OI_CLAIMS",
            "CLAIM_STATUS=CLAIM_STATUS_VALUATED;VISIT_TYPE=VISIT_TYPE_E",
        )
        == 1
    )
    assert total(claims, "202402", "OI_CLAIMS_PATIENT", "HF1") == 3


def test_earned_contributions_run_on_a_fresh_install(openimis_pg_url, enrolment):
    """Legacy P9/D1 call a function defined under the wrong name; ours needs no DB function."""
    engine = make_engine(openimis_pg_url)  # the real schema, as installed, no data
    try:
        frame = compute_dataset(engine, "OI_ENROLMENT", MONTHS, CatalogueConfig())
        assert len(frame) == 0
        assert reconcile(engine, "OI_ENROLMENT", frame, MONTHS, CatalogueConfig()) == []
    finally:
        engine.dispose()
    assert total(enrolment, "202401", "OI_CONTRIBUTIONS_EARNED") == Decimal("10.07")


def test_age_is_not_datediff_year(enrolment):
    """Legacy DW age is DATEDIFF(YEAR, DOB, ref): one year too high before the birthday."""
    # I2 born 1948-02-29: DATEDIFF(YEAR) says 76 on 2024-01-31; the true age is 75.
    assert (
        lookup(enrolment, "202401", "W1", "OI_INSUREES_REGISTERED", "SEX=SEX_F;AGE=AGE_56_75") == 1
    )
    assert (
        lookup(enrolment, "202401", "W1", "OI_INSUREES_REGISTERED", "SEX=SEX_F;AGE=AGE_76PLUS") == 0
    )
