"""Independent oracle: INDICATORS.md v1.1 in plain Python over raw rows read by simple SELECTs.

Deliberately shares no code with ``aggregations`` (own option codes, own age arithmetic, own
roll-up), so that the two implementations check each other. Returns only non-zero values:
{(period id, org unit code, data element, "CAT=OPT;..."): Decimal}.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from openimis_db import tables as t

BANDS = [(0, 5), (6, 12), (13, 18), (19, 25), (26, 35), (36, 55), (56, 75), (76, None)]
DIAG = [  # code, (lo, hi) prefixes; narrowest group listed first
    ("CAESAREAN", "O82", "O82"),
    ("MALARIA", "B50", "B54"),
    ("ANTENATAL", "Z34", "Z36"),
    ("DELIVERY", "O80", "O84"),
    ("RESPIRATORY", "J00", "J22"),
    ("DIARRHOEA", "A00", "A09"),
]
LEVEL = {"village": "V", "ward": "W", "district": "D", "region": "R"}
STATUS = {1: "REJECTED", 2: "ENTERED", 4: "CHECKED", 8: "PROCESSED", 16: "VALUATED"}


def read(engine) -> dict[str, list[dict]]:
    names = [
        "tblLocations",
        "tblHF",
        "tblProduct",
        "tblFamilies",
        "tblInsuree",
        "tblPolicy",
        "tblInsureePolicy",
        "tblPremium",
        "tblItems",
        "tblServices",
        "tblICDCodes",
        "tblClaim",
        "tblClaimItems",
        "tblClaimServices",
    ]
    out = {}
    with engine.connect() as conn:
        for n in names:
            out[n] = [dict(r._mapping) for r in conn.execute(select(t.metadata.tables[n]))]
    return out


def d(v):
    """Dates as date (SQL Server smalldatetime / SQLite strings would differ)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, str):
        return date.fromisoformat(v[:10])
    return v


def age_option(dob, ref) -> str:
    dob = d(dob)
    if dob is None or dob > ref:
        return "AGE_UNKNOWN"
    age = ref.year - dob.year - ((ref.month, ref.day) < (dob.month, dob.day))
    for lo, hi in BANDS:
        if age >= lo and (hi is None or age <= hi):
            return f"AGE_{lo}PLUS" if hi is None else f"AGE_{lo}_{hi}"
    raise AssertionError(age)


def sex_option(g) -> str:
    return f"SEX_{g}" if g in ("M", "F", "O") else "SEX_UNKNOWN"


def diag_option(code) -> str:
    c = (code or "").strip().upper()
    for name, lo, hi in DIAG:
        if c and lo <= c[:3] <= hi:
            return f"DIAGNOSIS_{name}"
    return "DIAGNOSIS_OTHER"


def cur(r) -> bool:
    return r["ValidityTo"] is None


def not_idle(p) -> bool:
    return p["PolicyStatus"] != 1


def photo(pr) -> bool:
    return bool(pr["isPhotoFee"])


def insuree_issues(i, fam, last) -> list[str]:
    """Data-quality issues of a current insuree at ``last`` (INDICATORS.md v1.1)."""
    if not cur(fam):
        return ["FAMILY_DELETED"]  # the others are counted for current families only
    out = []
    dob = d(i["DOB"])
    if dob is None:
        out.append("DOB_MISSING")
    elif dob > last:
        out.append("DOB_FUTURE")
    elif last.year - dob.year - ((last.month, last.day) < (dob.month, dob.day)) > 110:
        out.append("AGE_OVER_110")
    if i["Gender"] not in ("M", "F", "O"):
        out.append("SEX_UNKNOWN")
    return out


