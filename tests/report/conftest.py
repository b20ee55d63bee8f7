"""A run report rendered from a hand-made values frame (many org units, twelve months)."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from adx.model import FRAME_COLUMNS
from pipelines.report import ReportInput
from pipelines.report.model import PushOutcome, ReconciliationOutcome

MONTHS = tuple(f"2024{m:02d}" for m in range(1, 13))
WARDS = tuple(f"W{i:02d}" for i in range(1, 9))
FACILITIES = tuple(f"HF{i:02d}" for i in range(1, 8))
STATUSES = ("REJECTED", "ENTERED", "CHECKED", "PROCESSED", "VALUATED", "OTHER")


def _rows() -> list[tuple]:
    rnd = random.Random(7)
    rows = []

    def add(ds, pe, ou, de, value, co=""):
        rows.append((ds, pe, ou, de, co, "", str(value)))

    for w in WARDS:
        add("OI_POPULATION", "2024", w, "OI_POPULATION", rnd.randint(2000, 9000), "SEX=SEX_F")
        add("OI_POPULATION", "2024", w, "OI_POPULATION", rnd.randint(2000, 9000), "SEX=SEX_M")
    for pe in MONTHS:
        for w in WARDS:
            add(
                "OI_ENROLMENT",
                pe,
                w,
                "OI_INSUREES_COVERED",
                rnd.randint(100, 3000),
                "SEX=SEX_F;AGE=AGE_0_5",
            )
            add(
                "OI_ENROLMENT",
                pe,
                w,
                "OI_INSUREES_COVERED",
                rnd.randint(100, 3000),
                "SEX=SEX_M;AGE=AGE_0_5",
            )
            for de in ("OI_POLICIES_NEW", "OI_POLICIES_RENEWED", "OI_POLICIES_EXPIRED"):
                add("OI_ENROLMENT", pe, w, de, rnd.randint(0, 40), "PRODUCT=PRODUCT_P1")
            for de in ("OI_CONTRIBUTIONS_COLLECTED", "OI_CONTRIBUTIONS_EARNED"):
                add("OI_ENROLMENT", pe, w, de, f"{rnd.uniform(0, 5000):.2f}", "PRODUCT=PRODUCT_P1")
            for issue in ("DOB_MISSING", "SEX_UNKNOWN"):
                add(
                    "OI_ENROLMENT",
                    pe,
                    w,
                    "OI_DQ_INSUREES",
                    rnd.randint(0, 9),
                    f"DQ_INSUREE_ISSUE={issue}",
                )
        for hf in FACILITIES:
            for status in STATUSES:
                add(
                    "OI_CLAIMS",
                    pe,
                    hf,
                    "OI_CLAIMS",
                    rnd.randint(0, 60),
                    f"CLAIM_STATUS=CLAIM_STATUS_{status};VISIT_TYPE=VISIT_TYPE_O",
                )
            settled = rnd.randint(0, 50)
            add("OI_CLAIMS", pe, hf, "OI_CLAIMS_SETTLED", settled)
            add("OI_CLAIMS", pe, hf, "OI_CLAIMS_PROCESSED", settled + rnd.randint(0, 3))
            add("OI_CLAIMS", pe, hf, "OI_SETTLEMENT_DAYS", settled * rnd.randint(1, 30))
            add("OI_CLAIMS", pe, hf, "OI_REMUNERATED_AMOUNT", f"{rnd.uniform(0, 4000):.2f}")
            add(
                "OI_CLAIMS",
                pe,
                hf,
                "OI_DQ_CLAIMS",
                rnd.randint(0, 4),
                "DQ_CLAIM_ISSUE=INSUREE_DELETED",
            )
    return rows  # fmt: skip


@pytest.fixture(scope="session")
def values() -> pd.DataFrame:
    return pd.DataFrame(_rows(), columns=list(FRAME_COLUMNS), dtype="string")


@pytest.fixture(scope="session")
def report_input(values) -> ReportInput:
    return ReportInput(
        values=values,
        months=MONTHS,
        reconciliation=(
            ReconciliationOutcome("OI_ENROLMENT"),
            ReconciliationOutcome("OI_CLAIMS", ("OI_CLAIMS 202403: data values sum to 9, the undisaggregated total is 10",)),
        ),
        pushes=(
            PushOutcome("OI_ENROLMENT", "OK", imported=120, updated=3, stale_removed=2, completeness_registered=96),
            PushOutcome("OI_CLAIMS", "WARNING", imported=80, ignored=1, conflicts=("Value <script>x</script> is not valid",)),
        ),
        source="sqlite:///demo.db",
    )  # fmt: skip
