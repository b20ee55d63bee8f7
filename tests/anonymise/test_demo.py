"""The real openIMIS demo database, anonymised into an empty real openIMIS schema on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import psycopg2

from openimis_db import tables as t

from .helpers import (
    fk_violations,
    leaks,
    real_schema_fk_violations,
    source_identifiers,
    table_rows,
)


def test_no_identifying_value_of_the_source_appears_in_the_target(demo_source_url, demo_pg_copy):
    url, _, baseline = demo_pg_copy
    found = source_identifiers(demo_source_url)
    # the oracle itself must have found something to look for, or the test proves nothing
    assert (
        len(found["name"]) > 50 and len(found["chfid"]) > 50 and found["phone"] and found["email"]
    )
    assert found["claim_code"] and found["address"]
    assert leaks(demo_source_url, url, baseline) == {}
    assert len(baseline) < 2000  # only base data was excluded


def test_every_key_history_and_deleted_row_is_kept(demo_source_url, demo_pg_copy):
    url, report, _ = demo_pg_copy
    for name in t.MODELED_TABLES:
        src, tgt = table_rows(demo_source_url, name), table_rows(url, name)
        pk = next(iter(t.metadata.tables[name].primary_key.columns)).name
        assert list(src[pk]) == list(tgt[pk]), name
        assert report.tables[name].rows == len(src), name
        if "ValidityTo" in src.columns:
            assert src["ValidityTo"].isna().sum() == tgt["ValidityTo"].isna().sum(), name
        legacy = "LegacyID" if "LegacyID" in src.columns else "LegacyId"
        if legacy in src.columns:
            assert list(src[legacy].fillna(-1)) == list(tgt[legacy].fillna(-1)), name


def test_referential_integrity_holds_in_the_target(demo_pg_copy):
    url, _, _ = demo_pg_copy
    assert fk_violations(url) == []
    # the real schema's own foreign keys (deferred, checked by PostgreSQL at commit) are all in place
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT convalidated) FROM pg_constraint WHERE contype = 'f'"
            )
            total, invalid = cur.fetchone()
    finally:
        conn.close()
    assert total > 50 and invalid == 0
    checked, dangling = real_schema_fk_violations(url)
    assert checked > 50 and dangling == []


def test_values_that_carry_no_identity_are_unchanged(demo_source_url, demo_pg_copy):
    url, _, _ = demo_pg_copy
    keep = {
        "tblClaim": [
            "ClaimStatus",
            "Claimed",
            "Approved",
            "DateFrom",
            "DateTo",
            "DateProcessed",
            "HFID",
            "InsureeID",
            "ICDID",
            "VisitType",
        ],
        "tblPolicy": [
            "FamilyID",
            "ProdID",
            "EnrollDate",
            "EffectiveDate",
            "ExpiryDate",
            "PolicyStatus",
            "PolicyStage",
        ],
        "tblInsuree": ["FamilyID", "Gender", "IsHead", "Marital"],
        "tblPremium": ["Amount", "PayDate", "isPhotoFee", "PolicyID"],
        "tblLocations": ["LocationCode", "LocationName", "ParentLocationId", "MalePopulation"],
    }
    for name, cols in keep.items():
        src, tgt = table_rows(demo_source_url, name), table_rows(url, name)
        assert src[cols].astype(str).equals(tgt[cols].astype(str)), name


def test_replacements_are_consistent_and_keep_uniqueness(demo_source_url, demo_pg_copy):
    url, _, _ = demo_pg_copy
    src, tgt = table_rows(demo_source_url, "tblInsuree"), table_rows(url, "tblInsuree")
    pairs = src[["CHFID", "LastName", "InsureeUUID"]].join(
        tgt[["CHFID", "LastName", "InsureeUUID"]], suffixes=("", "_t")
    )
    # same source value -> same fake value (history rows and family members agree) ...
    assert (pairs.groupby("CHFID")["CHFID_t"].nunique() == 1).all()
    assert (pairs.groupby("LastName")["LastName_t"].nunique() == 1).all()
    # ... and distinct insurance numbers / UUIDs stay distinct (unique preserved)
    assert (pairs.groupby("CHFID_t")["CHFID"].nunique() == 1).all()
    assert tgt["InsureeUUID"].is_unique and not set(tgt["InsureeUUID"]) & set(src["InsureeUUID"])
    # same shape: every digit stays a digit
    for a, b in zip(pairs["CHFID"], pairs["CHFID_t"], strict=True):
        assert len(a) == len(b) and [c.isdigit() for c in a] == [c.isdigit() for c in b]
    claims_s, claims_t = table_rows(demo_source_url, "tblClaim"), table_rows(url, "tblClaim")
    assert claims_s["ClaimCode"].nunique() == claims_t["ClaimCode"].nunique()
    # free text and photos are gone
    assert tgt["PhotoID"].isna().all() and tgt["GeoLocation"].isna().all()
    assert claims_t["Explanation"].isna().all() and claims_t["Adjustment"].isna().all()


def test_dates_of_birth_stay_in_their_month_and_keep_every_month_end_age(
    demo_source_url, demo_pg_copy
):
    url, _, _ = demo_pg_copy
    src, tgt = table_rows(demo_source_url, "tblInsuree"), table_rows(url, "tblInsuree")
    moved = 0
    month_ends = [
        dt.date(y, m + 1, 1) - dt.timedelta(days=1) for y in range(1990, 2026) for m in range(1, 12)
    ]
    for a, b in zip(src["DOB"], tgt["DOB"], strict=True):
        assert (a.year, a.month) == (b.year, b.month) and 1 <= b.day <= 28
        moved += a != b
        for ref in month_ends:
            assert (ref.year - a.year - ((ref.month, ref.day) < (a.month, a.day))) == (
                ref.year - b.year - ((ref.month, ref.day) < (b.month, b.day))
            )
    assert moved > len(src) // 2  # the jitter really moves most dates


def test_report_counts_and_k_anonymity_figures(demo_source_url, demo_pg_copy):
    url, report, _ = demo_pg_copy
    assert report.target_mode == "into_existing" and report.shift_months == 0
    ins = report.tables["tblInsuree"]
    assert (
        ins.replaced["CHFID"] == "identifier" and "PhotoID" in ins.dropped and "Gender" in ins.kept
    )
    k = report.k_anonymity
    # independent count of current insurees (the k-anonymity population)
    current = table_rows(url, "tblInsuree")["ValidityTo"].isna().sum()
    assert k.insurees == current == 60
    assert 0 < k.cells_below_k <= k.cells and k.insurees_in_cells_below_k <= k.insurees
    doc = report.to_dict()
    assert doc["tables"]["tblClaim"]["rows"] == 24 and "k-anonymity" in report.summary()
