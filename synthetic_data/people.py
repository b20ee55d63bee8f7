"""Families and insurees: family sizes, an age pyramid of a low-income country, sex ratio, names.

The mess rates (history copies, deletions, NULL gender, odd dates, accents) are module constants so the
documentation and the tests refer to one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic_data import catalogue as cat
from synthetic_data._util import (
    blank,
    codes,
    dates,
    nullable_bool,
    nullable_int,
    pick,
    stamps,
    uuids,
)
from synthetic_data.context import AUDIT_USER, Context
from synthetic_data.reference import Reference

MEAN_EXTRA_MEMBERS = 3.4  # family size = 1 + Poisson(3.4), capped at 15 (mean ~4.4)
AGE_SCALE = 24.0  # exponential age pyramid: ~45% under 15, median ~17 (low-income country)
MAX_AGE = 95
SHARE_REGISTERED_BEFORE = 0.55  # families already enrolled before the span starts
RATE_NULL_GENDER = 0.01
RATE_OTHER_GENDER = 0.003
RATE_LEAP_DAY_DOB = 0.003
RATE_MONTH_END_DOB = 0.02
RATE_FUTURE_DOB = 0.0005
RATE_DQ_DOB = 0.002  # extra DOB errors counted by OI_DQ_INSUREES: born in the future, aged > 110
RATE_ACCENTED = 0.10
RATE_NON_LATIN = 0.02
RATE_INSUREE_HISTORY = 0.02
RATE_INSUREE_DELETED = 0.005
RATE_FAMILY_HISTORY = 0.01
RATE_FAMILY_DELETED = 0.002
RATE_LATE_MEMBER = 0.03  # members added to the family during the span


def family_sizes(rng: np.random.Generator, n_insurees: int) -> np.ndarray:
    """Sizes of the families holding exactly ``n_insurees`` people (the last one is trimmed)."""
    sizes = np.minimum(1 + rng.poisson(MEAN_EXTRA_MEMBERS, int(n_insurees / 4.0) + 16), 15)
    total = np.cumsum(sizes)
    k = int(np.searchsorted(total, n_insurees)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(total[k - 1] - n_insurees)
    return sizes


def ages(rng: np.random.Generator, n: int) -> np.ndarray:
    u = rng.random(n)
    return -AGE_SCALE * np.log1p(
        -u * (1 - np.exp(-MAX_AGE / AGE_SCALE))
    )  # truncated exponential, years


@dataclass
class People:
    """One chunk of families and their members (members contiguous per family, head first)."""

    families: pd.DataFrame  # all rows incl. mess
    insurees: pd.DataFrame
    family_ids: np.ndarray  # current families of the chunk
    family_village: np.ndarray  # index into ref.village_ids
    family_reg_day: np.ndarray
    family_size: np.ndarray
    member_start: np.ndarray  # offset of each family's first member in the member arrays
    insuree_ids: np.ndarray  # stable ids, per member
    member_family: np.ndarray  # family index per member
    member_join_day: np.ndarray
    member_dob: np.ndarray  # day numbers
    member_sex: np.ndarray  # 'M' 'F' 'O' ''
    member_adult: np.ndarray


def build_people(
    ctx: Context, ref: Reference, rng: np.random.Generator, sizes: np.ndarray
) -> People:
    n_fam = len(sizes)
    n = int(sizes.sum())
    fam_ids = ctx.ids("tblFamilies", n_fam)
    ins_ids = ctx.ids("tblInsuree", n)
    member_family = np.repeat(np.arange(n_fam), sizes)
    member_start = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.arange(n) - member_start[member_family]  # 0 = head
    is_head = rank == 0

    # Ages: the head is the eldest member and an adult.
    age = ages(rng, n)
    fam_max = np.maximum.reduceat(age, member_start)
    age[member_start] = np.maximum(fam_max, 18 + rng.random(n_fam) * 30)
    other_heads = (~is_head) & (age >= age[member_start][member_family])
    age[other_heads] = (
        age[member_start][member_family][other_heads] - 1 - rng.random(other_heads.sum()) * 10
    )
    age = np.clip(age, 0, MAX_AGE)

    # Sex: heads mostly men, the second adult (spouse) of the other sex, the rest ~50/50.
    u = rng.random(n)
    sex = np.where(u < 0.496, "M", "F")
    sex[is_head] = np.where(rng.random(n_fam) < 0.75, "M", "F")
    spouse = (rank == 1) & (age >= 18)
    head_sex = sex[member_start][member_family]
    sex[spouse] = np.where(head_sex[spouse] == "M", "F", "M")
    g = rng.random(n)
    sex[g < RATE_OTHER_GENDER] = "O"
    gender_null = (g >= RATE_OTHER_GENDER) & (g < RATE_OTHER_GENDER + RATE_NULL_GENDER)
    sex_code = np.where(gender_null, "", sex)

    # Registration: before the span (55%) or during it; members join with the family (some later).
    before = rng.random(n_fam) < SHARE_REGISTERED_BEFORE
    span = ctx.span_end - ctx.span_start
    reg = np.where(
        before,
        ctx.span_start - rng.integers(1, 730, n_fam),
        ctx.span_start
        + (np.sqrt(rng.random(n_fam)) * (span - 20)).astype(np.int64),  # enrolment grows
    )
    join = reg[member_family].copy()
    late = (~is_head) & (rng.random(n) < RATE_LATE_MEMBER)
    join[late] = np.maximum(join[late], ctx.span_start) + rng.integers(30, 300, late.sum())
    join = np.minimum(join, ctx.span_end - 1)

    # DOB from the age at the start of the span; then the deliberate date oddities.
    dob = ctx.span_start - np.floor(age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    dob_dt = dob.astype("datetime64[D]")
    odd = rng.random(n)
    month_end = odd < RATE_MONTH_END_DOB
    next_month = (dob_dt.astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64)
    dob = np.where(month_end, next_month - 1, dob)
    leap = (odd >= RATE_MONTH_END_DOB) & (odd < RATE_MONTH_END_DOB + RATE_LEAP_DAY_DOB)
    years = dob.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    leap_year = years - (
        years % 4
    )  # nearest earlier multiple of 4 (2000 was leap; 1900 never occurs here)
    leap_year = np.where(leap_year == 1900, 1904, leap_year)
    feb29 = (np.array(leap_year - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + 1).astype(
        "datetime64[D]"
    )
    dob = np.where(leap, (feb29 + 28).astype(np.int64), dob)
    future = (~is_head) & (odd > 1 - RATE_FUTURE_DOB)
    dob = np.where(
        future, ctx.as_of + rng.integers(1, 300, n), dob
    )  # data-entry error: born in the future

    # Names: a family name per family, given names by sex; some accented or non-Latin.
    fam_last = _names(
        rng, n_fam, cat.LAST_NAMES_LATIN, cat.LAST_NAMES_ACCENTED, cat.LAST_NAMES_NON_LATIN
    )
    last = fam_last.to_numpy()[member_family]
    own_last = rng.random(n) < 0.1
    last[own_last] = _names(
        rng,
        int(own_last.sum()),
        cat.LAST_NAMES_LATIN,
        cat.LAST_NAMES_ACCENTED,
        cat.LAST_NAMES_NON_LATIN,
    ).to_numpy()
    male_names = _names(
        rng, n, cat.MALE_NAMES, cat.OTHER_NAMES_ACCENTED, cat.OTHER_NAMES_NON_LATIN
    ).to_numpy()
    female_names = _names(
        rng, n, cat.FEMALE_NAMES, cat.OTHER_NAMES_ACCENTED, cat.OTHER_NAMES_NON_LATIN
    ).to_numpy()
    other_names = np.where(sex == "M", male_names, female_names)

    village = rng.integers(0, len(ref.village_ids), n_fam)
    district = ref.village_district[village]
    adult = age >= 18
    relationship = np.where(
        (rank == 1) & adult, 8, np.where(adult, rng.choice([1, 2, 3, 5, 7], n), 4)
    )
    marital_idx = np.where(
        adult,
        rng.choice([0, 1, 2, 3, -1], n, p=[0.55, 0.25, 0.05, 0.07, 0.08]),
        np.where(rng.random(n) < 0.5, 1, -1),
    )
    hf_pick = _hf_in_district(ref, rng, district[member_family])
    vf = np.maximum(join, reg[member_family])
    insurees = pd.DataFrame(
        {
            "InsureeID": ins_ids,
            "AuditUserID": AUDIT_USER,
            "CHFID": codes("", 100_000_000 + ins_ids, 9),
            "CardIssued": rng.random(n) < 0.8,
            "CurrentVillage": nullable_int(
                np.where(
                    rng.random(n) < 0.1,
                    ref.village_ids[rng.integers(0, len(ref.village_ids), n)],
                    0,
                ),
                rng.random(n) < 0.2,
            ),
            "DOB": dates(dob),
            "Education": nullable_int(rng.integers(1, 8, n), rng.random(n) < 0.4),
            "FamilyID": fam_ids[member_family],
            "Gender": pick(
                ["M", "F", "O"],
                np.where(gender_null, -1, np.searchsorted(["F", "M", "O"], sex).choose([1, 0, 2])),
            ),
            "HFID": nullable_int(hf_pick, rng.random(n) < 0.4),
            "InsureeUUID": uuids(rng, n),
            "IsHead": is_head,
            "LastName": last,
            "Marital": pick(["M", "S", "D", "W"], marital_idx),
            "OtherNames": other_names,
            "Phone": pd.Series(codes("+255", rng.integers(0, 10**9, n), 9)).where(
                is_head & (rng.random(n) < 0.6), None
            ),
            "Profession": nullable_int(rng.integers(1, 5, n), ~adult | (rng.random(n) < 0.3)),
            "Relationship": nullable_int(np.maximum(relationship, 1), is_head),
            "TypeOfId": pick(
                ["N", "D", "P", "V"],
                np.where(adult & (rng.random(n) < 0.6), rng.integers(0, 4, n), -1),
            ),
            "ValidityFrom": stamps(vf, rng),
            "ValidityTo": stamps(vf, rng, null=np.ones(n, bool)),
            "Vulnerability": nullable_bool(rng.random(n) < 0.05, rng.random(n) < 0.3),
            "isOffline": False,
        }
    )
    families = pd.DataFrame(
        {
            "FamilyID": fam_ids,
            "FamilyUUID": uuids(rng, n_fam),
            "Poverty": nullable_bool(rng.random(n_fam) < 0.3, rng.random(n_fam) < 0.1),
            "isOffline": False,
            "ConfirmationNo": pd.Series(codes("CN", rng.integers(0, 10**8, n_fam), 8)).where(
                rng.random(n_fam) < 0.5, None
            ),
            "ValidityFrom": stamps(reg, rng),
            "ValidityTo": stamps(reg, rng, null=np.ones(n_fam, bool)),
            "AuditUserID": AUDIT_USER,
            "ConfirmationType": pick(
                ["A", "B", "C", "D"],
                np.where(rng.random(n_fam) < 0.5, rng.integers(0, 4, n_fam), -1),
            ),
            "FamilyType": pick(
                ["H", "C", "G", "O", "P", "S", "T"],
                rng.choice(7, n_fam, p=[0.9, 0.01, 0.02, 0.02, 0.01, 0.02, 0.02]),
            ),
            "InsureeID": ins_ids[member_start],
            "LocationId": ref.village_ids[village],
        }
    )
    insurees, families = _mess(ctx, rng, insurees, families, is_head)
    return People(
        families=families,
        insurees=insurees,
        family_ids=fam_ids,
        family_village=village,
        family_reg_day=reg,
        family_size=sizes,
        member_start=member_start,
        insuree_ids=ins_ids,
        member_family=member_family,
        member_join_day=join,
        member_dob=dob,
        member_sex=sex_code,
        member_adult=adult,
    )


def _names(rng, n: int, latin: list[str], accented: list[str], non_latin: list[str]) -> pd.Series:
    pool = latin + accented + non_latin
    u = rng.random(n)
    idx = np.where(
        u < RATE_NON_LATIN,
        len(latin) + len(accented) + rng.integers(0, len(non_latin), n),
        np.where(
            u < RATE_NON_LATIN + RATE_ACCENTED,
            len(latin) + rng.integers(0, len(accented), n),
            rng.integers(0, len(latin), n),
        ),
    )
    return pick(pool, idx)


def _hf_in_district(ref: Reference, rng, district: np.ndarray) -> np.ndarray:
    order = np.argsort(ref.hf_district, kind="stable")
    counts = np.bincount(ref.hf_district, minlength=len(ref.district_ids))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    k = starts[district] + (rng.random(len(district)) * counts[district]).astype(np.int64)
    return ref.hf_ids[order[k]]


def _dob_errors(ctx: Context, insurees: pd.DataFrame, is_head: np.ndarray) -> None:
    """DOBs in the future or more than 110 years back (non-heads), drawn from their own random
    stream so that the rest of the generated data does not change."""
    rng = np.random.default_rng([ctx.seed, 1012])
    draw = rng.random(len(insurees))
    future = (~is_head) & (draw < RATE_DQ_DOB)
    ancient = (~is_head) & (draw >= RATE_DQ_DOB) & (draw < 2 * RATE_DQ_DOB)
    dob = insurees["DOB"].to_numpy().copy()
    dob[future] = dates(np.full(future.sum(), ctx.as_of + 30))
    dob[ancient] = dates(np.full(ancient.sum(), ctx.span_start - 365 * 113))
    insurees["DOB"] = dob


def _mess(ctx: Context, rng, insurees: pd.DataFrame, families: pd.DataFrame, is_head: np.ndarray):
    n, n_fam = len(insurees), len(families)
    _dob_errors(ctx, insurees, is_head)
    # Deleted insurees (never heads, so families keep a current head); claims may still point at them.
    deleted = (~is_head) & (rng.random(n) < RATE_INSUREE_DELETED)
    vt = insurees["ValidityTo"].copy()
    vt[deleted] = insurees["ValidityFrom"][deleted] + pd.to_timedelta(
        rng.integers(30, 500, deleted.sum()), unit="D"
    )
    insurees["ValidityTo"] = vt
    insurees["LegacyID"] = nullable_int(np.zeros(n, np.int64), np.ones(n, bool))
    hist = np.flatnonzero(rng.random(n) < RATE_INSUREE_HISTORY)
    old = insurees.iloc[hist].copy()
    old["LegacyID"] = nullable_int(old["InsureeID"].to_numpy(), np.zeros(len(old), bool))
    old["InsureeID"] = ctx.ids("tblInsuree", len(old))
    old["InsureeUUID"] = uuids(rng, len(old)).to_numpy()
    old["ValidityTo"] = old["ValidityFrom"]
    old["ValidityFrom"] = old["ValidityFrom"] - pd.to_timedelta(
        rng.integers(20, 400, len(old)), unit="D"
    )
    old["Gender"] = old["Gender"].where(
        rng.random(len(old)) < 0.7, None
    )  # old versions lacked the sex
    blank(old, "Phone")
    fdel = rng.random(n_fam) < RATE_FAMILY_DELETED
    fvt = families["ValidityTo"].copy()
    fvt[fdel] = families["ValidityFrom"][fdel] + pd.to_timedelta(
        rng.integers(30, 500, fdel.sum()), unit="D"
    )
    families["ValidityTo"] = fvt
    families["LegacyID"] = nullable_int(np.zeros(n_fam, np.int64), np.ones(n_fam, bool))
    fh = np.flatnonzero(rng.random(n_fam) < RATE_FAMILY_HISTORY)
    fold = families.iloc[fh].copy()
    fold["LegacyID"] = nullable_int(fold["FamilyID"].to_numpy(), np.zeros(len(fold), bool))
    fold["FamilyID"] = ctx.ids("tblFamilies", len(fold))
    fold["FamilyUUID"] = uuids(rng, len(fold)).to_numpy()
    fold["ValidityTo"] = fold["ValidityFrom"]
    fold["ValidityFrom"] = fold["ValidityFrom"] - pd.to_timedelta(
        rng.integers(20, 400, len(fold)), unit="D"
    )
    blank(fold, "Poverty")
    return (
        pd.concat([insurees, old], ignore_index=True),
        pd.concat([families, fold], ignore_index=True),
    )
