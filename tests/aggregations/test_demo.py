"""The real openIMIS demo database (PostgreSQL): values checked against plain SQL written here,
and every data element against the plain-Python oracle.

The demo's member (insuree-policy) dates disagree with its policy dates (members covered
2018-03-20..2019-03-19 on policies effective 2019-08-20..2020-08-19): insuree coverage follows
the member rows, policy counts follow the policy rows, exactly as INDICATORS.md defines them.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import text

from adx.periods import month_range, yearly
from aggregations import CatalogueConfig
from openimis_db.engine import make_engine

from . import oracle
from .snap import compute_dataset, reconcile

STATUS = {1: "REJECTED", 2: "ENTERED", 4: "CHECKED", 8: "PROCESSED", 16: "VALUATED"}
WARD_CHAIN = """
    JOIN "tblFamilies" f ON f."FamilyID" = {fam}
    JOIN "tblLocations" v ON v."LocationId" = f."LocationId"
    JOIN "tblLocations" w ON w."LocationId" = v."ParentLocationId"
"""


@pytest.fixture(scope="module")
def demo(pg_server, openimis_demo_template):
    name = pg_server.create_database(template=openimis_demo_template, prefix="agg_demo")
    engine = make_engine(pg_server.url(name))
    yield engine
    engine.dispose()
    pg_server.drop_database(name)


def sql(engine, query: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def sums(frame, de, key_of) -> Counter:
    out: Counter = Counter()
    for pe, ou, d, co, val in zip(
        frame.period,
        frame.org_unit,
        frame.data_element,
        frame.category_options,
        frame.value,
        strict=True,
    ):
        if d == de and Decimal(val) != 0:
            out[key_of(pe, ou, co)] += Decimal(val)
    return out


def opt(co: str, category: str) -> str:
    return dict(p.split("=") for p in co.split(";"))[category]


def test_claims_january_2019(demo):
    frame = compute_dataset(demo, "OI_CLAIMS", month_range("201901", "201901"), CatalogueConfig())
    rows = sql(
        demo,
        """
        SELECT hf."HFCode", c."ClaimStatus", COUNT(*), SUM(COALESCE(c."Claimed", 0)), SUM(COALESCE(c."Approved", 0))
        FROM "tblClaim" c JOIN "tblHF" hf ON hf."HfID" = c."HFID"
        WHERE c."ValidityTo" IS NULL
          AND COALESCE(c."DateTo", c."DateFrom") >= DATE '2019-01-01'
          AND COALESCE(c."DateTo", c."DateFrom") < DATE '2019-02-01'
        GROUP BY hf."HFCode", c."ClaimStatus"
    """,
    )
    assert len(rows) >= 3  # the month really has claims at several facilities / statuses
    key = lambda pe, ou, co: (ou, opt(co, "CLAIM_STATUS"))  # noqa: E731
    want_n = Counter({(hf, f"CLAIM_STATUS_{STATUS[s]}"): Decimal(n) for hf, s, n, _, _ in rows})
    want_claimed = Counter(
        {(hf, f"CLAIM_STATUS_{STATUS[s]}"): Decimal(c) for hf, s, _, c, _ in rows if c}
    )
    want_approved = Counter(
        {(hf, f"CLAIM_STATUS_{STATUS[s]}"): Decimal(a) for hf, s, _, _, a in rows if a}
    )
    assert sums(frame, "OI_CLAIMS", key) == want_n
    assert sums(frame, "OI_CLAIMED_AMOUNT", key) == want_claimed
    assert sums(frame, "OI_APPROVED_AMOUNT", key) == want_approved
    remunerated = sql(
        demo,
        """
        SELECT hf."HFCode", SUM(l."RemuneratedAmount") FROM (
            SELECT "ClaimID", "RemuneratedAmount" FROM "tblClaimItems"
             WHERE "ValidityTo" IS NULL AND "ClaimItemStatus" = 1
            UNION ALL
            SELECT "ClaimID", "RemuneratedAmount" FROM "tblClaimServices"
             WHERE "ValidityTo" IS NULL AND "ClaimServiceStatus" = 1) l
        JOIN "tblClaim" c ON c."ClaimID" = l."ClaimID" JOIN "tblHF" hf ON hf."HfID" = c."HFID"
        WHERE c."ValidityTo" IS NULL AND c."ClaimStatus" = 16
          AND COALESCE(c."DateTo", c."DateFrom") >= DATE '2019-01-01'
          AND COALESCE(c."DateTo", c."DateFrom") < DATE '2019-02-01'
        GROUP BY hf."HFCode" HAVING SUM(l."RemuneratedAmount") <> 0
    """,
    )
    assert sums(frame, "OI_REMUNERATED_AMOUNT", lambda pe, ou, co: ou) == Counter(
        {hf: Decimal(v) for hf, v in remunerated}
    )


def test_new_policies_and_contributions_august_2019(demo):
    frame = compute_dataset(
        demo, "OI_ENROLMENT", month_range("201908", "201908"), CatalogueConfig()
    )
    new = sql(
        demo,
        f"""
        SELECT w."LocationCode", pr."ProductCode", COUNT(*)
        FROM "tblPolicy" p {WARD_CHAIN.format(fam='p."FamilyID"')}
        LEFT JOIN "tblProduct" pr ON pr."ProdID" = p."ProdID" AND pr."ValidityTo" IS NULL
        WHERE p."ValidityTo" IS NULL AND p."PolicyStage" = 'N'
          AND p."EnrollDate" >= DATE '2019-08-01' AND p."EnrollDate" < DATE '2019-09-01'
        GROUP BY 1, 2
    """,
    )
    assert sum(n for *_, n in new) == 17
    key = lambda pe, ou, co: (ou, opt(co, "PRODUCT"))  # noqa: E731
    assert sums(frame, "OI_POLICIES_NEW", key) == Counter(
        {(w, f"PRODUCT_{p}" if p else "PRODUCT_UNKNOWN"): Decimal(n) for w, p, n in new}
    )
    paid = sql(
        demo,
        f"""
        SELECT w."LocationCode", pr."ProductCode", SUM(pm."Amount")
        FROM "tblPremium" pm JOIN "tblPolicy" p ON p."PolicyID" = pm."PolicyID"
        {WARD_CHAIN.format(fam='p."FamilyID"')}
        LEFT JOIN "tblProduct" pr ON pr."ProdID" = p."ProdID" AND pr."ValidityTo" IS NULL
        WHERE pm."ValidityTo" IS NULL AND p."ValidityTo" IS NULL AND pm."isPhotoFee" IS NOT TRUE
          AND pm."PayDate" >= DATE '2019-08-01' AND pm."PayDate" < DATE '2019-09-01'
        GROUP BY 1, 2
    """,
    )
    assert sum(v for *_, v in paid) == Decimal("170000")
    assert sums(frame, "OI_CONTRIBUTIONS_COLLECTED", key) == Counter(
        {(w, f"PRODUCT_{p}" if p else "PRODUCT_UNKNOWN"): Decimal(v) for w, p, v in paid}
    )


def test_coverage_at_month_ends_2018_2019(demo):
    months = month_range("201801", "201912")
    frame = compute_dataset(demo, "OI_ENROLMENT", months, CatalogueConfig())
    covered = sql(
        demo,
        f"""
        SELECT to_char(m, 'YYYYMM'), w."LocationCode", COUNT(DISTINCT i."InsureeID")
        FROM generate_series(DATE '2018-01-01', DATE '2019-12-01', INTERVAL '1 month') m
        JOIN "tblInsureePolicy" ip
          ON ip."EffectiveDate" <= (m + INTERVAL '1 month' - INTERVAL '1 day')::date
         AND ip."ExpiryDate" > (m + INTERVAL '1 month' - INTERVAL '1 day')::date
        JOIN "tblPolicy" p ON p."PolicyID" = ip."PolicyId"
        JOIN "tblInsuree" i ON i."InsureeID" = ip."InsureeID"
        {WARD_CHAIN.format(fam='i."FamilyID"')}
        WHERE ip."ValidityTo" IS NULL AND p."ValidityTo" IS NULL AND i."ValidityTo" IS NULL
          AND p."PolicyStatus" IS DISTINCT FROM 1
        GROUP BY 1, 2
    """,
    )
    active = sql(
        demo,
        f"""
        SELECT to_char(m, 'YYYYMM'), w."LocationCode", COUNT(*)
        FROM generate_series(DATE '2018-01-01', DATE '2019-12-01', INTERVAL '1 month') m
        JOIN "tblPolicy" p
          ON p."EffectiveDate" <= (m + INTERVAL '1 month' - INTERVAL '1 day')::date
         AND p."ExpiryDate" > (m + INTERVAL '1 month' - INTERVAL '1 day')::date
        {WARD_CHAIN.format(fam='p."FamilyID"')}
        WHERE p."ValidityTo" IS NULL AND p."PolicyStatus" IS DISTINCT FROM 1
        GROUP BY 1, 2
    """,
    )
    # Members are covered in 2018 (their own dates), policies are active from 2019-08 (theirs).
    assert {pe[:4] for pe, _, _ in covered} == {"2018", "2019"}
    assert min(pe for pe, _, _ in active) >= "201808"
    key = lambda pe, ou, co: (pe, ou)  # noqa: E731
    assert sums(frame, "OI_INSUREES_COVERED", key) == Counter(
        {(pe, w): Decimal(n) for pe, w, n in covered}
    )
    assert sums(frame, "OI_POLICIES_ACTIVE", key) == Counter(
        {(pe, w): Decimal(n) for pe, w, n in active}
    )


@pytest.mark.parametrize(
    ("dataset", "periods"),
    [
        ("OI_ENROLMENT", month_range("201801", "201912")),
        ("OI_CLAIMS", month_range("201801", "201912")),
        ("OI_POPULATION", [yearly(2018), yearly(2019)]),
    ],
)
def test_every_element_matches_oracle_and_reconciles(demo, dataset, periods):
    cfg = CatalogueConfig()
    frame = compute_dataset(demo, dataset, periods, cfg)
    expected = oracle.compute(oracle.read(demo), dataset, periods)
    if dataset != "OI_POPULATION":  # the demo has no population figures
        assert expected
    assert oracle.frame_values(frame) == expected
    assert reconcile(demo, dataset, frame, periods, cfg) == []