def claim_issues(c, ins, lines_of) -> list[str]:
    """Data-quality issues of a current claim of the period, except PROCESSED_BEFORE_CLAIMED."""
    out = []
    date_from, date_to = d(c["DateFrom"]), d(c["DateTo"])
    if date_to is not None and date_from is not None and date_to < date_from:
        out.append("DATE_TO_BEFORE_FROM")
    claimed_on = d(c["DateClaimed"])
    if claimed_on is not None and date_from is not None and claimed_on < date_from:
        out.append("CLAIMED_BEFORE_VISIT")
    if c["Approved"] is not None and c["Claimed"] is not None and c["Approved"] > c["Claimed"]:
        out.append("APPROVED_OVER_CLAIMED")
    if c["ClaimStatus"] not in STATUS:
        out.append("STATUS_OTHER")
    insuree = ins.get(c["InsureeID"])
    if insuree is not None and not cur(insuree):
        out.append("INSUREE_DELETED")
    lines = lines_of[("ITEMS", c["ClaimID"])] + lines_of[("SERVICES", c["ClaimID"])]
    if c["ClaimStatus"] == 16 and not any(cur(ln) for ln in lines):
        out.append("VALUATED_WITHOUT_LINES")
    return out


def compute(raw, dataset, periods, level="ward", claim_date="coalesce"):
    locs = {
        r["LocationId"]: r
        for r in raw["tblLocations"]
        if r["LegacyID"] is None or cur(r) or r["LegacyID"] == r["LocationId"]
    }
    hfs = {r["HfID"]: r for r in raw["tblHF"]}
    fams = {r["FamilyID"]: r for r in raw["tblFamilies"]}
    ins = {r["InsureeID"]: r for r in raw["tblInsuree"]}
    pols = {r["PolicyID"]: r for r in raw["tblPolicy"]}
    prods = {r["ProdID"]: r for r in raw["tblProduct"]}
    icds = {r["ICDID"]: r for r in raw["tblICDCodes"]}
    items = {r["ItemID"]: r for r in raw["tblItems"]}
    servs = {r["ServiceID"]: r for r in raw["tblServices"]}
    claims = {r["ClaimID"]: r for r in raw["tblClaim"]}
    lines_of = defaultdict(list)  # (kind, ClaimID) -> lines
    for kind, table in (("ITEMS", "tblClaimItems"), ("SERVICES", "tblClaimServices")):
        for ln in raw[table]:
            lines_of[(kind, ln["ClaimID"])].append(ln)

    def residence(location_id):
        cur_id = location_id
        for _ in range(10):
            loc = locs.get(cur_id)
            if loc is None:
                return f"?{location_id}"
            if loc["LocationType"] == LEVEL[level]:
                return loc["LocationCode"]
            cur_id = loc["ParentLocationId"]
        return f"?{location_id}"

    def product(pol):
        pr = prods.get(pol["ProdID"])
        return f"PRODUCT_{pr['ProductCode']}" if pr is not None and cur(pr) else "PRODUCT_UNKNOWN"

    out = defaultdict(Decimal)
    for per in periods:
        start, end, last = per.start, per.end, per.end - timedelta(days=1)
        pid = per.id

        def add(ou, de, opts, v, pid=pid):
            out[(pid, ou, de, opts)] += Decimal(v)

        if dataset == "OI_ENROLMENT":
            for i in ins.values():
                f = fams.get(i["FamilyID"])
                if cur(i) and f is not None:
                    for issue in insuree_issues(i, f, last):
                        add(
                            residence(f["LocationId"]),
                            "OI_DQ_INSUREES",
                            f"INSUREE_ISSUE=INSUREE_ISSUE_{issue}",
                            1,
                        )
                if cur(i) and f is not None and cur(f):
                    add(
                        residence(f["LocationId"]),
                        "OI_INSUREES_REGISTERED",
                        f"SEX={sex_option(i['Gender'])};AGE={age_option(i['DOB'], last)}",
                        1,
                    )
            covered, new = set(), {}
            for ip in raw["tblInsureePolicy"]:
                p = pols.get(ip["PolicyId"])
                i = ins.get(ip["InsureeID"])
                if not (cur(ip) and p and cur(p) and i and cur(i)):
                    continue
                eff, exp = d(ip["EffectiveDate"]), d(ip["ExpiryDate"])
                if not_idle(p) and eff and exp and eff <= last < exp:
                    covered.add(i["InsureeID"])
                enr = d(p["EnrollDate"])
                if p["PolicyStage"] == "N" and start <= enr < end:
                    new[i["InsureeID"]] = min(enr, new.get(i["InsureeID"], enr))
            for iid in covered:
                i = ins[iid]
                add(
                    residence(fams[i["FamilyID"]]["LocationId"]),
                    "OI_INSUREES_COVERED",
                    f"SEX={sex_option(i['Gender'])};AGE={age_option(i['DOB'], last)}",
                    1,
                )
            for iid, enr in new.items():
                i = ins[iid]
                add(
                    residence(fams[i["FamilyID"]]["LocationId"]),
                    "OI_INSUREES_NEW",
                    f"SEX={sex_option(i['Gender'])};AGE={age_option(i['DOB'], enr)}",
                    1,
                )
            fam_cov = set()
            for p in pols.values():
                if not cur(p):
                    continue
                eff, exp, enr = d(p["EffectiveDate"]), d(p["ExpiryDate"]), d(p["EnrollDate"])
                ou = residence(fams[p["FamilyID"]]["LocationId"])
                opt = f"PRODUCT={product(p)}"
                if not_idle(p) and eff and exp and eff <= last < exp:
                    add(ou, "OI_POLICIES_ACTIVE", opt, 1)
                    if cur(fams[p["FamilyID"]]):
                        fam_cov.add(p["FamilyID"])
                prev = start - timedelta(days=1)
                if not_idle(p) and eff and exp and eff <= prev < exp:
                    add(ou, "OI_POLICIES_ACTIVE_PREV", opt, 1)
                if p["PolicyStage"] == "N" and start <= enr < end:
                    add(ou, "OI_POLICIES_NEW", opt, 1)
                if p["PolicyStage"] == "R" and start <= enr < end:
                    add(ou, "OI_POLICIES_RENEWED", opt, 1)
                if not_idle(p) and exp and start <= exp < end:
                    add(ou, "OI_POLICIES_EXPIRED", opt, 1)
            for fid in fam_cov:
                add(residence(fams[fid]["LocationId"]), "OI_FAMILIES_COVERED", "", 1)
            for pr in raw["tblPremium"]:
                p = pols.get(pr["PolicyID"])
                if not (cur(pr) and not photo(pr) and p and cur(p)):
                    continue
                ou, opt = residence(fams[p["FamilyID"]]["LocationId"]), f"PRODUCT={product(p)}"
                amount = Decimal(str(pr["Amount"]))
                if start <= d(pr["PayDate"]) < end:
                    add(ou, "OI_CONTRIBUTIONS_COLLECTED", opt, amount)
                eff, exp = d(p["EffectiveDate"]), d(p["ExpiryDate"])
                if eff and exp and exp > eff:
                    days = (min(exp, end) - max(eff, start)).days
                    if days > 0:
                        add(ou, "OI_CONTRIBUTIONS_EARNED", opt, amount * days / (exp - eff).days)
        elif dataset == "OI_CLAIMS":
            for c in claims.values():
                if not cur(c):
                    continue
                hf = hfs[c["HFID"]]["HFCode"]
                ref = d(
                    {
                        "coalesce": c["DateTo"] or c["DateFrom"],
                        "date_from": c["DateFrom"],
                        "date_claimed": c["DateClaimed"],
                        "date_processed": c["DateProcessed"],
                    }[claim_date]
                )
                proc, claimed_on = d(c["DateProcessed"]), d(c["DateClaimed"])
                if proc and start <= proc < end:
                    add(hf, "OI_CLAIMS_PROCESSED", "", 1)
                    # v1.1: settled = claimed on or before processing; the rest is a DQ issue.
                    if claimed_on is not None and claimed_on <= proc:
                        add(hf, "OI_CLAIMS_SETTLED", "", 1)
                        add(hf, "OI_SETTLEMENT_DAYS", "", (proc - claimed_on).days)
                    if claimed_on is not None and proc < claimed_on:
                        add(
                            hf,
                            "OI_DQ_CLAIMS",
                            "CLAIM_ISSUE=CLAIM_ISSUE_PROCESSED_BEFORE_CLAIMED",
                            1,
                        )
                if not (ref and start <= ref < end):
                    continue
                for issue in claim_issues(c, ins, lines_of):
                    add(hf, "OI_DQ_CLAIMS", f"CLAIM_ISSUE=CLAIM_ISSUE_{issue}", 1)
                status = f"CLAIM_STATUS_{STATUS.get(c['ClaimStatus'], 'OTHER')}"
                visit = (
                    f"VISIT_TYPE_{c['VisitType']}"
                    if c["VisitType"] in ("E", "R", "O")
                    else "VISIT_TYPE_UNKNOWN"
                )
                add(hf, "OI_CLAIMS", f"CLAIM_STATUS={status};VISIT_TYPE={visit}", 1)
                i = ins.get(c["InsureeID"])
                add(
                    hf,
                    "OI_CLAIMS_PATIENT",
                    f"SEX={sex_option(i['Gender'])};AGE={age_option(i['DOB'], ref)}",
                    1,
                )
                add(
                    hf,
                    "OI_CLAIMED_AMOUNT",
                    f"CLAIM_STATUS={status}",
                    Decimal(str(c["Claimed"] or 0)),
                )
                add(
                    hf,
                    "OI_APPROVED_AMOUNT",
                    f"CLAIM_STATUS={status}",
                    Decimal(str(c["Approved"] or 0)),
                )
                icd = icds.get(c["ICDID"])
                add(
                    hf, "OI_CLAIMS_DIAGNOSIS", f"DIAGNOSIS={diag_option(icd and icd['ICDCode'])}", 1
                )
                for kind, lines, st_col, ref_map, ref_col, type_col, valid in (
                    (
                        "ITEMS",
                        lines_of[("ITEMS", c["ClaimID"])],
                        "ClaimItemStatus",
                        items,
                        "ItemID",
                        "ItemType",
                        "DM",
                    ),
                    (
                        "SERVICES",
                        lines_of[("SERVICES", c["ClaimID"])],
                        "ClaimServiceStatus",
                        servs,
                        "ServiceID",
                        "ServCategory",
                        "SDAHCOV",
                    ),
                ):
                    for ln in lines:
                        if ln["ClaimID"] != c["ClaimID"] or not cur(ln):
                            continue
                        if ln[st_col] == 1 and c["ClaimStatus"] == 16:
                            add(
                                hf,
                                "OI_REMUNERATED_AMOUNT",
                                "",
                                Decimal(str(ln["RemuneratedAmount"] or 0)),
                            )
                        typ = (ref_map.get(ln[ref_col]) or {}).get(type_col)
                        cat = "ITEM_TYPE" if kind == "ITEMS" else "SERVICE_CATEGORY"
                        topt = f"{cat}_{typ}" if typ and typ in valid else f"{cat}_UNKNOWN"
                        lst = {1: "PASSED", 2: "REJECTED"}.get(ln[st_col], "OTHER")
                        add(
                            hf,
                            f"OI_{kind}_QTY",
                            f"{cat}={topt};LINE_STATUS=LINE_STATUS_{lst}",
                            Decimal(str(ln["QtyProvided"])),
                        )
        else:
            for loc in locs.values():
                if not cur(loc):
                    continue
                ou = residence(loc["LocationId"])
                if ou.startswith("?"):
                    continue  # above the level: not attributable
                for sex, col in (
                    ("M", "MalePopulation"),
                    ("F", "FemalePopulation"),
                    ("O", "OtherPopulation"),
                ):
                    if loc[col]:
                        add(ou, "OI_POPULATION", f"SEX=SEX_{sex}", loc[col])
                if loc["Families"]:
                    add(ou, "OI_FAMILIES_TARGET", "", loc["Families"])
    return {
        k: v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for k, v in out.items()
        if v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) != 0
    }


def frame_values(frame) -> dict:
    """Non-zero values of a built frame, keyed like ``compute``."""
    out = {}
    for pe, ou, de, co, val in zip(
        frame["period"],
        frame["org_unit"],
        frame["data_element"],
        frame["category_options"],
        frame["value"],
        strict=True,
    ):
        v = Decimal(str(val))
        if v != 0:
            out[(str(pe), str(ou), str(de), str(co or ""))] = v
    return out
