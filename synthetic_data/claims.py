"""Claims with item and service lines for a chunk of insurees: diagnoses with a malaria season,
statuses consistent with coverage and line outcomes, amounts, and the deliberate mess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic_data._util import (
    add_months,
    blank,
    codes,
    dates,
    nullable_float,
    nullable_int,
    stamps,
    uuids,
)
from synthetic_data.catalogue import ITEMS, SERVICES
from synthetic_data.context import AUDIT_USER, Context
from synthetic_data.people import People
from synthetic_data.policies import Cover
from synthetic_data.reference import Reference

CLAIMS_PER_YEAR = 1.9  # base rate per insuree-year, scaled by age and sex below
MALARIA_SEASON = (6, 7, 8, 9, 10)  # rainy-season months: more claims, far more malaria
GROUPS = [
    "malaria",
    "antenatal",
    "delivery",
    "caesarean",
    "respiratory",
    "diarrhoea",
    "other",
    "unusual",
]
STATUS_CODES = np.array(
    [1, 2, 4, 8, 16, 32]
)  # 32: a rare code outside the legacy set (modular statuses)
STATUS_P_OLD = [0.06, 0.06, 0.12, 0.08, 0.678, 0.002]
STATUS_P_RECENT = [0.02, 0.55, 0.25, 0.10, 0.078, 0.002]
LINE_REJECT_RATE = 0.08  # lines rejected by the checks/review on checked and later claims
LINE_REASONS = np.array([-1, 1, 2, 5, 6, 9, 10, 16])
CLAIM_HISTORY_RATE = 0.03
CLAIM_DELETED_RATE = 0.01
# Data-entry errors counted by OI_DQ_CLAIMS (INDICATORS.md v1.1), each on this share of claims.
DQ_ERROR_RATE = 0.004
DELETED_CLAIM_LINES_LEFT_CURRENT = (
    0.5  # lines of deleted claims that stay current (real-data quirk)
)
LINE_DELETED_RATE = 0.005
VISIT_TYPES = np.array(["O", "E", "R", ""])
VISIT_P = [0.70, 0.15, 0.12, 0.03]


def _month_table(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = ctx.options.months
    starts = add_months(np.full(n, ctx.span_start), np.arange(n))
    ends = np.r_[starts[1:], ctx.span_end]
    cal_month = (starts.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
    return starts, ends, cal_month


def build_claims(
    ctx: Context, ref: Reference, rng: np.random.Generator, people: People, cover: Cover
):
    # --- how many claims each insuree makes, and when
    n_m = len(people.insuree_ids)
    age0 = (ctx.span_start - people.member_dob) / 365.25
    factor = np.where(age0 < 5, 1.8, np.where(age0 >= 60, 1.3, 1.0))
    factor = np.where((people.member_sex == "F") & (age0 >= 15) & (age0 < 50), factor * 1.4, factor)
    first = np.maximum(people.member_join_day, ctx.span_start)
    exposure = np.maximum(ctx.span_end - first, 0) / 365.25
    counts = rng.poisson(CLAIMS_PER_YEAR * factor * exposure)
    member = np.repeat(np.arange(n_m), counts)
    n = len(member)
    starts, ends, cal_month = _month_table(ctx)
    weight = (ends - starts) * np.where(np.isin(cal_month, MALARIA_SEASON), 1.3, 1.0)
    mi = rng.choice(len(starts), n, p=weight / weight.sum())
    day = starts[mi] + (rng.random(n) * (ends[mi] - starts[mi])).astype(np.int64)
    join = first[member]
    early = day < join
    day[early] = join[early] + (rng.random(early.sum()) * (ctx.span_end - join[early])).astype(
        np.int64
    )
    day = np.minimum(day, ctx.span_end - 1)
    in_season = np.isin(
        (day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1,
        MALARIA_SEASON,
    )
    age = (day - people.member_dob[member]) / 365.25
    female_fertile = (people.member_sex[member] == "F") & (age >= 15) & (age < 50)
    child = age < 5

    # --- main diagnosis group, then a code of that group
    p = np.zeros((n, len(GROUPS)))
    p[:, 0] = np.where(in_season, 0.30, 0.08)
    p[:, 1] = np.where(female_fertile, 0.16, 0)
    p[:, 2] = np.where(female_fertile, 0.05, 0)
    p[:, 3] = np.where(female_fertile, 0.01, 0)
    p[:, 4] = np.where(child, 0.28, 0.16)
    p[:, 5] = np.where(child, 0.18, 0.08)
    p[:, 7] = 0.005
    p[:, 6] = np.maximum(1 - p.sum(axis=1), 0.1)
    group = _sample_rows(rng, p)
    icd_by_group = [np.flatnonzero(ref.icd_group == g) for g in GROUPS]
    icd_idx = np.empty(n, np.int64)
    for g, members in enumerate(icd_by_group):
        sel = group == g
        icd_idx[sel] = members[rng.integers(0, len(members), sel.sum())]
    inpatient = (
        np.isin(group, [2, 3])
        | ((group == 6) & (rng.random(n) < 0.08))
        | ((group == 0) & (rng.random(n) < 0.05))
    )
    stay = np.where(group == 3, rng.integers(3, 8, n), rng.integers(1, 6, n))

    # --- facility: usually in the family's district; deliveries and stays go to a hospital or centre
    fam = people.member_family[member]
    district = ref.village_district[people.family_village[fam]]
    hf = _facility(ref, rng, district, inpatient)
    date_to_kind = rng.random(n)
    date_to = np.where(
        inpatient,
        day + stay,
        np.where(date_to_kind < 0.6, day, np.where(date_to_kind < 0.95, -1, day + 1)),
    )
    date_to_null = date_to < 0
    ref_day = np.where(date_to_null, day, date_to)
    claimed_day = np.minimum(ref_day + rng.integers(0, 15, n), ctx.span_end - 1)

    # --- coverage at the claim date (current, effective policy of the family)
    covered, pol_id, prod_id = _coverage(cover, fam, day)

    # --- status, then lines
    recent = claimed_day > ctx.as_of - 45
    u = rng.random(n)
    status = np.where(
        recent,
        STATUS_CODES[_cdf_pick(u, STATUS_P_RECENT)],
        STATUS_CODES[_cdf_pick(u, STATUS_P_OLD)],
    )
    checked = np.isin(status, [1, 4, 8, 16])
    no_cover = checked & ~covered
    status = np.where(no_cover, 1, status)
    claim_ids = ctx.ids("tblClaim", n)

    svc = _service_lines(ref, rng, group, inpatient, stay, np.isin(group, [0]))
    itm = _item_lines(ref, rng, group)
    lines = {}
    for kind, (claim_of, ref_idx, qty, price_list) in (("svc", svc), ("itm", itm)):
        m = len(claim_of)
        own_price = rng.random(m) < 0.05
        asked = np.where(own_price, np.round(price_list * rng.uniform(0.9, 1.2, m), -1), price_list)
        st = status[claim_of]
        rejected = np.where(
            st == 1, True, np.isin(st, [4, 8, 16]) & (rng.random(m) < LINE_REJECT_RATE)
        )
        reason = np.where(
            no_cover[claim_of], 3, LINE_REASONS[rng.integers(0, len(LINE_REASONS), m)]
        )
        lines[kind] = dict(
            claim_of=claim_of,
            ref_idx=ref_idx,
            qty=qty,
            asked=asked,
            own=own_price,
            rejected=rejected,
            reason=reason,
        )
    # a checked claim whose every line failed is Rejected (the submission rule)
    n_lines = np.bincount(lines["svc"]["claim_of"], minlength=n) + np.bincount(
        lines["itm"]["claim_of"], minlength=n
    )
    n_rej = np.bincount(
        lines["svc"]["claim_of"], weights=lines["svc"]["rejected"], minlength=n
    ) + np.bincount(lines["itm"]["claim_of"], weights=lines["itm"]["rejected"], minlength=n)
    status = np.where(np.isin(status, [4, 8, 16]) & (n_rej == n_lines), 1, status)
    checked = np.isin(status, [1, 4, 8, 16])

    frames = {}
    totals = {"claimed": np.zeros(n), "approved": np.zeros(n), "valuated": np.zeros(n)}
    cats = {c: np.zeros(n, bool) for c in "SDAC"}
    for kind in ("svc", "itm"):
        L = lines[kind]
        co = L["claim_of"]
        st = status[co]
        m = len(co)
        chk = np.isin(st, [1, 4, 8, 16])
        rej = L["rejected"] & chk
        passed = chk & ~rej
        qty_appr = np.where(
            rej, 0.0, np.where(rng.random(m) < 0.05, np.maximum(L["qty"] - 1, 1), L["qty"])
        )
        adjusted = passed & (rng.random(m) < 0.03)
        price_appr = np.where(adjusted, np.round(L["asked"] * 0.8, -1), L["asked"])
        valuated = passed & (st == 16)
        amount = np.round(qty_appr * price_appr, 2)
        totals["claimed"] += np.bincount(co, weights=L["qty"] * L["asked"], minlength=n)
        totals["approved"] += np.bincount(co, weights=np.where(passed, amount, 0), minlength=n)
        totals["valuated"] += np.bincount(co, weights=np.where(valuated, amount, 0), minlength=n)
        if kind == "svc":
            scat = ref.service_cat[L["ref_idx"]]
            for c in cats:
                cats[c] |= np.bincount(co, weights=(scat == c), minlength=n) > 0
        table = "tblClaimServices" if kind == "svc" else "tblClaimItems"
        id_col = "ClaimServiceID" if kind == "svc" else "ClaimItemID"
        frame = {
            id_col: ctx.ids(table, m),
            "ClaimServiceStatus" if kind == "svc" else "ClaimItemStatus": np.where(rej, 2, 1),
            "QtyProvided": L["qty"].astype(np.float64),
            "QtyApproved": nullable_float(qty_appr, ~chk),
            "PriceAsked": L["asked"],
            "PriceAdjusted": nullable_float(price_appr, ~adjusted),
            "PriceApproved": nullable_float(price_appr, ~chk),
            "PriceValuated": nullable_float(amount, ~valuated),
            "RejectionReason": nullable_int(np.where(rej, L["reason"], 0), np.zeros(m, bool)),
            "AuditUserID": AUDIT_USER,
            "RemuneratedAmount": nullable_float(amount, ~valuated),
            "DeductableAmount": nullable_float(np.zeros(m), ~valuated),
            "PriceOrigin": np.where(L["own"], "O", "P"),
            "ClaimID": claim_ids[co],
            "PolicyID": nullable_int(pol_id[co], ~(chk & covered[co])),
            "ProdID": nullable_int(prod_id[co], ~(chk & covered[co])),
        }
        if kind == "svc":
            frame["ServiceID"] = ref.service_ids[L["ref_idx"]]
        else:
            frame["ItemID"] = ref.item_ids[L["ref_idx"]]
            frame["Availability"] = True
        frames[table] = pd.DataFrame(frame)

    # --- claim rows
    category = np.where(
        cats["S"],
        "S",
        np.where(
            cats["D"],
            "D",
            np.where(
                cats["A"],
                "A",
                np.where(~date_to_null & (date_to != day), "H", np.where(cats["C"], "C", "V")),
            ),
        ),
    )
    processed = np.isin(status, [1, 8, 16])
    settle = np.minimum(claimed_day + 1 + rng.gamma(2.0, 12.0, n).astype(np.int64), ctx.as_of)
    date_processed = np.where(processed, np.maximum(settle, claimed_day), 0)
    submit_day = claimed_day + rng.integers(0, 3, n)
    vf_day = np.minimum(
        np.where(processed, date_processed, np.where(checked, submit_day, claimed_day)), ctx.as_of
    )
    reason = np.where(status == 1, np.where(no_cover, 3, 1), 0)
    review = np.array([1, 2, 4, 8])[rng.choice(4, n, p=[0.8, 0.12, 0.05, 0.03])]
    admin = ref.hf_admin[np.searchsorted(ref.hf_ids, hf)]
    visit = VISIT_TYPES[rng.choice(4, n, p=VISIT_P)]
    secondary = rng.random((n, 4)) < np.array([0.2, 0.06, 0.02, 0.01])
    sec_codes = ref.icd_ids[rng.integers(0, len(ref.icd_ids), (n, 4))]
    claims = pd.DataFrame(
        {
            "ClaimID": claim_ids,
            "ClaimUUID": uuids(rng, n),
            "ClaimCategory": pd.Series(category).where(checked, None),
            "ClaimCode": codes("C", claim_ids, 7),
            "DateFrom": dates(day),
            "DateTo": dates(date_to, null=date_to_null),
            "ClaimStatus": status,
            "Claimed": np.round(totals["claimed"], 2),
            "Approved": nullable_float(totals["approved"], ~checked),
            "Valuated": nullable_float(totals["valuated"], status != 16),
            "DateClaimed": dates(claimed_day),
            "DateProcessed": dates(date_processed, null=~processed),
            "Feedback": False,
            "FeedbackStatus": 1,
            "ReviewStatus": review,
            "ApprovalStatus": nullable_int(np.where(status == 1, 2, 1), ~checked),
            "RejectionReason": reason,
            "AuditUserID": AUDIT_USER,
            "SubmitStamp": stamps(submit_day, rng, null=~checked),
            "ProcessStamp": stamps(date_processed, rng, null=~processed),
            "Remunerated": nullable_float(totals["valuated"], status != 16),
            "VisitType": pd.Series(visit).where(visit != "", None),
            "ClaimAdminId": admin,
            "HFID": hf,
            "ICDID": ref.icd_ids[icd_idx],
            "ICDID1": nullable_int(sec_codes[:, 0], ~secondary[:, 0]),
            "ICDID2": nullable_int(sec_codes[:, 1], ~(secondary[:, 0] & secondary[:, 1])),
            "ICDID3": nullable_int(
                sec_codes[:, 2], ~(secondary[:, 0] & secondary[:, 1] & secondary[:, 2])
            ),
            "ICDID4": nullable_int(sec_codes[:, 3], ~secondary.all(axis=1)),
            "InsureeID": people.insuree_ids[member],
            "ValidityFrom": stamps(vf_day, rng),
            "ValidityTo": stamps(vf_day, rng, null=np.ones(n, bool)),
            "LegacyID": nullable_int(claim_ids, np.ones(n, bool)),
        }
    )
    return _claim_mess(ctx, rng, claims, frames, submit_day, checked)


def _date_errors(ctx, claims: pd.DataFrame, frames: dict) -> None:
    """Rare data-entry errors (visit ending before it starts, claimed before the visit, approved
    over claimed, processed before claimed, valuated without any current line), drawn from their
    own random stream so that the rest of the generated data does not change."""
    rng = np.random.default_rng([ctx.seed, 1012])
    n = len(claims)
    day = pd.Timedelta(days=1)
    pick = [rng.random(n) < DQ_ERROR_RATE for _ in range(5)]
    to_before = pick[0] & claims["DateTo"].notna().to_numpy()
    claims.loc[to_before, "DateTo"] = claims.loc[to_before, "DateFrom"] - day
    claims.loc[pick[1], "DateClaimed"] = claims.loc[pick[1], "DateFrom"] - 2 * day
    over = pick[2] & claims["Approved"].notna().to_numpy()
    claims.loc[over, "Approved"] = claims.loc[over, "Claimed"] + 10
    early = pick[3] & claims["DateProcessed"].notna().to_numpy()
    claims.loc[early, "DateProcessed"] = claims.loc[early, "DateClaimed"] - 3 * day
    bare = claims["ClaimID"].to_numpy()[pick[4] & (claims["ClaimStatus"] == 16).to_numpy()]
    for frame in frames.values():
        gone = np.isin(frame["ClaimID"].to_numpy(), bare)
        frame["ValidityTo"] = frame["ValidityTo"].where(~gone, frame["ValidityFrom"] + day)


def _claim_mess(ctx, rng, claims: pd.DataFrame, frames: dict, submit_day, checked):
    n = len(claims)
    claim_ids = claims["ClaimID"].to_numpy()
    # Deleted claims; half of their lines stay current (seen in openIMIS's demo data).
    deleted = rng.random(n) < CLAIM_DELETED_RATE
    vt = claims["ValidityTo"].copy()
    vt[deleted] = claims["ValidityFrom"][deleted] + pd.Timedelta(days=1)
    claims["ValidityTo"] = vt
    deleted_ids = claim_ids[deleted]
    out = {}
    for table, frame in frames.items():
        m = len(frame)
        under_deleted = np.isin(frame["ClaimID"].to_numpy(), deleted_ids)
        gone = (under_deleted & (rng.random(m) >= DELETED_CLAIM_LINES_LEFT_CURRENT)) | (
            rng.random(m) < LINE_DELETED_RATE
        )
        frame["ValidityFrom"] = claims["ValidityFrom"].to_numpy()[
            np.searchsorted(claim_ids, frame["ClaimID"].to_numpy())
        ]
        frame["ValidityTo"] = pd.Series(frame["ValidityFrom"]).where(gone, pd.NaT) + pd.Timedelta(
            days=1
        )
        out[table] = frame
    _date_errors(ctx, claims, out)
    # History copies: the claim as first entered (status 2), before submission; half keep copies of lines.
    hist = np.flatnonzero(checked & ~deleted & (rng.random(n) < CLAIM_HISTORY_RATE))
    old = claims.iloc[hist].copy()
    old["LegacyID"] = nullable_int(old["ClaimID"].to_numpy(), np.zeros(len(old), bool))
    new_ids = ctx.ids("tblClaim", len(old))
    old["ClaimID"] = new_ids
    old["ClaimUUID"] = uuids(rng, len(old)).to_numpy()
    blank(
        old,
        "ClaimCategory",
        "Approved",
        "Valuated",
        "DateProcessed",
        "ApprovalStatus",
        "SubmitStamp",
        "ProcessStamp",
        "Remunerated",
    )
    old["ClaimStatus"] = 2
    old["RejectionReason"] = 0
    old["ValidityTo"] = stamps(submit_day[hist], rng)
    old["ValidityFrom"] = old["ValidityTo"] - pd.Timedelta(hours=2)
    with_lines = rng.random(len(old)) < 0.5
    mapping = pd.Series(new_ids[with_lines], index=claim_ids[hist][with_lines])
    for table, frame in list(out.items()):
        sel = frame["ClaimID"].isin(mapping.index).to_numpy()
        copy = frame[sel].copy()
        id_col = frame.columns[0]
        copy[id_col] = ctx.ids(table, len(copy))
        copy["ClaimID"] = mapping.loc[copy["ClaimID"].to_numpy()].to_numpy()
        copy["LegacyID"] = nullable_int(frame[id_col].to_numpy()[sel], np.zeros(len(copy), bool))
        blank(
            copy,
            "QtyApproved",
            "PriceApproved",
            "PriceValuated",
            "RemuneratedAmount",
            "DeductableAmount",
            "PolicyID",
            "ProdID",
        )
        status_col = "ClaimServiceStatus" if "ClaimServiceStatus" in copy else "ClaimItemStatus"
        copy[status_col] = 1
        copy["RejectionReason"] = 0
        copy["ValidityFrom"] = (
            old.set_index("ClaimID").loc[copy["ClaimID"].to_numpy(), "ValidityFrom"].to_numpy()
        )
        copy["ValidityTo"] = copy["ValidityFrom"] + pd.Timedelta(hours=2)
        frame["LegacyID"] = nullable_int(np.zeros(len(frame), np.int64), np.ones(len(frame), bool))
        out[table] = pd.concat([frame, copy], ignore_index=True)
    return (
        pd.concat([claims, old], ignore_index=True),
        out["tblClaimItems"],
        out["tblClaimServices"],
    )


def _sample_rows(rng, p: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(p))[:, None] > cdf).sum(axis=1), p.shape[1] - 1)


def _cdf_pick(u: np.ndarray, probs: list[float]) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1)


def _facility(ref: Reference, rng, district: np.ndarray, inpatient: np.ndarray) -> np.ndarray:
    n = len(district)
    order = np.argsort(ref.hf_district, kind="stable")
    counts = np.bincount(ref.hf_district, minlength=len(ref.district_ids))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    elsewhere = rng.random(n) < 0.15
    d = np.where(elsewhere, rng.integers(0, len(ref.district_ids), n), district)
    hf_idx = order[starts[d] + (rng.random(n) * counts[d]).astype(np.int64)]
    big = np.flatnonzero(ref.hf_level != "D")
    need = inpatient & (ref.hf_level[hf_idx] == "D")
    hf_idx[need] = big[rng.integers(0, len(big), need.sum())]
    return ref.hf_ids[hf_idx]


def _coverage(cover: Cover, fam: np.ndarray, day: np.ndarray):
    key = cover.family.astype(np.int64) * 1_000_000 + (cover.start - 0)
    q = fam.astype(np.int64) * 1_000_000 + day
    k = np.searchsorted(key, q, side="right") - 1
    ok = k >= 0
    kk = np.maximum(k, 0)
    covered = (
        ok & (cover.family[kk] == fam) & (day <= cover.expiry[kk]) & (day >= cover.start[kk])
        if len(key)
        else np.zeros(len(fam), bool)
    )
    pol = np.where(covered, cover.policy_id[kk] if len(key) else 0, 0)
    prod = np.where(covered, cover.prod_id[kk] if len(key) else 0, 0)
    return covered, pol, prod


_SVC_CODE = [s[0] for s in SERVICES]
_ITEM_CODE = [s[0] for s in ITEMS]


def _svc(code: str) -> int:
    return _SVC_CODE.index(code)


def _item(code: str) -> int:
    return _ITEM_CODE.index(code)


def _service_lines(ref: Reference, rng, group, inpatient, stay, malaria):
    n = len(group)
    # primary service by diagnosis and setting
    primary = np.where(
        rng.random(n) < 0.6,
        np.where(rng.random(n) < 0.8, _svc("CO0001"), _svc("CO0003")),
        np.array([_svc("VI0001"), _svc("VI0002"), _svc("VI0003")])[rng.integers(0, 3, n)],
    )
    primary = np.where(
        group == 1, np.where(rng.random(n) < 0.8, _svc("AN0001"), _svc("AN0002")), primary
    )
    primary = np.where(
        group == 2, np.where(rng.random(n) < 0.85, _svc("DE0001"), _svc("DE0002")), primary
    )
    primary = np.where(group == 3, _svc("SU0001"), primary)
    qty = np.ones(n)
    claim_of = [np.arange(n)]
    idx = [primary]
    qtys = [qty]
    # hospital stay lines
    stay_rows = np.flatnonzero(inpatient)
    claim_of.append(stay_rows)
    idx.append(np.where(np.isin(group[stay_rows], [2, 3]), _svc("HO0002"), _svc("HO0001")))
    qtys.append(stay[stay_rows].astype(np.float64))
    # malaria microscopy half the time
    mal = np.flatnonzero(malaria & (rng.random(n) < 0.5))
    claim_of.append(mal)
    idx.append(np.full(len(mal), _svc("LB0001")))
    qtys.append(np.ones(len(mal)))
    # extra services from everything else (labs, minor surgery, uncategorised, the unusual one)
    extra_n = rng.poisson(0.35, n)
    extra_claim = np.repeat(np.arange(n), extra_n)
    pool = np.array(
        [
            _svc(c)
            for c in (
                "LB0002",
                "LB0003",
                "LB0004",
                "LB0005",
                "SU0003",
                "PV0001",
                "PV0002",
                "NC0001",
                "NC0002",
                "XX0001",
                "SU0002",
                "SU0004",
                "HO0003",
                "CO0002",
            )
        ]
    )
    weights = np.array([20, 15, 10, 5, 8, 6, 6, 3, 3, 1, 1, 1, 1, 5], dtype=float)
    extra_idx = pool[rng.choice(len(pool), len(extra_claim), p=weights / weights.sum())]
    claim_of.append(extra_claim)
    idx.append(extra_idx)
    qtys.append(np.ones(len(extra_claim)))
    claim_of = np.concatenate(claim_of)
    idx = np.concatenate(idx)
    qty = np.concatenate(qtys)
    order = np.argsort(claim_of, kind="stable")
    claim_of, idx, qty = claim_of[order], idx[order], qty[order]
    return claim_of, idx, qty, ref.service_price[idx]


def _item_lines(ref: Reference, rng, group):
    n = len(group)
    n_items = len(ITEMS)
    base = np.ones(n_items)
    base[_item("XX0001")] = 0.02
    w = np.tile(base, (len(GROUPS), 1))
    boosts = {
        0: ["AL0001", "AL0002", "AL0003", "RD0001", "AN0001"],
        1: ["PN0001", "PN0002"],
        2: ["PN0003", "PN0004", "CS0006", "CS0002"],
        3: ["PN0003", "IV0001", "IV0003", "CS0004", "AB0004", "CS0005"],
        4: ["AB0001", "AB0002", "AB0003", "AN0001", "AN0003"],
        5: ["OR0001", "OR0002", "AB0005", "AB0006"],
        6: ["AN0001", "AN0002", "CH0001", "CH0002", "CH0003", "CH0004", "CS0001", "CS0002"],
    }
    for g, codes_ in boosts.items():
        for c in codes_:
            w[g, _item(c)] += 12
    count = rng.poisson(np.where(group == 1, 1.0, 1.6))
    claim_of = np.repeat(np.arange(n), count)
    line_group = group[claim_of]
    idx = np.empty(len(claim_of), np.int64)
    for g in range(len(GROUPS)):
        sel = line_group == g
        idx[sel] = rng.choice(n_items, int(sel.sum()), p=w[g] / w[g].sum())
    is_drug = ref.item_type[idx] == "D"
    qty = np.where(is_drug, 1 + rng.poisson(5, len(idx)), 1 + rng.poisson(0.3, len(idx))).astype(
        np.float64
    )
    return claim_of, idx, qty, ref.item_price[idx]
