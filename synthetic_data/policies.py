"""Policies (new and renewal chains), insuree-policy rows and contributions for a chunk of families."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


@dataclass
class Cover:
    """Current, non-idle policies of the chunk, sorted by (family, start) for coverage look-ups."""

    family: np.ndarray  # family index
    start: np.ndarray  # first covered day (EffectiveDate)
    expiry: np.ndarray  # last covered day
    policy_id: np.ndarray
    prod_id: np.ndarray


def build_policies(ctx: Context, ref: Reference, rng: np.random.Generator, people: People):
    n_fam = len(people.family_ids)
    # Renewal chains: policy k+1 exists when policy k was renewed and starts before the span ends.
    renewed = rng.random((n_fam, MAX_CHAIN)) < RENEWAL_RATE
    alive = np.cumprod(np.c_[np.ones(n_fam, bool), renewed[:, :-1]], axis=1).astype(bool)
    first = people.family_reg_day + rng.integers(0, 20, n_fam)
    k = np.arange(MAX_CHAIN)
    start_grid = add_months(np.repeat(first, MAX_CHAIN), np.tile(k * 12, n_fam)).reshape(
        n_fam, MAX_CHAIN
    )
    alive &= start_grid < ctx.span_end
    fam, idx = np.nonzero(alive)
    n = len(fam)
    start = start_grid[fam, idx]
    is_last = ~np.r_[(fam[1:] == fam[:-1]), False]
    stage = np.where(idx == 0, "N", "R")
    # Renewals are sold a little before (or after) the previous policy ends.
    enroll = np.where(idx == 0, first[fam], start + rng.integers(-25, 10, n))
    start = np.maximum(start, enroll)
    expiry = add_months(start, 12) - 1
    idle = is_last & (rng.random(n) < IDLE_RATE_LAST)
    pay_day = enroll + rng.integers(0, 25, n)
    effective = np.maximum(start, pay_day)
    status = np.where(
        idle, 1, np.where(expiry < ctx.as_of, 8, np.where(effective > ctx.as_of, 16, 2))
    )
    status = np.where((status == 2) & (rng.random(n) < SUSPENDED_RATE), 4, status)
    # Product: kept across renewals; regional products only in their regions.
    region = ref.village_region[people.family_village]
    u = rng.random(n_fam)
    regional = np.flatnonzero(ref.product_region >= 0)
    prod_idx = np.where(u < 0.7, 0, 1)
    for j in regional:
        prod_idx = np.where((region == ref.product_region[j]) & (u > 0.88), j, prod_idx)
    prod_idx = prod_idx[fam]
    members = people.family_size[fam]
    adults = np.add.reduceat(people.member_adult.astype(np.int64), people.member_start)[fam]
    value = (
        adults * ref.product_premium[prod_idx, 0]
        + (members - adults) * ref.product_premium[prod_idx, 1]
    )
    district = ref.village_district[people.family_village][fam]
    off_counts = np.bincount(ref.officer_district, minlength=len(ref.district_ids))
    off_start = np.r_[0, np.cumsum(off_counts)[:-1]]
    officer = ref.officer_ids[
        off_start[district] + (rng.random(n) * off_counts[district]).astype(np.int64)
    ]
    ids = ctx.ids("tblPolicy", n)
    vf_day = np.where(
        idle, enroll, np.minimum(np.where(status == 8, expiry + 1, effective), ctx.as_of)
    )
    policies = pd.DataFrame(
        {
            "PolicyID": ids,
            "PolicyUUID": uuids(rng, n),
            "PolicyStage": stage,
            "PolicyStatus": status,
            "PolicyValue": value,
            "EnrollDate": dates(enroll),
            "StartDate": dates(start),
            "EffectiveDate": dates(effective, null=idle),
            "ExpiryDate": dates(expiry),
            "isOffline": False,
            "AuditUserID": AUDIT_USER,
            "FamilyID": people.family_ids[fam],
            "OfficerID": officer,
            "ProdID": ref.product_ids[prod_idx],
            "ValidityFrom": stamps(vf_day, rng),
            "ValidityTo": stamps(vf_day, rng, null=np.ones(n, bool)),
            "LegacyID": nullable_int(ids, np.ones(n, bool)),
        }
    )
    deleted = rng.random(n) < POLICY_DELETED_RATE
    vt = policies["ValidityTo"].copy()
    vt[deleted] = policies["ValidityFrom"][deleted] + pd.Timedelta(days=3)
    policies["ValidityTo"] = vt
    # History copies: the Idle version a policy had before its contribution made it active.
    hist = np.flatnonzero((~idle) & (rng.random(n) < POLICY_HISTORY_RATE))
    old = policies.iloc[hist].copy()
    old["LegacyID"] = nullable_int(old["PolicyID"].to_numpy(), np.zeros(len(old), bool))
    old["PolicyID"] = ctx.ids("tblPolicy", len(old))
    old["PolicyUUID"] = uuids(rng, len(old)).to_numpy()
    old["PolicyStatus"] = 1
    old["EffectiveDate"] = pd.NaT
    old["ValidityTo"] = old["ValidityFrom"]
    old["ValidityFrom"] = stamps(enroll[hist], rng)
    policy_frame = pd.concat([policies, old], ignore_index=True)

    insuree_policy = _insuree_policies(
        ctx, rng, people, fam, ids, enroll, start, effective, expiry, idle
    )
    premiums = _premiums(ctx, ref, rng, ids, stage, value, enroll, pay_day, idle, status)
    live = (~idle) & (~deleted) & (status != 1)
    order = np.lexsort((effective[live], fam[live]))
    cover = Cover(
        family=fam[live][order],
        start=effective[live][order],
        expiry=expiry[live][order],
        policy_id=ids[live][order],
        prod_id=ref.product_ids[prod_idx][live][order],
    )
    return policy_frame, insuree_policy, premiums, cover


def _insuree_policies(
    ctx, rng, people: People, fam, ids, enroll, start, effective, expiry, idle
) -> pd.DataFrame:
    size = people.family_size[fam]
    pol = np.repeat(np.arange(len(fam)), size)
    member = people.member_start[fam][pol] + (
        np.arange(len(pol)) - np.repeat(np.r_[0, np.cumsum(size)[:-1]], size)
    )
    join = people.member_join_day[member]
    keep = join <= expiry[pol]  # members added later join the policies running at that time
    pol, member, join = pol[keep], member[keep], join[keep]
    n = len(pol)
    enrol_m = np.maximum(enroll[pol], join)
    eff_m = np.maximum(effective[pol], join)
    return pd.DataFrame(
        {
            "InsureePolicyID": ctx.ids("tblInsureePolicy", n),
            "EnrollmentDate": dates(enrol_m),
            "StartDate": dates(start[pol]),
            "EffectiveDate": dates(eff_m, null=idle[pol]),
            "ExpiryDate": dates(expiry[pol]),
            "isOffline": False,
            "AuditUserID": AUDIT_USER,
            "InsureeID": people.insuree_ids[member],
            "PolicyId": ids[pol],
            "ValidityFrom": stamps(np.minimum(enrol_m, ctx.as_of), rng),
        }
    )


def _premiums(
    ctx, ref: Reference, rng, ids, stage, value, enroll, pay_day, idle, status
) -> pd.DataFrame:
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
    pol, amount, day = [], [], []
    for where, share, shift in rows:
        pol.append(where)
        amount.append(np.round(value[where] * share, 2))
        d = np.where(shift < 0, enroll[where], pay_day[where])
        day.append(np.where(partial[where], enroll[where], d))
    photo = np.flatnonzero((stage == "N") & (rng.random(n) < PHOTO_FEE_RATE))
    pol.append(photo)
    amount.append(np.full(len(photo), 1000.0))
    day.append(enroll[photo])
    is_photo = np.r_[np.zeros(sum(len(p) for p in pol[:-1]), bool), np.ones(len(photo), bool)]
    pol = np.concatenate(pol)
    amount = np.concatenate(amount)
    day = np.minimum(np.concatenate(day), ctx.as_of)
    m = len(pol)
    pay_type = np.array(["C", "M", "B", "F"])[rng.choice(4, m, p=[0.7, 0.2, 0.07, 0.03])]
    payer = np.where(
        pay_type == "F",
        ref.payer_ids[rng.integers(0, 2, m)],
        ref.payer_ids[rng.integers(0, len(ref.payer_ids), m)],
    )
    payer_null = (pay_type != "F") & (rng.random(m) > 0.05)
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
