"""Policies (new and renewal chains), insuree-policy rows and contributions for a chunk of families."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from openimis_db.codes import PayType, PolicyStage, PolicyStatus
from synthetic_data._util import (
    add_months,
    codes,
    dates,
    nullable_bool,
    nullable_int,
    stamps,
    uuids,
)
from synthetic_data.context import AUDIT_USER, Context
from synthetic_data.people import People
from synthetic_data.reference import Reference

RENEWAL_RATE = 0.80  # a policy is followed by a renewal with this probability
IDLE_RATE_LAST = 0.12  # last policy of a chain never paid (Idle, EffectiveDate NULL)
SUSPENDED_RATE = 0.005
INSTALMENT_RATE = 0.10  # contributions paid in two parts
PARTIAL_IDLE_RATE = 0.5  # idle policies with a partial (insufficient) contribution
PHOTO_FEE_RATE = 0.10  # new policies with a photo/card fee premium (isPhotoFee)
PREMIUM_DELETED_RATE = 0.005
POLICY_HISTORY_RATE = 0.02  # history copy: the Idle version before activation
POLICY_DELETED_RATE = 0.003
MAX_CHAIN = 16
PAY_TYPES = np.array([PayType.CASH, PayType.MOBILE_PHONE, PayType.BANK_TRANSFER, PayType.FUNDING])

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Cover:
    """Current, non-idle policies of the chunk, sorted by (family, start) for coverage look-ups."""

    family: np.ndarray  # family index
    start: np.ndarray  # first covered day (EffectiveDate)
    expiry: np.ndarray  # last covered day
    policy_id: np.ndarray
    prod_id: np.ndarray


@dataclass(frozen=True, slots=True)
class _Chains:
    """One entry per policy of the chunk: renewal chains of each family, with their dates."""

    fam: IntArray  # index of the family in the chunk
    ids: IntArray  # PolicyID
    stage: npt.NDArray[np.str_]
    enroll: IntArray
    start: IntArray
    effective: IntArray
    expiry: IntArray
    pay_day: IntArray
    idle: BoolArray
    status: IntArray
    value: FloatArray


def build_policies(
    ctx: Context, ref: Reference, rng: np.random.Generator, people: People
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Cover]:
    """tblPolicy, tblInsureePolicy and tblPremium rows, and the cover the claims look up.

    The steps draw from ``rng`` in a fixed order: reordering them changes every generated row.
    """
    fam, start, stage, enroll, first = _renewal_chains(ctx, rng, people)
    n = len(fam)
    start = np.maximum(start, enroll)
    expiry = add_months(start, 12) - 1
    idle = ~np.r_[(fam[1:] == fam[:-1]), False] & (rng.random(n) < IDLE_RATE_LAST)
    pay_day = enroll + rng.integers(0, 25, n)
    effective = np.maximum(start, pay_day)
    status = _policy_status(ctx, rng, idle, effective, expiry)
    prod_idx = _products(ref, rng, people)[fam]
    members = people.family_size[fam]
    adults = np.add.reduceat(people.member_adult.astype(np.int64), people.member_start)[fam]
    value = (
        adults * ref.product_premium[prod_idx, 0]
        + (members - adults) * ref.product_premium[prod_idx, 1]
    )
    officer = _officers(ref, rng, people, fam)
    ids = ctx.ids("tblPolicy", n)
    chains = _Chains(
        fam, ids, stage, enroll, start, effective, expiry, pay_day, idle, status, value
    )
    policy_frame, deleted = _policy_frame(ctx, ref, rng, people, chains, prod_idx, officer)
    insuree_policy = _insuree_policies(ctx, rng, people, chains)
    premiums = _premiums(ctx, ref, rng, chains)
    live = (~idle) & (~deleted) & (status != PolicyStatus.IDLE)
    order = np.lexsort((effective[live], fam[live]))
    cover = Cover(
        family=fam[live][order],
        start=effective[live][order],
        expiry=expiry[live][order],
        policy_id=ids[live][order],
        prod_id=ref.product_ids[prod_idx][live][order],
    )
    return policy_frame, insuree_policy, premiums, cover


def _renewal_chains(
    ctx: Context, rng: np.random.Generator, people: People
) -> tuple[IntArray, IntArray, npt.NDArray[np.str_], IntArray, IntArray]:
    """Renewal chains: policy k+1 exists when policy k was renewed and starts before the span
    ends. Returns each policy's family, nominal start, stage, enrolment day, and the families'
    first day."""
    n_fam = len(people.family_ids)
    renewed = rng.random((n_fam, MAX_CHAIN)) < RENEWAL_RATE
    alive = np.cumprod(np.c_[np.ones(n_fam, bool), renewed[:, :-1]], axis=1).astype(bool)
    first = people.family_reg_day + rng.integers(0, 20, n_fam)
    k = np.arange(MAX_CHAIN)
    start_grid = add_months(np.repeat(first, MAX_CHAIN), np.tile(k * 12, n_fam)).reshape(
        n_fam, MAX_CHAIN
    )
    alive &= start_grid < ctx.span_end
    fam, idx = np.nonzero(alive)
    start = start_grid[fam, idx]
    stage = np.where(idx == 0, PolicyStage.NEW.value, PolicyStage.RENEWAL.value)
    # Renewals are sold a little before (or after) the previous policy ends.
    enroll = np.where(idx == 0, first[fam], start + rng.integers(-25, 10, len(fam)))
    return fam, start, stage, enroll, first


def _policy_status(
    ctx: Context,
    rng: np.random.Generator,
    idle: BoolArray,
    effective: IntArray,
    expiry: IntArray,
) -> IntArray:
    """Status at the snapshot date; a few active policies are suspended."""
    status = np.where(
        idle,
        PolicyStatus.IDLE,
        np.where(
            expiry < ctx.as_of,
            PolicyStatus.EXPIRED,
            np.where(effective > ctx.as_of, PolicyStatus.READY, PolicyStatus.ACTIVE),
        ),
    )
    suspended = (status == PolicyStatus.ACTIVE) & (rng.random(len(idle)) < SUSPENDED_RATE)
    return np.where(suspended, PolicyStatus.SUSPENDED, status)


def _products(ref: Reference, rng: np.random.Generator, people: People) -> IntArray:
    """Each family's product (kept across renewals); regional products only in their regions."""
    region = ref.village_region[people.family_village]
    u = rng.random(len(people.family_ids))
    regional = np.flatnonzero(ref.product_region >= 0)
    prod_idx = np.where(u < 0.7, 0, 1)
    for j in regional:
        prod_idx = np.where((region == ref.product_region[j]) & (u > 0.88), j, prod_idx)
    return prod_idx


