"""Claims with item and service lines for a chunk of insurees: diagnoses with a malaria season,
statuses consistent with coverage and line outcomes, amounts, and the deliberate mess."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from openimis_db.codes import (
    ApprovalStatus,
    ClaimCategory,
    ClaimStatus,
    Gender,
    HFLevel,
    ItemType,
    LineStatus,
    RejectionReason,
    ReviewStatus,
    ServiceCategory,
    VisitType,
)
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
# a rare code outside the legacy set (modular statuses)
UNKNOWN_STATUS = 32
STATUS_CODES = np.array(
    [
        ClaimStatus.REJECTED,
        ClaimStatus.ENTERED,
        ClaimStatus.CHECKED,
        ClaimStatus.PROCESSED,
        ClaimStatus.VALUATED,
        UNKNOWN_STATUS,
    ]
)
STATUS_P_OLD = [0.06, 0.06, 0.12, 0.08, 0.678, 0.002]
STATUS_P_RECENT = [0.02, 0.55, 0.25, 0.10, 0.078, 0.002]
# statuses a claim reaches once its submission checks ran (Rejected, or passed and later)
CHECKED = [ClaimStatus.REJECTED, ClaimStatus.CHECKED, ClaimStatus.PROCESSED, ClaimStatus.VALUATED]
PASSED_CHECKS = [ClaimStatus.CHECKED, ClaimStatus.PROCESSED, ClaimStatus.VALUATED]
# statuses with a processing date (Rejected is processed at once)
PROCESSED = [ClaimStatus.REJECTED, ClaimStatus.PROCESSED, ClaimStatus.VALUATED]
LINE_REJECT_RATE = 0.08  # lines rejected by the checks/review on checked and later claims
LINE_REASONS = np.array(
    [
        RejectionReason.REJECTED_BY_MEDICAL_OFFICER,
        RejectionReason.NOT_IN_REGISTERS,
        RejectionReason.NOT_IN_PRICE_LIST,
        RejectionReason.FREQUENCY,
        RejectionReason.DUPLICATED,
        RejectionReason.INVALID_TARGET_DATE,
        RejectionReason.CARE_TYPE,
        RejectionReason.MAX_PROVISIONS,
    ]
)
CLAIM_HISTORY_RATE = 0.03
CLAIM_DELETED_RATE = 0.01
# Data-entry errors counted by OI_DQ_CLAIMS (INDICATORS.md v1.1), each on this share of claims.
DQ_ERROR_RATE = 0.004
DELETED_CLAIM_LINES_LEFT_CURRENT = (
    0.5  # lines of deleted claims that stay current (real-data quirk)
)
LINE_DELETED_RATE = 0.005
VISIT_TYPES = np.array([VisitType.OTHER, VisitType.EMERGENCY, VisitType.REFERRAL, ""])
VISIT_P = [0.70, 0.15, 0.12, 0.03]
REVIEW_CODES = np.array(
    [ReviewStatus.IDLE, ReviewStatus.NOT_SELECTED, ReviewStatus.SELECTED, ReviewStatus.DELIVERED]
)
REVIEW_P = [0.8, 0.12, 0.05, 0.03]
# service categories that decide ClaimCategory (in this order of precedence)
CATEGORY_SERVICES = [
    ServiceCategory.SURGERY,
    ServiceCategory.DELIVERY,
    ServiceCategory.ANTENATAL,
    ServiceCategory.CONSULTATION,
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _month_table(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = ctx.options.months
    starts = add_months(np.full(n, ctx.span_start), np.arange(n))
    ends = np.r_[starts[1:], ctx.span_end]
    cal_month = (starts.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
    return starts, ends, cal_month


@dataclass(frozen=True, slots=True)
class _Visits:
    """When each claim's visit happened and who made it (one entry per claim)."""

    member: IntArray  # index into the chunk's insurees
    day: IntArray  # visit day (days since 1970-01-01)
    in_season: BoolArray
    female_fertile: BoolArray
    child: BoolArray


@dataclass(frozen=True, slots=True)
class _Diagnoses:
    group: IntArray  # index into GROUPS
    icd_idx: IntArray  # index into ref.icd_ids
    inpatient: BoolArray
    stay: IntArray  # nights for in-patients


