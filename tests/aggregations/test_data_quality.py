"""OI_DQ_INSUREES and OI_DQ_CLAIMS (INDICATORS.md v1.1): one regression case per issue option,
on a hand-made database (SQLite) whose expected counts are worked out by hand below.

Period 2024-02 (last day 2024-02-29); residence level ward (V1 -> W1); facility HF1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import aggregations
from adx.periods import month_range
from aggregations import CatalogueConfig
from openimis_db import tables as t
from openimis_db.engine import make_engine

from .rows import Rows, base_geography, create_schema
from .snap import snapshot_for

FEB = month_range("202402", "202402")
GONE = datetime(2023, 6, 1, tzinfo=UTC)
D = date


def rows() -> Rows:
    r = Rows()
    base_geography(r)
    fam, ins = t.tblFamilies, t.tblInsuree
    r.add(fam, FamilyID=1, InsureeID=1, LocationId=4)  # V1 -> W1
    r.add(fam, FamilyID=2, InsureeID=6, LocationId=5, ValidityTo=GONE)  # deleted, V2 -> W1
    r.add(ins, InsureeID=1, FamilyID=1, Gender="M", DOB=D(1990, 1, 1))  # clean
    r.add(ins, InsureeID=2, FamilyID=1, Gender="F", DOB=D(2024, 3, 1))  # DOB_FUTURE
    # Born 1913-02-29 does not exist; 1913-03-01: 110 on 2024-02-29 (not over), 111 on 2024-03-01.
    r.add(ins, InsureeID=3, FamilyID=1, Gender="F", DOB=D(1913, 3, 1))
    r.add(ins, InsureeID=4, FamilyID=1, Gender="F", DOB=D(1913, 2, 28))  # 111: AGE_OVER_110
    r.add(ins, InsureeID=5, FamilyID=1, Gender=None, DOB=D(2030, 1, 1))  # SEX_UNKNOWN + DOB_FUTURE
    r.add(ins, InsureeID=6, FamilyID=2, Gender="X", DOB=D(1980, 1, 1))  # FAMILY_DELETED only
    r.add(ins, InsureeID=7, FamilyID=1, Gender="X", DOB=D(1980, 1, 1), ValidityTo=GONE)  # deleted
    r.add(t.tblICDCodes, ICDID=1, ICDCode="B50")
    r.add(t.tblItems, ItemID=1, ItemType="D")

    def claim(cid, **kw):
        values = dict(
            ClaimID=cid,
            HFID=1,
            InsureeID=1,
            ICDID=1,
            ClaimStatus=4,
            DateFrom=D(2024, 2, 10),
            DateTo=D(2024, 2, 12),
            DateClaimed=D(2024, 2, 13),
            DateProcessed=None,
            Claimed=Decimal("10"),
            Approved=Decimal("10"),
        )
        values.update(kw)
        r.add(t.tblClaim, **values)

    claim(1)  # clean
    claim(2, DateTo=D(2024, 2, 9))  # DATE_TO_BEFORE_FROM (reference date Feb 9: in February)
    claim(3, DateClaimed=D(2024, 2, 1))  # CLAIMED_BEFORE_VISIT
    claim(4, Approved=Decimal("10.01"))  # APPROVED_OVER_CLAIMED
    claim(5, ClaimStatus=32)  # STATUS_OTHER
    claim(6, InsureeID=7)  # INSUREE_DELETED
    claim(7, ClaimStatus=16, DateProcessed=D(2024, 2, 20))  # VALUATED_WITHOUT_LINES (no line)
    claim(8, ClaimStatus=16, DateProcessed=D(2024, 2, 20))  # its only line is deleted: same
    claim(9, ClaimStatus=16, DateProcessed=D(2024, 2, 20))  # valuated with a current line: clean
    # Processed in February before it was claimed (reference date in January): counted by the
    # processing month, and also a DATE issue-free claim of January (not in February's issues).
    claim(
        10,
        DateFrom=D(2024, 1, 5),
        DateTo=None,
        DateClaimed=D(2024, 2, 25),
        DateProcessed=D(2024, 2, 20),
        ClaimStatus=8,
    )
    claim(11, ClaimStatus=32, ValidityTo=GONE)  # deleted claim: nothing
    ci = t.tblClaimItems
    r.add(ci, ClaimItemID=1, ClaimID=8, ItemID=1, QtyProvided=Decimal(1), ValidityTo=GONE)
    r.add(ci, ClaimItemID=2, ClaimID=9, ItemID=1, QtyProvided=Decimal(1))
    return r


EXPECTED_INSUREES = {
    "INSUREE_ISSUE_DOB_MISSING": 0,
    "INSUREE_ISSUE_DOB_FUTURE": 2,  # insurees 2 and 5
    "INSUREE_ISSUE_AGE_OVER_110": 1,  # insuree 4 (insuree 3 is exactly 110)
    "INSUREE_ISSUE_SEX_UNKNOWN": 1,  # insuree 5 (insuree 6's X counts only as FAMILY_DELETED)
    "INSUREE_ISSUE_FAMILY_DELETED": 1,  # insuree 6
}
EXPECTED_CLAIMS = {
    "CLAIM_ISSUE_DATE_TO_BEFORE_FROM": 1,
    "CLAIM_ISSUE_CLAIMED_BEFORE_VISIT": 1,
    "CLAIM_ISSUE_APPROVED_OVER_CLAIMED": 1,
    "CLAIM_ISSUE_STATUS_OTHER": 1,
    "CLAIM_ISSUE_INSUREE_DELETED": 1,
    "CLAIM_ISSUE_VALUATED_WITHOUT_LINES": 2,
    "CLAIM_ISSUE_PROCESSED_BEFORE_CLAIMED": 1,
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('dq') / 'dq.db'}")
    create_schema(engine)
    rows().write(engine)
    yield engine
    engine.dispose()


def issues(frame, element: str, org_unit: str) -> dict[str, int]:
    sel = frame[(frame.data_element == element) & (frame.org_unit == org_unit)]
    return {co.split("=")[1]: int(v) for co, v in zip(sel.category_options, sel.value, strict=True)}


def test_every_insuree_issue(db):
    cfg = CatalogueConfig()
    snap = snapshot_for(db, ["OI_ENROLMENT"], FEB, cfg)
    frame = aggregations.compute_dataset(snap, "OI_ENROLMENT", FEB, cfg)
    assert issues(frame, "OI_DQ_INSUREES", "W1") == EXPECTED_INSUREES
    assert aggregations.reconcile(snap, "OI_ENROLMENT", frame, FEB, cfg) == []


def test_every_claim_issue(db):
    cfg = CatalogueConfig()
    snap = snapshot_for(db, ["OI_CLAIMS"], FEB, cfg)
    frame = aggregations.compute_dataset(snap, "OI_CLAIMS", FEB, cfg)
    assert issues(frame, "OI_DQ_CLAIMS", "HF1") == EXPECTED_CLAIMS

    def value(de: str) -> int:
        return int(frame[(frame.data_element == de) & (frame.org_unit == "HF1")].value.iloc[0])

    # OI_CLAIMS_PROCESSED = settled + processed before claimed + processed with no DateClaimed.
    assert (value("OI_CLAIMS_PROCESSED"), value("OI_CLAIMS_SETTLED")) == (4, 3)
    assert value("OI_SETTLEMENT_DAYS") == 3 * 7  # claims 7, 8, 9: claimed Feb 13, processed Feb 20
    assert aggregations.reconcile(snap, "OI_CLAIMS", frame, FEB, cfg) == []


def test_dob_missing_from_a_snapshot(db):
    """Both DDLs declare tblInsuree.DOB NOT NULL, so a NULL DOB only reaches us from a database
    that departs from them: set one in the snapshot itself."""
    cfg = CatalogueConfig()
    snap = snapshot_for(db, ["OI_ENROLMENT"], FEB, cfg)
    table = pq.read_table(snap.path("tblInsuree"))
    ids = table.column("InsureeID").to_pylist()
    dob = [None if i == 1 else d for i, d in zip(ids, table.column("DOB").to_pylist(), strict=True)]
    table = table.set_column(table.schema.get_field_index("DOB"), "DOB", pa.array(dob, pa.date32()))
    pq.write_table(table, snap.path("tblInsuree"))
    frame = aggregations.compute_dataset(snap, "OI_ENROLMENT", FEB, cfg)
    got = issues(frame, "OI_DQ_INSUREES", "W1")
    assert got == {**EXPECTED_INSUREES, "INSUREE_ISSUE_DOB_MISSING": 1}
    assert aggregations.reconcile(snap, "OI_ENROLMENT", frame, FEB, cfg) == []
