"""Realism and deliberate mess of the small preset (seed 42), measured with plain SQL.

Tolerances are wide enough for 2,000 insurees (binomial noise) and tight enough to catch a broken
generator; the documented rates are in docs/generator.md and synthetic_data's module constants.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.synthetic.helpers import rows, scalar

CURRENT = '"ValidityTo" IS NULL'


@pytest.fixture(scope="module")
def db(small_sqlite_url) -> str:
    return small_sqlite_url


def _age(dob: str, ref: dt.date) -> int:
    d = dt.date.fromisoformat(dob)
    return ref.year - d.year - ((ref.month, ref.day) < (d.month, d.day))


def test_age_pyramid_and_sex_ratio(db):
    people = rows(db, f'SELECT "DOB", "Gender" FROM "tblInsuree" WHERE {CURRENT}')
    ref = dt.date(2023, 1, 1)
    ages = [_age(d, ref) for d, _ in people if d <= "2023-01-01"]
    under15 = sum(a < 15 for a in ages) / len(ages)
    over65 = sum(a >= 65 for a in ages) / len(ages)
    assert 0.33 <= under15 <= 0.55, under15  # low-income pyramid: ~45% children
    assert over65 <= 0.10, over65
    m = sum(g == "M" for _, g in people)
    f = sum(g == "F" for _, g in people)
    assert 0.45 <= m / (m + f) <= 0.56
    sizes = [
        n
        for (n,) in rows(
            db, f'SELECT count(*) FROM "tblInsuree" WHERE {CURRENT} GROUP BY "FamilyID"'
        )
    ]
    assert 3.6 <= sum(sizes) / len(sizes) <= 5.2 and max(sizes) <= 15


def test_each_current_family_has_one_current_head_in_it(db):
    bad = scalar(
        db,
        f"""SELECT count(*) FROM "tblFamilies" f JOIN "tblInsuree" i ON i."InsureeID" = f."InsureeID"
            WHERE f.{CURRENT} AND (i."FamilyID" <> f."FamilyID" OR NOT i."IsHead" OR i."ValidityTo" IS NOT NULL)""",
    )
    assert bad == 0


def test_renewal_rate_near_80_percent(db):
    # policies that ended at least 2 months before the span's end: was a renewal sold for the family?
    pairs = rows(
        db,
        """SELECT p."PolicyID", EXISTS (SELECT 1 FROM "tblPolicy" r WHERE r."FamilyID" = p."FamilyID"
                  AND r."PolicyStage" = 'R' AND r."LegacyID" IS NULL
                  AND r."EnrollDate" BETWEEN date(p."ExpiryDate", '-40 day') AND date(p."ExpiryDate", '+40 day'))
            FROM "tblPolicy" p WHERE p."LegacyID" IS NULL AND p."ExpiryDate" < '2024-10-31'""",
    )
    rate = sum(r for _, r in pairs) / len(pairs)
    assert len(pairs) > 300
    assert 0.72 <= rate <= 0.88, rate


def test_policy_status_consistent_with_dates(db):
    as_of = "2024-12-31"
    bad = scalar(
        db,
        f"""SELECT count(*) FROM "tblPolicy" WHERE "LegacyID" IS NULL AND NOT (
              ("PolicyStatus" = 1 AND "EffectiveDate" IS NULL)
           OR ("PolicyStatus" = 8 AND "ExpiryDate" < '{as_of}')
           OR ("PolicyStatus" IN (2, 4) AND "EffectiveDate" <= '{as_of}' AND "ExpiryDate" >= '{as_of}')
           OR ("PolicyStatus" = 16 AND "EffectiveDate" > '{as_of}'))""",
    )
    assert bad == 0
    stages = dict(rows(db, 'SELECT "PolicyStage", count(*) FROM "tblPolicy" GROUP BY 1'))
    assert set(stages) == {"N", "R"}
    idle = scalar(
        db,
        f'SELECT count(*) FROM "tblPolicy" WHERE {CURRENT} AND "PolicyStatus" = 1 AND "EffectiveDate" IS NULL',
    )
    assert idle > 0
    # insuree-policy rows: one per member, some members enrolled after the policy
    later = scalar(
        db,
        """SELECT count(*) FROM "tblInsureePolicy" ip JOIN "tblPolicy" p ON p."PolicyID" = ip."PolicyId"
           WHERE ip."EnrollmentDate" > p."EnrollDate" """,
    )
    assert later > 0


def test_contributions_partial_and_photo_fees(db):
    assert scalar(db, 'SELECT count(*) FROM "tblPremium" WHERE "isPhotoFee" = 1') > 10
    partial = scalar(
        db,
        """SELECT count(*) FROM "tblPolicy" p WHERE p."PolicyStatus" = 1 AND p."LegacyID" IS NULL AND EXISTS
           (SELECT 1 FROM "tblPremium" x WHERE x."PolicyID" = p."PolicyID")""",
    )
    assert partial > 0
    assert {r[0] for r in rows(db, 'SELECT DISTINCT "PayType" FROM "tblPremium"')} == {
        "C",
        "M",
        "B",
        "F",
    }


def test_claim_statuses_visit_types_and_dates(db):
    statuses = dict(
        rows(db, f'SELECT "ClaimStatus", count(*) FROM "tblClaim" WHERE {CURRENT} GROUP BY 1')
    )
    total = sum(statuses.values())
    assert {1, 2, 4, 8, 16} <= set(statuses)
    unusual = sum(n for s, n in statuses.items() if s not in (1, 2, 4, 8, 16))
    assert 0 < unusual <= 0.01 * total
    visits = {
        v for (v,) in rows(db, f'SELECT DISTINCT "VisitType" FROM "tblClaim" WHERE {CURRENT}')
    }
    assert visits == {"E", "R", "O", None}
    assert scalar(db, f'SELECT count(*) FROM "tblClaim" WHERE {CURRENT} AND "DateTo" IS NULL') > 0
    # valuated claims carry amounts; rejected ones have every current line rejected
    assert (
        scalar(
            db, 'SELECT count(*) FROM "tblClaim" WHERE "ClaimStatus" = 16 AND "Remunerated" IS NULL'
        )
        == 0
    )
    assert (
        scalar(
            db,
            f"""SELECT count(*) FROM "tblClaimItems" ci JOIN "tblClaim" c ON c."ClaimID" = ci."ClaimID"
                WHERE c."ClaimStatus" = 1 AND c.{CURRENT} AND ci."ClaimItemStatus" <> 2""",
        )
        == 0
    )
    rejected_lines = rows(
        db,
        'SELECT DISTINCT "RejectionReason" FROM "tblClaimServices" WHERE "ClaimServiceStatus" = 2',
    )
    assert len(rejected_lines) >= 4
    # the claim's HF is a district-level facility; families live in villages
    assert {
        r[0]
        for r in rows(
            db,
            'SELECT DISTINCT l."LocationType" FROM "tblHF" h JOIN "tblLocations" l ON l."LocationId" = h."LocationId"',
        )
    } == {"D"}
    assert {
        r[0]
        for r in rows(
            db,
            'SELECT DISTINCT l."LocationType" FROM "tblFamilies" f JOIN "tblLocations" l ON l."LocationId" = f."LocationId"',
        )
    } == {"V"}


DIAGNOSIS_GROUPS = {
    "malaria": ("B50", "B54"),
    "antenatal": ("Z34", "Z36"),
    "delivery": ("O80", "O84"),
    "caesarean": ("O82", "O82"),
    "respiratory": ("J00", "J22"),
    "diarrhoea": ("A00", "A09"),
}


def _in_group(code: str, lo: str, hi: str) -> bool:
    head = code[:3]
    return lo <= head <= hi


def test_every_default_diagnosis_group_occurs(db):
    codes = [
        c
        for (c,) in rows(
            db,
            f'SELECT i."ICDCode" FROM "tblClaim" c JOIN "tblICDCodes" i ON i."ICDID" = c."ICDID" WHERE c.{CURRENT}',
        )
    ]
    for name, (lo, hi) in DIAGNOSIS_GROUPS.items():
        assert sum(_in_group(c, lo, hi) for c in codes) > 3, name
    other = [
        c for c in codes if not any(_in_group(c, lo, hi) for lo, hi in DIAGNOSIS_GROUPS.values())
    ]
    assert len(other) > 100
    assert any(not re.fullmatch(r"[A-Z]\d\d(\.\d)?", c) for c in codes)  # unusual codes in use


def test_malaria_season(db):
    by_month = rows(
        db,
        f"""SELECT CAST(strftime('%m', c."DateFrom") AS INTEGER),
                   SUM(CASE WHEN substr(i."ICDCode", 1, 3) BETWEEN 'B50' AND 'B54' THEN 1 ELSE 0 END), count(*)
            FROM "tblClaim" c JOIN "tblICDCodes" i ON i."ICDID" = c."ICDID" WHERE c.{CURRENT} GROUP BY 1""",
    )
    season = sum(m for mo, m, _ in by_month if 6 <= mo <= 10) / sum(
        n for mo, _, n in by_month if 6 <= mo <= 10
    )
    dry = sum(m for mo, m, _ in by_month if mo in (12, 1, 2, 3, 4)) / sum(
        n for mo, _, n in by_month if mo in (12, 1, 2, 3, 4)
    )
    assert season > 2 * dry, (season, dry)


def test_service_categories_and_item_types(db):
    cats = {
        c
        for (c,) in rows(
            db,
            f'SELECT DISTINCT s."ServCategory" FROM "tblClaimServices" cs JOIN "tblServices" s ON s."ServiceID" = cs."ServiceID" WHERE cs.{CURRENT}',
        )
    }
    assert {"S", "D", "A", "H", "C", "O", "V"} <= cats and None in cats and "X" in cats
    types = {
        c
        for (c,) in rows(
            db,
            f'SELECT DISTINCT i."ItemType" FROM "tblClaimItems" ci JOIN "tblItems" i ON i."ItemID" = ci."ItemID" WHERE ci.{CURRENT}',
        )
    }
    assert {"D", "M"} <= types and types - {"D", "M"}
    assert (
        scalar(
            db,
            'SELECT count(*) FROM "tblProduct" WHERE "ProductCode" IS NULL OR "ProductCode" = \'\'',
        )
        == 0
    )


def test_locations_populations_and_codes(db):
    villages = rows(
        db,
        f"""SELECT "MalePopulation", "FemalePopulation", "OtherPopulation", "Families" FROM "tblLocations"
            WHERE "LocationType" = 'V' AND {CURRENT}""",
    )
    with_figures = [v for v in villages if v[0] is not None]
    assert len(with_figures) >= 0.9 * len(villages) and all(v[3] > 0 for v in with_figures)
    codes = [c for (c,) in rows(db, f'SELECT "LocationCode" FROM "tblLocations" WHERE {CURRENT}')]
    assert len(codes) == len(set(codes))
    types = dict(
        rows(db, f'SELECT "LocationType", count(*) FROM "tblLocations" WHERE {CURRENT} GROUP BY 1')
    )
    assert set(types) == {"R", "D", "W", "V"}


def test_dates_of_birth_oddities(db):
    dobs = [d for (d,) in rows(db, f'SELECT "DOB" FROM "tblInsuree" WHERE {CURRENT}')]
    assert any(d[5:] == "02-29" for d in dobs)
    month_ends = [d for d in dobs if (dt.date.fromisoformat(d) + dt.timedelta(days=1)).day == 1]
    assert len(month_ends) / len(dobs) > 0.042  # natural ~3.3% plus 2% forced onto month ends
    assert any(
        d[5:] in ("04-30", "06-30", "09-30", "11-30") for d in dobs
    )  # birthdays on short-month ends


def _rate(db, where: str, table: str = "tblInsuree") -> float:
    return scalar(db, f'SELECT count(*) FROM "{table}" WHERE {where}') / scalar(
        db, f'SELECT count(*) FROM "{table}" WHERE "LegacyID" IS NULL'
    )


def test_mess_present_at_documented_rates(db):
    # history copies and deleted rows
    assert 0.01 <= _rate(db, '"LegacyID" IS NOT NULL') <= 0.035  # 2%
    assert 0.001 <= _rate(db, '"ValidityTo" IS NOT NULL AND "LegacyID" IS NULL') <= 0.012  # 0.5%
    assert 0.015 <= _rate(db, '"LegacyID" IS NOT NULL', "tblClaim") <= 0.045  # 3% of claims
    assert (
        0.004 <= _rate(db, '"ValidityTo" IS NOT NULL AND "LegacyID" IS NULL', "tblClaim") <= 0.02
    )  # 1%
    # NULL gender ~1%
    assert 0.003 <= _rate(db, '"Gender" IS NULL AND "LegacyID" IS NULL') <= 0.02
    # claims pointing at deleted insurees; current lines under deleted claims
    assert (
        scalar(
            db,
            f'SELECT count(*) FROM "tblClaim" c JOIN "tblInsuree" i ON i."InsureeID" = c."InsureeID" WHERE c.{CURRENT} AND i."ValidityTo" IS NOT NULL',
        )
        > 0
    )
    assert (
        scalar(
            db,
            f'SELECT count(*) FROM "tblClaimItems" ci JOIN "tblClaim" c ON c."ClaimID" = ci."ClaimID" WHERE ci.{CURRENT} AND c."ValidityTo" IS NOT NULL',
        )
        > 0
    )
    # accented (~10%) and non-Latin (~2%) family names
    names = [
        n
        for (n,) in rows(
            db,
            f'SELECT "LastName" FROM "tblFamilies" f JOIN "tblInsuree" i ON i."InsureeID" = f."InsureeID" WHERE f.{CURRENT}',
        )
    ]
    non_ascii = sum(any(ord(ch) > 127 for ch in n) for n in names) / len(names)
    non_latin = sum(any(ord(ch) > 0x24F for ch in n) for n in names) / len(names)
    assert 0.06 <= non_ascii <= 0.2 and 0.003 <= non_latin <= 0.05
    # the HF quirk: current rows with LegacyID = own id
    assert scalar(db, f'SELECT count(*) FROM "tblHF" WHERE {CURRENT} AND "LegacyID" = "HfID"') > 0
