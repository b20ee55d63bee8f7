"""A hand-made database full of edge cases (2024-01..2024-03; 2024 is a leap year).

Every row says in a comment which rule it exercises. Expected values in the tests are worked out
by hand from these rows (and by the plain-Python oracle).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from openimis_db import tables as t

from .rows import Rows, base_geography

GONE = datetime(2023, 6, 1, tzinfo=UTC)  # ValidityTo of deleted / history rows


def build() -> Rows:
    r = Rows()
    base_geography(r)
    loc = t.tblLocations
    r.add(
        loc,
        LocationId=8,
        LocationCode="V9",
        LocationType="V",
        ParentLocationId=3,
        ValidityTo=GONE,
        MalePopulation=50,
    )  # deleted village: its population is not counted
    # Population: villages and a ward carry figures; the region's own figure is above ward level.
    for lid, m, f, o, fam in (
        (4, 10, 12, 1, 5),
        (5, 3, None, None, None),
        (3, 100, None, None, None),
        (7, None, 4, None, 7),
        (1, 1000, None, None, None),
    ):
        row = next(x for x in r.rows["tblLocations"] if x["LocationId"] == lid)
        row.update(MalePopulation=m, FemalePopulation=f, OtherPopulation=o, Families=fam)

    prod = t.tblProduct
    r.add(prod, ProdID=1, ProductCode="P1", LocationId=None)
    r.add(prod, ProdID=2, ProductCode="PX", ValidityTo=GONE)  # deleted product -> PRODUCT_UNKNOWN
    r.add(prod, ProdID=3, ProductCode="P1OLD", LegacyID=1, ValidityTo=GONE)  # history copy

    fam, ins = t.tblFamilies, t.tblInsuree
    r.add(fam, FamilyID=1, InsureeID=1, LocationId=4)  # V1 (W1)
    r.add(fam, FamilyID=2, InsureeID=5, LocationId=7)  # V3 (W2)
    r.add(fam, FamilyID=3, InsureeID=8, LocationId=5, ValidityTo=GONE)  # deleted family in V2 (W1)
    r.add(fam, FamilyID=4, InsureeID=1, LocationId=7, LegacyID=1, ValidityTo=GONE)  # history copy

    r.add(
        ins, InsureeID=1, FamilyID=1, Gender="M", DOB=date(2018, 1, 31)
    )  # 6th birthday on 2024-01-31
    r.add(
        ins, InsureeID=2, FamilyID=1, Gender="F", DOB=date(1948, 2, 29)
    )  # leap day: 75 on Jan 31, 76 on Feb 29
    r.add(ins, InsureeID=3, FamilyID=1, Gender=None, DOB=date(2030, 1, 1))  # NULL sex, future DOB
    r.add(ins, InsureeID=4, FamilyID=1, Gender="X", DOB=date(1990, 6, 15))  # unusual sex code
    r.add(
        ins, InsureeID=5, FamilyID=2, Gender="F", DOB=date(2005, 2, 28)
    )  # 18 on Jan 31, 19 on Feb 29
    r.add(
        ins, InsureeID=6, FamilyID=2, Gender="M", DOB=date(1980, 1, 1), ValidityTo=GONE
    )  # deleted insuree
    r.add(
        ins, InsureeID=7, FamilyID=1, Gender="F", DOB=date(2018, 1, 31), LegacyID=1, ValidityTo=GONE
    )  # history
    r.add(
        ins, InsureeID=8, FamilyID=3, Gender="M", DOB=date(2000, 1, 1)
    )  # current, of a deleted family
    r.add(ins, InsureeID=9, FamilyID=1, Gender="F", DOB=date(1976, 1, 31))

    pol = t.tblPolicy

    def policy(pid, family, prod_id, stage, status, enroll, eff, exp, **kw):
        r.add(
            pol,
            PolicyID=pid,
            FamilyID=family,
            ProdID=prod_id,
            PolicyStage=stage,
            PolicyStatus=status,
            EnrollDate=enroll,
            StartDate=enroll,
            EffectiveDate=eff,
            ExpiryDate=exp,
            **kw,
        )

    policy(1, 1, 1, "N", 2, date(2024, 1, 10), date(2024, 1, 15), date(2025, 1, 15))
    policy(
        2, 2, 2, "R", 8, date(2024, 2, 5), date(2024, 2, 10), date(2024, 3, 10)
    )  # deleted product
    policy(3, 1, 1, "N", 1, date(2024, 1, 20), None, None)  # idle, never effective
    policy(
        4, 1, 1, "R", 2, date(2023, 2, 20), date(2023, 3, 1), date(2024, 3, 1)
    )  # expires 1 March
    policy(
        5,
        1,
        1,
        "N",
        2,
        date(2024, 1, 10),
        date(2024, 1, 1),
        date(2025, 1, 1),
        LegacyID=1,
        ValidityTo=GONE,
    )
    policy(
        6, 2, 1, "N", 2, date(2024, 1, 5), date(2024, 1, 1), date(2025, 1, 1), ValidityTo=GONE
    )  # deleted
    policy(
        7, 3, 1, "N", 2, date(2024, 3, 3), date(2024, 3, 3), date(2025, 3, 3)
    )  # deleted family's policy
    policy(
        8, 2, 1, "N", 1, date(2023, 12, 1), date(2024, 1, 1), date(2025, 1, 1)
    )  # idle, dates cover
    policy(
        9, 2, 1, "R", None, date(2023, 12, 1), date(2024, 2, 1), date(2024, 2, 15)
    )  # NULL status

    ip = t.tblInsureePolicy
    for n, (iid, pid, eff, exp, extra) in enumerate(
        (
            (1, 1, date(2024, 1, 15), date(2025, 1, 15), {}),
            (2, 1, date(2024, 2, 1), date(2025, 1, 15), {}),  # member added later than the policy
            (3, 1, date(2024, 1, 15), date(2025, 1, 15), {}),
            (
                1,
                4,
                date(2023, 3, 1),
                date(2024, 3, 1),
                {},
            ),  # overlapping second policy: counted once
            (5, 2, date(2024, 2, 10), date(2024, 3, 10), {}),
            (6, 2, date(2024, 2, 10), date(2024, 3, 10), {}),  # deleted insuree
            (8, 7, date(2024, 3, 3), date(2025, 3, 3), {}),
            (4, 8, date(2024, 1, 1), date(2025, 1, 1), {}),  # idle policy
            (
                9,
                1,
                date(2024, 1, 15),
                date(2025, 1, 15),
                {"ValidityTo": GONE},
            ),  # deleted member row
            (4, 3, None, None, {}),  # member of the idle new policy: new, never covered
            (9, 5, date(2024, 1, 1), date(2025, 1, 1), {}),  # row on a history policy
        ),
        start=1,
    ):
        r.add(
            ip,
            InsureePolicyID=n,
            InsureeID=iid,
            PolicyId=pid,
            EffectiveDate=eff,
            ExpiryDate=exp,
            EnrollmentDate=eff,
            **extra,
        )

    pr = t.tblPremium
    for n, (pid, amount, pay, photo, extra) in enumerate(
        (
            (1, "120.00", date(2024, 1, 10), False, {}),
            (1, "5.00", date(2024, 1, 10), True, {}),  # photo fee
            (1, "30.00", date(2024, 2, 20), None, {}),  # NULL isPhotoFee counts
            (3, "10.00", date(2024, 1, 20), False, {}),  # idle policy: collected, earns nothing
            (4, "36.60", date(2023, 2, 25), False, {}),  # paid before the range, earned in it
            (1, "77.00", date(2024, 1, 11), False, {"ValidityTo": GONE}),  # deleted premium
            (6, "55.00", date(2024, 1, 11), False, {}),  # on a deleted policy
            (2, "10.00", date(2024, 2, 5), False, {}),
        ),
        start=1,
    ):
        r.add(
            pr, PremiumId=n, PolicyID=pid, Amount=D(amount), PayDate=pay, isPhotoFee=photo, **extra
        )

    icd = t.tblICDCodes
    for n, code in enumerate(("B51", "O82", "O80.1", "Z99", "j06"), start=1):
        r.add(icd, ICDID=n, ICDCode=code)
    for n, typ in enumerate(("D", "M", "X"), start=1):
        r.add(t.tblItems, ItemID=n, ItemType=typ)
    for n, cat in enumerate(("S", None, "V"), start=1):
        r.add(t.tblServices, ServiceID=n, ServCategory=cat)

    cl = t.tblClaim

    def claim(
        cid,
        hf,
        insuree,
        status,
        dfrom,
        dto,
        claimed_on,
        processed,
        visit,
        icd_id,
        claimed,
        approved,
        **kw,
    ):
        r.add(
            cl,
            ClaimID=cid,
            HFID=hf,
            InsureeID=insuree,
            ClaimStatus=status,
            DateFrom=dfrom,
            DateTo=dto,
            DateClaimed=claimed_on,
            DateProcessed=processed,
            VisitType=visit,
            ICDID=icd_id,
            Claimed=None if claimed is None else D(claimed),
            Approved=None if approved is None else D(approved),
            **kw,
        )

    claim(
        1,
        1,
        1,
        16,
        date(2024, 1, 31),
        date(2024, 2, 1),
        date(2024, 2, 2),
        date(2024, 2, 10),
        "E",
        1,
        "100.50",
        "90.25",
    )
    claim(
        2, 2, 6, 1, date(2024, 1, 15), None, date(2024, 1, 16), None, None, 2, "20.00", None
    )  # deleted insuree
    claim(3, 1, 2, 4, date(2024, 2, 28), None, date(2024, 2, 28), None, "R", 3, "10.00", "10.00")
    claim(
        4, 1, 2, 32, date(2024, 2, 29), None, date(2024, 2, 29), None, "O", 5, "1.00", "1.00"
    )  # modular status
    claim(
        5,
        1,
        1,
        16,
        date(2024, 1, 10),
        None,
        date(2024, 1, 10),
        date(2024, 1, 12),
        "E",
        1,
        "99.00",
        "99.00",
        ValidityTo=GONE,
    )  # deleted claim
    claim(
        6,
        1,
        1,
        16,
        date(2024, 1, 31),
        date(2024, 2, 1),
        date(2024, 2, 2),
        date(2024, 2, 10),
        "E",
        1,
        "1.00",
        "1.00",
        LegacyID=1,
        ValidityTo=GONE,
    )  # history copy of claim 1
    claim(
        7,
        1,
        3,
        16,
        date(2024, 3, 5),
        date(2024, 3, 6),
        date(2024, 3, 10),
        date(2024, 3, 8),
        "O",
        4,
        "12.34",
        "12.34",
    )
    claim(
        8,
        1,
        4,
        8,
        date(2023, 12, 20),
        date(2023, 12, 31),
        date(2024, 1, 2),
        date(2024, 1, 5),
        "O",
        4,
        "7.00",
        "7.00",
    )

    ci, cs = t.tblClaimItems, t.tblClaimServices
    for n, (cid, item, status, qty, remun, extra) in enumerate(
        (
            (1, 1, 1, "2.00", "40.00", {}),
            (1, 2, 2, "1.00", "5.00", {}),  # rejected line: quantity counted, not remunerated
            (5, 1, 1, "5.00", "99.00", {}),  # current line under a deleted claim
            (7, 3, 1, "1.00", "12.34", {}),  # unknown item type
            (6, 1, 1, "9.00", "9.00", {}),  # line of the history claim
        ),
        start=1,
    ):
        r.add(
            ci,
            ClaimItemID=n,
            ClaimID=cid,
            ItemID=item,
            ClaimItemStatus=status,
            QtyProvided=D(qty),
            RemuneratedAmount=D(remun),
            **extra,
        )
    for n, (cid, serv, status, qty, remun, extra) in enumerate(
        (
            (1, 1, 1, "1.00", "50.25", {"ProdID": 2}),
            (1, 2, 3, "1.50", None, {}),  # NULL service category, line status 3 (OTHER)
            (7, 3, 1, "3.00", "30.00", {"ValidityTo": GONE}),  # deleted line
            (3, 3, 1, "0.25", "1.00", {}),  # remunerated only for valuated claims: not counted
        ),
        start=1,
    ):
        r.add(
            cs,
            ClaimServiceID=n,
            ClaimID=cid,
            ServiceID=serv,
            ClaimServiceStatus=status,
            QtyProvided=D(qty),
            RemuneratedAmount=None if remun is None else D(remun),
            **extra,
        )
    return r
