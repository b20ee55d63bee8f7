"""A policy expiring exactly on a period's last day (issue 11.8), through ``compute_dataset``.

INDICATORS.md: covered / active at ``last_day`` means ``EffectiveDate <= last_day < ExpiryDate``,
so a policy whose ExpiryDate is the month's last day does NOT cover that month end, and it counts
as expired in that month. Contrast: a policy expiring the day after (1 March) still covers
29 February. The expected values are written by hand from the rows below.
Residence level ward: V1 -> W1, V3 -> W2.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adx.periods import month_range
from aggregations import CatalogueConfig, compute_dataset, snapshot_reads
from openimis_db import tables as t
from openimis_db.engine import make_engine
from openimis_db.snapshot import read_snapshot

from .rows import Rows, base_geography, create_schema

MONTHS = month_range("202401", "202403")


def build() -> Rows:
    r = Rows()
    base_geography(r)
    r.add(t.tblProduct, ProdID=1, ProductCode="P1", LocationId=None)
    for fid, iid, village, sex in ((1, 1, 4, "M"), (2, 2, 7, "F")):
        r.add(t.tblFamilies, FamilyID=fid, InsureeID=iid, LocationId=village)
        r.add(t.tblInsuree, InsureeID=iid, FamilyID=fid, Gender=sex, DOB=date(1990, 6, 15))
    # PO1 (W1) expires on 2024-02-29, the last day of February; PO2 (W2) the day after.
    for pid, fid, expiry in ((1, 1, date(2024, 2, 29)), (2, 2, date(2024, 3, 1))):
        r.add(
            t.tblPolicy,
            PolicyID=pid,
            FamilyID=fid,
            ProdID=1,
            PolicyStage="N",
            PolicyStatus=2,
            EnrollDate=date(2023, 2, 20),
            StartDate=date(2023, 3, 1),
            EffectiveDate=date(2023, 3, 1),
            ExpiryDate=expiry,
        )
        r.add(
            t.tblInsureePolicy,
            InsureePolicyID=pid,
            InsureeID=pid,
            PolicyId=pid,
            EnrollmentDate=date(2023, 2, 20),
            StartDate=date(2023, 3, 1),
            EffectiveDate=date(2023, 3, 1),
            ExpiryDate=expiry,
        )
    return r


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def enrolment(request, tmp_path_factory):
    dbname = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('expiry') / 'expiry.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        dbname = server.create_database(prefix="agg_expiry")
        url = server.url(dbname)
    engine = make_engine(url)
    try:
        create_schema(engine)
        build().write(engine)
        # What a run does: snapshot the tables the data set needs, then compute from the snapshot.
        config = CatalogueConfig()
        reads = snapshot_reads(["OI_ENROLMENT"], MONTHS, config)
        snapshot = read_snapshot(engine, reads, tmp_path_factory.mktemp("expiry_snapshot"))
        yield compute_dataset(snapshot, "OI_ENROLMENT", MONTHS, config)
    finally:
        engine.dispose()
        if dbname is not None:
            request.getfixturevalue("pg_server").drop_database(dbname)


def total(frame, period: str, de: str, ou: str) -> Decimal:
    rows = frame[(frame.period == period) & (frame.data_element == de) & (frame.org_unit == ou)]
    return sum((Decimal(str(v)) for v in rows["value"]), Decimal(0))


@pytest.mark.parametrize(
    ("period", "ou", "de", "want"),
    [
        # 31 January: both policies cover (positive control).
        ("202401", "W1", "OI_INSUREES_COVERED", 1),
        ("202401", "W1", "OI_POLICIES_ACTIVE", 1),
        # 29 February = PO1's ExpiryDate: last_day < ExpiryDate fails -> not covered, not active.
        ("202402", "W1", "OI_INSUREES_COVERED", 0),
        ("202402", "W1", "OI_POLICIES_ACTIVE", 0),
        # ... and PO1 expired in February (ExpiryDate in the period), not in March.
        ("202402", "W1", "OI_POLICIES_EXPIRED", 1),
        ("202403", "W1", "OI_POLICIES_EXPIRED", 0),
        # PO2 expires 1 March: still covers 29 February, expires in March.
        ("202402", "W2", "OI_INSUREES_COVERED", 1),
        ("202402", "W2", "OI_POLICIES_ACTIVE", 1),
        ("202402", "W2", "OI_POLICIES_EXPIRED", 0),
        ("202403", "W2", "OI_POLICIES_EXPIRED", 1),
        ("202403", "W2", "OI_INSUREES_COVERED", 0),
    ],
)
def test_policy_expiring_on_the_last_day_does_not_cover_it(enrolment, period, ou, de, want):
    assert total(enrolment, period, de, ou) == want