@dataclass(frozen=True, slots=True)
class _Encounter:
    hf: IntArray  # HfID
    date_to: IntArray  # -1 where DateTo is null
    date_to_null: BoolArray
    claimed_day: IntArray


@dataclass(slots=True)
class _Line:
    """Item or service lines: which claim each belongs to and how its checks went."""

    claim_of: IntArray
    ref_idx: IntArray
    qty: FloatArray
    asked: FloatArray
    own: BoolArray
    rejected: BoolArray
    reason: IntArray


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Per-claim status and coverage, after the line checks."""

    claim_ids: IntArray
    status: IntArray
    no_cover: BoolArray
    covered: BoolArray
    pol_id: IntArray
    prod_id: IntArray


@dataclass(frozen=True, slots=True)
class _Draft:
    """Everything known about the chunk's claims before their rows are written."""

    visits: _Visits
    diag: _Diagnoses
    enc: _Encounter
    outcome: _Outcome


def build_claims(
    ctx: Context, ref: Reference, rng: np.random.Generator, people: People, cover: Cover
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """tblClaim, tblClaimItems and tblClaimServices rows for the chunk's insurees.

    The steps draw from ``rng`` in a fixed order: reordering them changes every generated row.
    """
    visits = _visits(ctx, rng, people)
    diag = _diagnoses(ref, rng, visits)
    enc = _encounter(ctx, ref, rng, people, visits, diag)
    covered, pol_id, prod_id = _coverage(cover, people.member_family[visits.member], visits.day)
    status, no_cover = _initial_status(ctx, rng, enc.claimed_day, covered)
    n = len(visits.day)
    claim_ids = ctx.ids("tblClaim", n)
    lines = _line_checks(ref, rng, diag, status, no_cover)
    status = _rejected_when_every_line_failed(status, lines, n)
    outcome = _Outcome(claim_ids, status, no_cover, covered, pol_id, prod_id)
    frames, totals, cats = _line_frames(ctx, ref, rng, lines, outcome)
    draft = _Draft(visits, diag, enc, outcome)
    claims, submit_day = _claim_frame(ctx, ref, rng, people, draft, totals, cats)
    checked = np.isin(status, CHECKED)
    return _claim_mess(ctx, rng, claims, frames, submit_day, checked)


def _visits(ctx: Context, rng: np.random.Generator, people: People) -> _Visits:
    """How many claims each insuree makes (by age and sex) and on which day."""
    n_m = len(people.insuree_ids)
    age0 = (ctx.span_start - people.member_dob) / 365.25
    female = people.member_sex == Gender.FEMALE
    factor = np.where(age0 < 5, 1.8, np.where(age0 >= 60, 1.3, 1.0))
    factor = np.where(female & (age0 >= 15) & (age0 < 50), factor * 1.4, factor)
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
    female_fertile = female[member] & (age >= 15) & (age < 50)
    return _Visits(member, day, in_season, female_fertile, age < 5)


def _diagnoses(ref: Reference, rng: np.random.Generator, visits: _Visits) -> _Diagnoses:
    """Main diagnosis group (malaria season, pregnancy, childhood), then a code of that group."""
    n = len(visits.day)
    p = np.zeros((n, len(GROUPS)))
    p[:, 0] = np.where(visits.in_season, 0.30, 0.08)
    p[:, 1] = np.where(visits.female_fertile, 0.16, 0)
    p[:, 2] = np.where(visits.female_fertile, 0.05, 0)
    p[:, 3] = np.where(visits.female_fertile, 0.01, 0)
    p[:, 4] = np.where(visits.child, 0.28, 0.16)
    p[:, 5] = np.where(visits.child, 0.18, 0.08)
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
    return _Diagnoses(group, icd_idx, inpatient, stay)


def _encounter(
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    people: People,
    visits: _Visits,
    diag: _Diagnoses,
) -> _Encounter:
    """Facility (usually in the family's district; deliveries and stays go to a hospital or
    centre), the visit's end and the day it was claimed."""
    day = visits.day
    n = len(day)
    fam = people.member_family[visits.member]
    district = ref.village_district[people.family_village[fam]]
    hf = _facility(ref, rng, district, diag.inpatient)
    date_to_kind = rng.random(n)
    date_to = np.where(
        diag.inpatient,
        day + diag.stay,
        np.where(date_to_kind < 0.6, day, np.where(date_to_kind < 0.95, -1, day + 1)),
    )
    date_to_null = date_to < 0
    ref_day = np.where(date_to_null, day, date_to)
    claimed_day = np.minimum(ref_day + rng.integers(0, 15, n), ctx.span_end - 1)
    return _Encounter(hf, date_to, date_to_null, claimed_day)


def _initial_status(
    ctx: Context, rng: np.random.Generator, claimed_day: IntArray, covered: BoolArray
) -> tuple[IntArray, BoolArray]:
    """Status by the claim's age; a checked claim without cover is Rejected."""
    recent = claimed_day > ctx.as_of - 45
    u = rng.random(len(claimed_day))
    status = np.where(
        recent,
        STATUS_CODES[_cdf_pick(u, STATUS_P_RECENT)],
        STATUS_CODES[_cdf_pick(u, STATUS_P_OLD)],
    )
    no_cover = np.isin(status, CHECKED) & ~covered
    return np.where(no_cover, ClaimStatus.REJECTED, status), no_cover


def _line_checks(
    ref: Reference,
    rng: np.random.Generator,
    diag: _Diagnoses,
    status: IntArray,
    no_cover: BoolArray,
) -> dict[str, _Line]:
    """Service and item lines with their asked prices and the outcome of the claim's checks."""
    svc = _service_lines(ref, rng, diag.group, diag.inpatient, diag.stay, diag.group == 0)
    itm = _item_lines(ref, rng, diag.group)
    lines = {}
    for kind, (claim_of, ref_idx, qty, price_list) in (("svc", svc), ("itm", itm)):
        m = len(claim_of)
        own_price = rng.random(m) < 0.05
        asked = np.where(own_price, np.round(price_list * rng.uniform(0.9, 1.2, m), -1), price_list)
        st = status[claim_of]
        rejected = np.where(
            st == ClaimStatus.REJECTED,
            True,
            np.isin(st, PASSED_CHECKS) & (rng.random(m) < LINE_REJECT_RATE),
        )
        reason = np.where(
            no_cover[claim_of],
            RejectionReason.NO_ACTIVE_POLICY,
            LINE_REASONS[rng.integers(0, len(LINE_REASONS), m)],
        )
        lines[kind] = _Line(claim_of, ref_idx, qty, asked, own_price, rejected, reason)
    return lines


def _rejected_when_every_line_failed(status: IntArray, lines: dict[str, _Line], n: int) -> IntArray:
    """A checked claim whose every line failed is Rejected (the submission rule)."""
    svc, itm = lines["svc"], lines["itm"]
    n_lines = np.bincount(svc.claim_of, minlength=n) + np.bincount(itm.claim_of, minlength=n)
    n_rej = np.bincount(svc.claim_of, weights=svc.rejected, minlength=n) + np.bincount(
        itm.claim_of, weights=itm.rejected, minlength=n
    )
    return np.where(
        np.isin(status, PASSED_CHECKS) & (n_rej == n_lines), ClaimStatus.REJECTED, status
    )


def _line_frames(
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    lines: dict[str, _Line],
    outcome: _Outcome,
) -> tuple[dict[str, pd.DataFrame], dict[str, FloatArray], dict[str, BoolArray]]:
    """Line rows (approved quantities and prices, valuation), the claims' totals, and which
    service categories each claim has (for ClaimCategory)."""
    n = len(outcome.status)
    frames = {}
    totals = {"claimed": np.zeros(n), "approved": np.zeros(n), "valuated": np.zeros(n)}
    cats: dict[str, BoolArray] = {c.value: np.zeros(n, bool) for c in CATEGORY_SERVICES}
    for kind in ("svc", "itm"):
        line = lines[kind]
        co = line.claim_of
        table = "tblClaimServices" if kind == "svc" else "tblClaimItems"
        frame, amounts = _line_frame(ctx, rng, table, line, outcome)
        for key, amount in amounts.items():
            totals[key] += np.bincount(co, weights=amount, minlength=n)
        if kind == "svc":
            scat = ref.service_cat[line.ref_idx]
            for c in cats:
                cats[c] |= np.bincount(co, weights=(scat == c), minlength=n) > 0
            frame["ServiceID"] = ref.service_ids[line.ref_idx]
        else:
            frame["ItemID"] = ref.item_ids[line.ref_idx]
            frame["Availability"] = True
        frames[table] = pd.DataFrame(frame)
    return frames, totals, cats


def _line_frame(
    ctx: Context, rng: np.random.Generator, table: str, line: _Line, outcome: _Outcome
) -> tuple[dict[str, object], dict[str, FloatArray]]:
    """The columns of one line table, and each line's claimed/approved/valuated amount."""
    co = line.claim_of
    st = outcome.status[co]
    m = len(co)
    chk = np.isin(st, CHECKED)
    rej = line.rejected & chk
    passed = chk & ~rej
    qty_appr = np.where(
        rej, 0.0, np.where(rng.random(m) < 0.05, np.maximum(line.qty - 1, 1), line.qty)
    )
    adjusted = passed & (rng.random(m) < 0.03)
    price_appr = np.where(adjusted, np.round(line.asked * 0.8, -1), line.asked)
    valuated = passed & (st == ClaimStatus.VALUATED)
    amount = np.round(qty_appr * price_appr, 2)
    amounts = {
        "claimed": line.qty * line.asked,
        "approved": np.where(passed, amount, 0),
        "valuated": np.where(valuated, amount, 0),
    }
    svc = table == "tblClaimServices"
    insured = chk & outcome.covered[co]
    frame: dict[str, object] = {
        "ClaimServiceID" if svc else "ClaimItemID": ctx.ids(table, m),
        "ClaimServiceStatus" if svc else "ClaimItemStatus": np.where(
            rej, LineStatus.REJECTED, LineStatus.PASSED
        ),
        "QtyProvided": line.qty.astype(np.float64),
        "QtyApproved": nullable_float(qty_appr, ~chk),
        "PriceAsked": line.asked,
        "PriceAdjusted": nullable_float(price_appr, ~adjusted),
        "PriceApproved": nullable_float(price_appr, ~chk),
        "PriceValuated": nullable_float(amount, ~valuated),
        "RejectionReason": nullable_int(np.where(rej, line.reason, 0), np.zeros(m, bool)),
        "AuditUserID": AUDIT_USER,
        "RemuneratedAmount": nullable_float(amount, ~valuated),
        "DeductableAmount": nullable_float(np.zeros(m), ~valuated),
        "PriceOrigin": np.where(line.own, "O", "P"),
        "ClaimID": outcome.claim_ids[co],
        "PolicyID": nullable_int(outcome.pol_id[co], ~insured),
        "ProdID": nullable_int(outcome.prod_id[co], ~insured),
    }
    return frame, amounts


def _claim_category(
    cats: dict[str, BoolArray], day: IntArray, enc: _Encounter
) -> npt.NDArray[np.str_]:
    """Surgery, delivery, antenatal by their services, then a stay, a consultation, a visit."""
    stayed = ~enc.date_to_null & (enc.date_to != day)
    return np.where(
        cats[ClaimCategory.SURGERY],
        ClaimCategory.SURGERY.value,
        np.where(
            cats[ClaimCategory.DELIVERY],
            ClaimCategory.DELIVERY.value,
            np.where(
                cats[ClaimCategory.ANTENATAL],
                ClaimCategory.ANTENATAL.value,
                np.where(
                    stayed,
                    ClaimCategory.HOSPITALIZATION.value,
                    np.where(
                        cats[ClaimCategory.CONSULTATION],
                        ClaimCategory.CONSULTATION.value,
                        ClaimCategory.VISIT.value,
                    ),
                ),
            ),
        ),
    )


def _claim_frame(
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    people: People,
    draft: _Draft,
    totals: dict[str, FloatArray],
    cats: dict[str, BoolArray],
) -> tuple[pd.DataFrame, IntArray]:
    """tblClaim rows (dates of processing, review, visit type, secondary diagnoses, amounts),
    and each claim's submission day (for the history copies)."""
    visits, diag, enc, outcome = draft.visits, draft.diag, draft.enc, draft.outcome
    day, status, claimed_day = visits.day, outcome.status, enc.claimed_day
    n = len(day)
    checked = np.isin(status, CHECKED)
    category = _claim_category(cats, day, enc)
    processed = np.isin(status, PROCESSED)
    settle = np.minimum(claimed_day + 1 + rng.gamma(2.0, 12.0, n).astype(np.int64), ctx.as_of)
    date_processed = np.where(processed, np.maximum(settle, claimed_day), 0)
    submit_day = claimed_day + rng.integers(0, 3, n)
    vf_day = np.minimum(
        np.where(processed, date_processed, np.where(checked, submit_day, claimed_day)), ctx.as_of
    )
    rejected = status == ClaimStatus.REJECTED
    reason = np.where(
        rejected,
        np.where(
            outcome.no_cover, RejectionReason.NO_ACTIVE_POLICY, RejectionReason.NOT_IN_REGISTERS
        ),
        RejectionReason.ACCEPTED,
    )
    review = REVIEW_CODES[rng.choice(4, n, p=REVIEW_P)]
    admin = ref.hf_admin[np.searchsorted(ref.hf_ids, enc.hf)]
    visit = VISIT_TYPES[rng.choice(4, n, p=VISIT_P)]
    secondary: BoolArray = rng.random((n, 4)) < np.array([0.2, 0.06, 0.02, 0.01])
    sec_codes = ref.icd_ids[rng.integers(0, len(ref.icd_ids), (n, 4))]
    not_valuated = status != ClaimStatus.VALUATED
    claims = pd.DataFrame(
        {
            "ClaimID": outcome.claim_ids,
            "ClaimUUID": uuids(rng, n),
            "ClaimCategory": pd.Series(category).where(checked, None),
            "ClaimCode": codes("C", outcome.claim_ids, 7),
            "DateFrom": dates(day),
            "DateTo": dates(enc.date_to, null=enc.date_to_null),
            "ClaimStatus": status,
            "Claimed": np.round(totals["claimed"], 2),
            "Approved": nullable_float(totals["approved"], ~checked),
            "Valuated": nullable_float(totals["valuated"], not_valuated),
            "DateClaimed": dates(claimed_day),
            "DateProcessed": dates(date_processed, null=~processed),
            "Feedback": False,
            "FeedbackStatus": ReviewStatus.IDLE.value,
            "ReviewStatus": review,
            "ApprovalStatus": nullable_int(
                np.where(rejected, ApprovalStatus.REJECTED, ApprovalStatus.PASSED), ~checked
            ),
            "RejectionReason": reason,
            "AuditUserID": AUDIT_USER,
            "SubmitStamp": stamps(submit_day, rng, null=~checked),
            "ProcessStamp": stamps(date_processed, rng, null=~processed),
            "Remunerated": nullable_float(totals["valuated"], not_valuated),
            "VisitType": pd.Series(visit).where(visit != "", None),
            "ClaimAdminId": admin,
            "HFID": enc.hf,
            "ICDID": ref.icd_ids[diag.icd_idx],
            "ICDID1": nullable_int(sec_codes[:, 0], ~secondary[:, 0]),
            "ICDID2": nullable_int(sec_codes[:, 1], ~(secondary[:, 0] & secondary[:, 1])),
            "ICDID3": nullable_int(
                sec_codes[:, 2], ~(secondary[:, 0] & secondary[:, 1] & secondary[:, 2])
            ),
            "ICDID4": nullable_int(sec_codes[:, 3], ~np.logical_and.reduce(secondary, axis=1)),
            "InsureeID": people.insuree_ids[visits.member],
            "ValidityFrom": stamps(vf_day, rng),
            "ValidityTo": stamps(vf_day, rng, null=np.ones(n, bool)),
            "LegacyID": nullable_int(outcome.claim_ids, np.ones(n, bool)),
        }
    )
    return claims, submit_day


def _date_errors(ctx: Context, claims: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> None:
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
    valuated = (claims["ClaimStatus"] == ClaimStatus.VALUATED).to_numpy()
    bare = claims["ClaimID"].to_numpy()[pick[4] & valuated]
    for frame in frames.values():
        gone = np.isin(frame["ClaimID"].to_numpy(), bare)
        frame["ValidityTo"] = frame["ValidityTo"].where(~gone, frame["ValidityFrom"] + day)


def _claim_mess(
    ctx: Context,
    rng: np.random.Generator,
    claims: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    submit_day: IntArray,
    checked: BoolArray,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Deleted claims and lines, data-entry errors, and history copies of claims and lines."""
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
    old["ClaimStatus"] = ClaimStatus.ENTERED.value
    old["RejectionReason"] = RejectionReason.ACCEPTED.value
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
        copy[status_col] = LineStatus.PASSED.value
        copy["RejectionReason"] = RejectionReason.ACCEPTED.value
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


def _sample_rows(rng: np.random.Generator, p: FloatArray) -> IntArray:
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    picked: IntArray = np.minimum((rng.random(len(p))[:, None] > cdf).sum(axis=1), p.shape[1] - 1)
    return picked


def _cdf_pick(u: FloatArray, probs: list[float]) -> IntArray:
    picked: IntArray = np.minimum(
        np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1
    )
    return picked


def _facility(
    ref: Reference, rng: np.random.Generator, district: IntArray, inpatient: BoolArray
) -> IntArray:
    n = len(district)
    order = np.argsort(ref.hf_district, kind="stable")
    counts = np.bincount(ref.hf_district, minlength=len(ref.district_ids))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    elsewhere = rng.random(n) < 0.15
    d = np.where(elsewhere, rng.integers(0, len(ref.district_ids), n), district)
    hf_idx = order[starts[d] + (rng.random(n) * counts[d]).astype(np.int64)]
    big = np.flatnonzero(ref.hf_level != HFLevel.DISPENSARY)
    need = inpatient & (ref.hf_level[hf_idx] == HFLevel.DISPENSARY)
    hf_idx[need] = big[rng.integers(0, len(big), need.sum())]
    hf: IntArray = ref.hf_ids[hf_idx]
    return hf


def _coverage(cover: Cover, fam: IntArray, day: IntArray) -> tuple[BoolArray, IntArray, IntArray]:
    """Whether a current, effective policy of the family covers each day; its PolicyID, ProdID."""
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


Lines = tuple[
    IntArray, IntArray, FloatArray, FloatArray
]  # claim index, catalogue index, qty, price


def _service_lines(
    ref: Reference,
    rng: np.random.Generator,
    group: IntArray,
    inpatient: BoolArray,
    stay: IntArray,
    malaria: BoolArray,
) -> Lines:
    """A primary service by diagnosis and setting, stay days, malaria microscopy, extras."""
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
    claim_ofs = [np.arange(n)]
    idxs = [primary]
    qtys = [qty]
    # hospital stay lines
    stay_rows = np.flatnonzero(inpatient)
    claim_ofs.append(stay_rows)
    idxs.append(np.where(np.isin(group[stay_rows], [2, 3]), _svc("HO0002"), _svc("HO0001")))
    qtys.append(stay[stay_rows].astype(np.float64))
    # malaria microscopy half the time
    mal = np.flatnonzero(malaria & (rng.random(n) < 0.5))
    claim_ofs.append(mal)
    idxs.append(np.full(len(mal), _svc("LB0001")))
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
    claim_ofs.append(extra_claim)
    idxs.append(extra_idx)
    qtys.append(np.ones(len(extra_claim)))
    claim_of = np.concatenate(claim_ofs)
    idx = np.concatenate(idxs)
    qty = np.concatenate(qtys)
    order = np.argsort(claim_of, kind="stable")
    claim_of, idx, qty = claim_of[order], idx[order], qty[order]
    return claim_of, idx, qty, ref.service_price[idx]


def _item_lines(ref: Reference, rng: np.random.Generator, group: IntArray) -> Lines:
    """Drugs and consumables, more likely the ones that treat the claim's diagnosis group."""
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
    is_drug = ref.item_type[idx] == ItemType.DRUG
    qty = np.where(is_drug, 1 + rng.poisson(5, len(idx)), 1 + rng.poisson(0.3, len(idx))).astype(
        np.float64
    )
    return claim_of, idx, qty, ref.item_price[idx]
