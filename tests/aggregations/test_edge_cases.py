"""Hand-computed values on the edge-case database (see scenario.py), on SQLite and PostgreSQL.

Each expected number below was worked out by hand from the scenario rows; the comment says why.
Residence level: ward (V1, V2 -> W1; V3 -> W2).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from adx.periods import month_range
from aggregations import CatalogueConfig

from .snap import compute_dataset

MONTHS = month_range("202401", "202403")


def lookup(frame, period, ou, de, opts=""):
    rows = frame[
        (frame.period == period)
        & (frame.org_unit == ou)
        & (frame.data_element == de)
        & (frame.category_options == opts)
    ]
    assert len(rows) == 1, f"expected one value for {period} {ou} {de} {opts!r}, got {len(rows)}"
    return Decimal(str(rows["value"].iloc[0]))


def total(frame, period, de, ou=None):
    rows = frame[(frame.period == period) & (frame.data_element == de)]
    if ou is not None:
        rows = rows[rows.org_unit == ou]
    return sum((Decimal(str(v)) for v in rows["value"]), Decimal(0))


@pytest.fixture(scope="session")
def enrolment(scenario_engine):
    return compute_dataset(scenario_engine, "OI_ENROLMENT", MONTHS, CatalogueConfig())


@pytest.fixture(scope="session")
def claims(scenario_engine):
    return compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, CatalogueConfig())


REGISTERED = [
    # I1 born 2018-01-31: 6th birthday on the reference date 2024-01-31.
    ("202401", "W1", "SEX=SEX_M;AGE=AGE_6_12", 1),
    # I2 born on a leap day 1948-02-29: 75 on 2024-01-31, exactly 76 on 2024-02-29.
    ("202401", "W1", "SEX=SEX_F;AGE=AGE_56_75", 1),
    ("202402", "W1", "SEX=SEX_F;AGE=AGE_76PLUS", 1),
    # I3: NULL sex and a future DOB; I4: sex code X. Both counted under the catch-alls.
    ("202401", "W1", "SEX=SEX_UNKNOWN;AGE=AGE_UNKNOWN", 1),
    ("202401", "W1", "SEX=SEX_UNKNOWN;AGE=AGE_26_35", 1),
    # I5 born 2005-02-28: 18 on Jan 31, 19 on Feb 29 (band boundary).
    ("202401", "W2", "SEX=SEX_F;AGE=AGE_13_18", 1),
    ("202402", "W2", "SEX=SEX_F;AGE=AGE_19_25", 1),
]


@pytest.mark.parametrize(("period", "ou", "opts", "want"), REGISTERED)
def test_registered(enrolment, period, ou, opts, want):
    assert lookup(enrolment, period, ou, "OI_INSUREES_REGISTERED", opts) == want


def test_registered_totals_skip_history_deleted_and_deleted_families(enrolment):
    # W1: I1, I2, I3, I4, I9 (I7 is a history copy; I8's family is deleted). W2: I5 (I6 deleted).
    assert total(enrolment, "202401", "OI_INSUREES_REGISTERED", "W1") == 5
    assert total(enrolment, "202401", "OI_INSUREES_REGISTERED", "W2") == 1


def test_covered(enrolment):
    # Jan 31: I1 (two overlapping policies, counted once) and I3; I2's member row starts Feb 1;
    # I4's policy is Idle; I9's member row is deleted; PO5 is a history policy.
    assert total(enrolment, "202401", "OI_INSUREES_COVERED") == 2
    assert lookup(enrolment, "202401", "W1", "OI_INSUREES_COVERED", "SEX=SEX_M;AGE=AGE_6_12") == 1
    # Feb 29: + I2 (76 that day) and I5 in W2 (policy status 8 "expired" but dates cover Feb 29).
    assert total(enrolment, "202402", "OI_INSUREES_COVERED") == 4
    assert lookup(enrolment, "202402", "W2", "OI_INSUREES_COVERED", "SEX=SEX_F;AGE=AGE_19_25") == 1
    # Mar 31: I5's cover ended Mar 10; I8 (current insuree of a deleted family in V2) is covered.
    assert total(enrolment, "202403", "OI_INSUREES_COVERED", "W2") == 0
    assert lookup(enrolment, "202403", "W1", "OI_INSUREES_COVERED", "SEX=SEX_M;AGE=AGE_19_25") == 1
    assert total(enrolment, "202403", "OI_INSUREES_COVERED") == 4


def test_new_insurees_aged_at_enrolment(enrolment):
    # PO1 enrolled 2024-01-10: I1 is still 5 then (birthday Jan 31); PO3 (idle) brings I4.
    assert lookup(enrolment, "202401", "W1", "OI_INSUREES_NEW", "SEX=SEX_M;AGE=AGE_0_5") == 1
    assert total(enrolment, "202401", "OI_INSUREES_NEW") == 4
    assert total(enrolment, "202402", "OI_INSUREES_NEW") == 0
    assert total(enrolment, "202403", "OI_INSUREES_NEW") == 1


def test_families_covered(enrolment):
    assert total(enrolment, "202401", "OI_FAMILIES_COVERED") == 1
    assert lookup(enrolment, "202402", "W2", "OI_FAMILIES_COVERED") == 1
    # Mar 31: PO7 is active but its family is deleted.
    assert total(enrolment, "202403", "OI_FAMILIES_COVERED") == 1


POLICIES = [
    ("202401", "W1", "OI_POLICIES_ACTIVE", "PRODUCT=PRODUCT_P1", 2),  # PO1, PO4 (PO8 Idle)
    ("202402", "W2", "OI_POLICIES_ACTIVE", "PRODUCT=PRODUCT_UNKNOWN", 1),  # PO2: deleted product
    ("202403", "W1", "OI_POLICIES_ACTIVE", "PRODUCT=PRODUCT_P1", 2),  # PO1, PO7 (deleted family)
    ("202401", "W1", "OI_POLICIES_ACTIVE_PREV", "PRODUCT=PRODUCT_P1", 1),  # PO4 on 2023-12-31
    ("202403", "W2", "OI_POLICIES_ACTIVE_PREV", "PRODUCT=PRODUCT_UNKNOWN", 1),
    ("202401", "W1", "OI_POLICIES_NEW", "PRODUCT=PRODUCT_P1", 2),  # PO1 and idle PO3
    ("202402", "W2", "OI_POLICIES_RENEWED", "PRODUCT=PRODUCT_UNKNOWN", 1),
    (
        "202402",
        "W2",
        "OI_POLICIES_EXPIRED",
        "PRODUCT=PRODUCT_P1",
        1,
    ),  # PO9: NULL status is not Idle
    ("202403", "W1", "OI_POLICIES_EXPIRED", "PRODUCT=PRODUCT_P1", 1),  # PO4 expires 1 March
    (
        "202401",
        "W1",
        "OI_CONTRIBUTIONS_COLLECTED",
        "PRODUCT=PRODUCT_P1",
        Decimal("130"),
    ),  # 120 + 10, photo fee out
    (
        "202402",
        "W1",
        "OI_CONTRIBUTIONS_COLLECTED",
        "PRODUCT=PRODUCT_P1",
        Decimal("30"),
    ),  # NULL isPhotoFee counts
    # Earned: PO1 150 over 366 days from Jan 15 + PO4 36.60 over 366 days (includes Feb 29).
    (
        "202401",
        "W1",
        "OI_CONTRIBUTIONS_EARNED",
        "PRODUCT=PRODUCT_P1",
        Decimal("10.07"),
    ),  # 3684.6/366
    (
        "202402",
        "W1",
        "OI_CONTRIBUTIONS_EARNED",
        "PRODUCT=PRODUCT_P1",
        Decimal("14.79"),
    ),  # 5411.4/366
    ("202403", "W1", "OI_CONTRIBUTIONS_EARNED", "PRODUCT=PRODUCT_P1", Decimal("12.7")),  # 4650/366
    (
        "202402",
        "W2",
        "OI_CONTRIBUTIONS_EARNED",
        "PRODUCT=PRODUCT_UNKNOWN",
        Decimal("6.9"),
    ),  # 10 x 20/29
    (
        "202403",
        "W2",
        "OI_CONTRIBUTIONS_EARNED",
        "PRODUCT=PRODUCT_UNKNOWN",
        Decimal("3.1"),
    ),  # 10 x 9/29
]


@pytest.mark.parametrize(("period", "ou", "de", "opts", "want"), POLICIES)
def test_policies_and_contributions(enrolment, period, ou, de, opts, want):
    assert lookup(enrolment, period, ou, de, opts) == want


CLAIMS = [
    # C1: DateFrom Jan 31, DateTo Feb 1 -> February under COALESCE(DateTo, DateFrom).
    ("202402", "HF1", "OI_CLAIMS", "CLAIM_STATUS=CLAIM_STATUS_VALUATED;VISIT_TYPE=VISIT_TYPE_E", 1),
    ("202402", "HF1", "OI_CLAIMED_AMOUNT", "CLAIM_STATUS=CLAIM_STATUS_VALUATED", Decimal("100.5")),
    ("202402", "HF1", "OI_APPROVED_AMOUNT", "CLAIM_STATUS=CLAIM_STATUS_VALUATED", Decimal("90.25")),
    (
        "202402",
        "HF1",
        "OI_REMUNERATED_AMOUNT",
        "",
        Decimal("90.25"),
    ),  # 40 + 50.25; rejected/other lines out
    ("202402", "HF1", "OI_ITEMS_QTY", "ITEM_TYPE=ITEM_TYPE_D;LINE_STATUS=LINE_STATUS_PASSED", 2),
    ("202402", "HF1", "OI_ITEMS_QTY", "ITEM_TYPE=ITEM_TYPE_M;LINE_STATUS=LINE_STATUS_REJECTED", 1),
    (
        "202402",
        "HF1",
        "OI_SERVICES_QTY",
        "SERVICE_CATEGORY=SERVICE_CATEGORY_UNKNOWN;LINE_STATUS=LINE_STATUS_OTHER",
        Decimal("1.5"),
    ),
    (
        "202402",
        "HF1",
        "OI_SERVICES_QTY",
        "SERVICE_CATEGORY=SERVICE_CATEGORY_V;LINE_STATUS=LINE_STATUS_PASSED",
        Decimal("0.25"),
    ),
    ("202402", "HF1", "OI_CLAIMS_DIAGNOSIS", "DIAGNOSIS=DIAGNOSIS_MALARIA", 1),  # B51
    ("202402", "HF1", "OI_CLAIMS_DIAGNOSIS", "DIAGNOSIS=DIAGNOSIS_DELIVERY", 1),  # O80.1
    (
        "202402",
        "HF1",
        "OI_CLAIMS_DIAGNOSIS",
        "DIAGNOSIS=DIAGNOSIS_RESPIRATORY",
        1,
    ),  # lower-case j06
    (
        "202402",
        "HF1",
        "OI_CLAIMS",
        "CLAIM_STATUS=CLAIM_STATUS_OTHER;VISIT_TYPE=VISIT_TYPE_O",
        1,
    ),  # status 32
    # I2 (leap-day DOB): 75 on Feb 28 (C3), 76 on Feb 29 (C4).
    ("202402", "HF1", "OI_CLAIMS_PATIENT", "SEX=SEX_F;AGE=AGE_56_75", 1),
    ("202402", "HF1", "OI_CLAIMS_PATIENT", "SEX=SEX_F;AGE=AGE_76PLUS", 1),
    ("202402", "HF1", "OI_CLAIMS_PROCESSED", "", 1),
    ("202402", "HF1", "OI_SETTLEMENT_DAYS", "", 8),  # processed Feb 10, claimed Feb 2
    # C2 at HF2 (a current row with LegacyID = HfID): NULL DateTo, NULL visit type, deleted insuree.
    (
        "202401",
        "HF2",
        "OI_CLAIMS",
        "CLAIM_STATUS=CLAIM_STATUS_REJECTED;VISIT_TYPE=VISIT_TYPE_UNKNOWN",
        1,
    ),
    ("202401", "HF2", "OI_CLAIMS_PATIENT", "SEX=SEX_M;AGE=AGE_36_55", 1),
    (
        "202401",
        "HF2",
        "OI_APPROVED_AMOUNT",
        "CLAIM_STATUS=CLAIM_STATUS_REJECTED",
        0,
    ),  # NULL Approved
    (
        "202401",
        "HF2",
        "OI_CLAIMS_DIAGNOSIS",
        "DIAGNOSIS=DIAGNOSIS_CAESAREAN",
        1,
    ),  # O82: not "delivery"
    # C8: reference date in December 2023, processed Jan 5 after being claimed Jan 2.
    ("202401", "HF1", "OI_CLAIMS_PROCESSED", "", 1),
    ("202401", "HF1", "OI_SETTLEMENT_DAYS", "", 3),
    # C7: processed (Mar 8) before claimed (Mar 10): 0 days, not -2.
    ("202403", "HF1", "OI_SETTLEMENT_DAYS", "", 0),
    ("202403", "HF1", "OI_REMUNERATED_AMOUNT", "", Decimal("12.34")),  # deleted service line out
    (
        "202403",
        "HF1",
        "OI_ITEMS_QTY",
        "ITEM_TYPE=ITEM_TYPE_UNKNOWN;LINE_STATUS=LINE_STATUS_PASSED",
        1,
    ),
]


@pytest.mark.parametrize(("period", "ou", "de", "opts", "want"), CLAIMS)
def test_claims(claims, period, ou, de, opts, want):
    assert lookup(claims, period, ou, de, opts) == want


def test_deleted_and_history_claims_and_their_lines_are_out(claims):
    # C5 (deleted, current line remunerated 99) and C6 (history copy) are never counted.
    assert total(claims, "202401", "OI_CLAIMS", "HF1") == 0
    assert total(claims, "202401", "OI_REMUNERATED_AMOUNT") == 0
    assert total(claims, "202402", "OI_CLAIMS") == 3


@pytest.mark.parametrize(
    ("rule", "period", "want"),
    [
        ("coalesce", "202401", 0),
        ("date_from", "202401", 1),
        ("date_claimed", "202402", 1),
        ("date_processed", "202402", 1),
    ],
)
def test_claim_date_rules(scenario_engine, rule, period, want):
    """Claim C1: DateFrom Jan 31, DateTo Feb 1, claimed Feb 2, processed Feb 10 (valuated, E)."""
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, CatalogueConfig(claim_date=rule))
    opts = "CLAIM_STATUS=CLAIM_STATUS_VALUATED;VISIT_TYPE=VISIT_TYPE_E"
    assert total(frame[frame.category_options == opts], period, "OI_CLAIMS", "HF1") == want
