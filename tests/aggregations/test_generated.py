"""Generated ``small`` databases (seed 42, 2023-01..2024-12) on SQLite and PostgreSQL (real schema +
generator into_existing): every data element over several months against the plain-Python
oracle, reconciliation, and the generated mess actually present (so the test is not vacuous)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from adx.periods import month_range, yearly
from aggregations import CatalogueConfig
from openimis_db.engine import make_engine

from . import oracle
from .snap import compute_dataset, reconcile

MONTHS = month_range("202311", "202403")  # a year boundary and a leap February
RUNS = [
    ("OI_ENROLMENT", MONTHS),
    ("OI_CLAIMS", MONTHS),
    ("OI_POPULATION", [yearly(2023), yearly(2024)]),
]


def check_all(engine) -> None:
    raw = oracle.read(engine)
    for level in ("ward", "district"):
        cfg = CatalogueConfig(residence_level=level)
        for dataset, periods in RUNS:
            frame = compute_dataset(engine, dataset, periods, cfg)
            expected = oracle.compute(raw, dataset, periods, level=level)
            assert expected, f"{dataset}: the generated data has no values in {periods[0].id}.."
            got = oracle.frame_values(frame)
            assert got == expected, (
                f"{dataset} {level}: {len(set(got.items()) ^ set(expected.items()))} differences"
            )
            assert reconcile(engine, dataset, frame, periods, cfg) == []


SPAN = month_range("202301", "202412")
# Every data-quality issue except DOB_MISSING, which both DDLs rule out (tblInsuree.DOB NOT NULL;
# test_data_quality covers it from a snapshot).
ISSUES = {
    "OI_DQ_INSUREES": ("DOB_FUTURE", "AGE_OVER_110", "SEX_UNKNOWN", "FAMILY_DELETED"),
    "OI_DQ_CLAIMS": (
        "DATE_TO_BEFORE_FROM",
        "CLAIMED_BEFORE_VISIT",
        "APPROVED_OVER_CLAIMED",
        "STATUS_OTHER",
        "INSUREE_DELETED",
        "VALUATED_WITHOUT_LINES",
        "PROCESSED_BEFORE_CLAIMED",
    ),
}


def dq_issues_produced(engine) -> None:
    """Over the generated span, the oracle finds every issue, and we agree with it."""
    raw = oracle.read(engine)
    cfg = CatalogueConfig()
    for dataset, element in (("OI_ENROLMENT", "OI_DQ_INSUREES"), ("OI_CLAIMS", "OI_DQ_CLAIMS")):
        expected = {k: v for k, v in oracle.compute(raw, dataset, SPAN).items() if k[2] == element}
        found = {k[3].split("_ISSUE_")[1] for k in expected}
        assert set(ISSUES[element]) <= found, (
            f"{element}: not produced {set(ISSUES[element]) - found}"
        )
        got = oracle.frame_values(compute_dataset(engine, dataset, SPAN, cfg))
        assert {k: v for k, v in got.items() if k[2] == element} == expected


def mess_present(engine) -> None:
    """The generator's messy rows exist, so the comparison above covers them."""
    queries = {
        "history insurees": 'SELECT COUNT(*) FROM "tblInsuree" WHERE "LegacyID" IS NOT NULL',
        "deleted claims": 'SELECT COUNT(*) FROM "tblClaim" WHERE "ValidityTo" IS NOT NULL AND "LegacyID" IS NULL',
        "NULL gender": 'SELECT COUNT(*) FROM "tblInsuree" WHERE "Gender" IS NULL',
    }
    with engine.connect() as conn:
        found = {name: conn.execute(text(q)).scalar() for name, q in queries.items()}
    assert any(found.values()), found


@pytest.mark.slow
def test_generated_sqlite(small_sqlite_url):
    engine = make_engine(small_sqlite_url)
    try:
        mess_present(engine)
        check_all(engine)
        dq_issues_produced(engine)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_generated_postgresql(generated_pg_url):
    engine = make_engine(generated_pg_url)
    try:
        mess_present(engine)
        check_all(engine)
        dq_issues_produced(engine)
    finally:
        engine.dispose()