def _officers(ref: Reference, rng: np.random.Generator, people: People, fam: IntArray) -> IntArray:
    """An enrolment officer of the family's district for each policy."""
    district = ref.village_district[people.family_village][fam]
    off_counts = np.bincount(ref.officer_district, minlength=len(ref.district_ids))
    off_start = np.r_[0, np.cumsum(off_counts)[:-1]]
    return ref.officer_ids[  # type: ignore[no-any-return]
        off_start[district] + (rng.random(len(fam)) * off_counts[district]).astype(np.int64)
    ]


def _policy_frame(  # noqa: PLR0913 -- the policy row joins the chains, products and officers
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    people: People,
    chains: _Chains,
    prod_idx: IntArray,
    officer: IntArray,
) -> tuple[pd.DataFrame, BoolArray]:
    """tblPolicy rows with deleted rows and history copies (the Idle version a policy had before
    its contribution made it active); also which policies were deleted."""
    c = chains
    n = len(c.fam)
    vf_day = np.where(
        c.idle,
        c.enroll,
        np.minimum(
            np.where(c.status == PolicyStatus.EXPIRED, c.expiry + 1, c.effective), ctx.as_of
        ),
    )
    policies = pd.DataFrame(
        {
            "PolicyID": c.ids,
            "PolicyUUID": uuids(rng, n),
            "PolicyStage": c.stage,
            "PolicyStatus": c.status,
            "PolicyValue": c.value,
            "EnrollDate": dates(c.enroll),
            "StartDate": dates(c.start),
            "EffectiveDate": dates(c.effective, null=c.idle),
            "ExpiryDate": dates(c.expiry),
            "isOffline": False,
            "AuditUserID": AUDIT_USER,
            "FamilyID": people.family_ids[c.fam],
            "OfficerID": officer,
            "ProdID": ref.product_ids[prod_idx],
            "ValidityFrom": stamps(vf_day, rng),
            "ValidityTo": stamps(vf_day, rng, null=np.ones(n, bool)),
            "LegacyID": nullable_int(c.ids, np.ones(n, bool)),
        }
    )
    deleted = rng.random(n) < POLICY_DELETED_RATE
    vt = policies["ValidityTo"].copy()
    vt[deleted] = policies["ValidityFrom"][deleted] + pd.Timedelta(days=3)
    policies["ValidityTo"] = vt
    hist = np.flatnonzero((~c.idle) & (rng.random(n) < POLICY_HISTORY_RATE))
    old = policies.iloc[hist].copy()
    old["LegacyID"] = nullable_int(old["PolicyID"].to_numpy(), np.zeros(len(old), bool))
    old["PolicyID"] = ctx.ids("tblPolicy", len(old))
    old["PolicyUUID"] = uuids(rng, len(old)).to_numpy()
    old["PolicyStatus"] = PolicyStatus.IDLE.value
    old["EffectiveDate"] = pd.NaT
    old["ValidityTo"] = old["ValidityFrom"]
    old["ValidityFrom"] = stamps(c.enroll[hist], rng)
    return pd.concat([policies, old], ignore_index=True), deleted


def _insuree_policies(
    ctx: Context, rng: np.random.Generator, people: People, chains: _Chains
) -> pd.DataFrame:
    """tblInsureePolicy: each member on the policies running from the day they joined."""
    fam, idle = chains.fam, chains.idle
    size = people.family_size[fam]
    pol = np.repeat(np.arange(len(fam)), size)
    member = people.member_start[fam][pol] + (
        np.arange(len(pol)) - np.repeat(np.r_[0, np.cumsum(size)[:-1]], size)
    )
    join = people.member_join_day[member]
    keep = join <= chains.expiry[pol]  # members added later join the policies running at that time
    pol, member, join = pol[keep], member[keep], join[keep]
    n = len(pol)
    enrol_m = np.maximum(chains.enroll[pol], join)
    eff_m = np.maximum(chains.effective[pol], join)
    return pd.DataFrame(
        {
            "InsureePolicyID": ctx.ids("tblInsureePolicy", n),
            "EnrollmentDate": dates(enrol_m),
            "StartDate": dates(chains.start[pol]),
            "EffectiveDate": dates(eff_m, null=idle[pol]),
            "ExpiryDate": dates(chains.expiry[pol]),
            "isOffline": False,
            "AuditUserID": AUDIT_USER,
            "InsureeID": people.insuree_ids[member],
            "PolicyId": chains.ids[pol],
            "ValidityFrom": stamps(np.minimum(enrol_m, ctx.as_of), rng),
        }
    )


def _premiums(
    ctx: Context, ref: Reference, rng: np.random.Generator, chains: _Chains
) -> pd.DataFrame:
    """tblPremium: full payments, instalments, partial payments of idle policies, photo fees."""
    ids, stage, value = chains.ids, chains.stage, chains.value
    enroll, pay_day, idle = chains.enroll, chains.pay_day, chains.idle
    n = len(ids)
    u = rng.random(n)
    instal = (~idle) & (u < INSTALMENT_RATE)
    partial = idle & (u < PARTIAL_IDLE_RATE)
    # full payment / second instalment
    rows = [
        (np.flatnonzero(~idle & ~instal), 1.0, 0),
        (np.flatnonzero(instal), 0.4, -1),
        (np.flatnonzero(instal), 0.6, 0),
    ]
    rows.append((np.flatnonzero(partial), 0.3, 0))
    pols: list[IntArray] = []
    amounts: list[FloatArray] = []
    days: list[IntArray] = []
    for where, share, shift in rows:
        pols.append(where)
        amounts.append(np.round(value[where] * share, 2))
        d = np.where(shift < 0, enroll[where], pay_day[where])
        days.append(np.where(partial[where], enroll[where], d))
    photo = np.flatnonzero((stage == PolicyStage.NEW) & (rng.random(n) < PHOTO_FEE_RATE))
    pols.append(photo)
    amounts.append(np.full(len(photo), 1000.0))
    days.append(enroll[photo])
    is_photo = np.r_[np.zeros(sum(len(p) for p in pols[:-1]), bool), np.ones(len(photo), bool)]
    pol = np.concatenate(pols)
    amount = np.concatenate(amounts)
    day = np.minimum(np.concatenate(days), ctx.as_of)
    m = len(pol)
    pay_type = PAY_TYPES[rng.choice(4, m, p=[0.7, 0.2, 0.07, 0.03])]
    funded = pay_type == PayType.FUNDING
    payer = np.where(
        funded,
        ref.payer_ids[rng.integers(0, 2, m)],
        ref.payer_ids[rng.integers(0, len(ref.payer_ids), m)],
    )
    payer_null = ~funded & (rng.random(m) > 0.05)
    pid = ctx.ids("tblPremium", m)
    vf = pd.Series(stamps(day, rng))
    deleted = rng.random(m) < PREMIUM_DELETED_RATE
    return pd.DataFrame(
        {
            "PremiumId": pid,
            "PremiumUUID": uuids(rng, m),
            "Amount": amount,
            "Receipt": codes("RC", pid, 8),
            "PayDate": dates(day),
            "PayType": pay_type,
            "isPhotoFee": nullable_bool(is_photo, (~is_photo) & (rng.random(m) < 0.05)),
            "isOffline": False,
            "ValidityFrom": vf,
            "ValidityTo": vf.where(deleted, pd.NaT) + pd.Timedelta(days=2),
            "AuditUserID": AUDIT_USER,
            "PayerID": nullable_int(payer, payer_null),
            "PolicyID": ids[pol],
            "CreatedDate": dates(day),
        }
    )
