"""Families and insurees: family sizes, age pyramid, sex ratio and names of the country profile.

The mess rates (history copies, deletions, NULL gender, odd dates) are module constants so the
documentation and the tests refer to one place; the mess in names (accents, capitals, decomposed
letters, a second script) lives in the profile's pools (``synthetic_data/profiles``).

Everything that identifies a person (names, phones, e-mails, ID numbers) is drawn from a separate
random stream (``IDENTITY_STREAM``): the choice of name pools never moves any other draw, so the
indicators of a database do not depend on the names in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from openimis_db.codes import (
    ConfirmationType,
    FamilyType,
    Gender,
    IdType,
    MaritalStatus,
    Relationship,
)
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
from synthetic_data.profiles.model import Demographics
from synthetic_data.reference import Reference

IDENTITY_STREAM = 13  # RNG stream of names, phones, e-mails and ID numbers (per chunk)
MAX_FAMILY = 15
MAX_AGE = 95
SHARE_HEADS_MALE = 0.75
SHARE_REGISTERED_BEFORE = 0.55  # families already enrolled before the span starts
SHARE_PHONE = 0.6  # heads with a phone number
SHARE_EMAIL = 0.08  # heads with an e-mail address
RATE_NULL_GENDER = 0.01
RATE_OTHER_GENDER = 0.003
RATE_LEAP_DAY_DOB = 0.003
RATE_MONTH_END_DOB = 0.02
RATE_FUTURE_DOB = 0.0005
RATE_OWN_FAMILY_NAME = 0.1  # members whose family name differs from the family's (married in ...)
RATE_DQ_DOB = 0.002  # extra DOB errors counted by OI_DQ_INSUREES: born in the future, aged > 110
RATE_INSUREE_HISTORY = 0.02
RATE_INSUREE_DELETED = 0.005
RATE_FAMILY_HISTORY = 0.01
RATE_FAMILY_DELETED = 0.002
MIN_FAMILIES_ONE_DELETED = 100  # from this many families a chunk has at least one deleted family
FAMILY_DELETED_STREAM = 1014  # RNG stream of that one family (the other draws never move)
RATE_LATE_MEMBER = 0.03  # members added to the family during the span


def family_sizes(rng: np.random.Generator, n_insurees: int, mean_size: float) -> np.ndarray:
    """Sizes (1 + Poisson, capped at 15) of the families holding exactly ``n_insurees`` people."""
    estimate = int(n_insurees / max(1.0, mean_size - 1.0)) + 16  # more than enough families
    sizes = np.minimum(1 + rng.poisson(max(0.0, mean_size - 1.0), estimate), MAX_FAMILY)
    total = np.cumsum(sizes)
    k = int(np.searchsorted(total, n_insurees)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(total[k - 1] - n_insurees)
    return sizes


def ages(rng: np.random.Generator, n: int, demographics: Demographics) -> np.ndarray:
    """Ages in years (continuous) from the profile's pyramid: a band by its share, uniform within."""
    bands = demographics.age_bands
    cum = np.cumsum([b.share for b in bands])
    band = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(bands) - 1)
    low = np.array([b.low for b in bands], dtype=np.float64)[band]
    high = np.array([min(b.high, MAX_AGE) for b in bands], dtype=np.float64)[band]
    return low + rng.random(n) * (high - low)


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


@dataclass(frozen=True)
class _Members:
    """Where each member of a chunk sits and what was drawn for them (before identities)."""

    family: np.ndarray  # family index per member
    start: np.ndarray  # offset of each family's first member
    rank: np.ndarray  # 0 = head
    is_head: np.ndarray
    age: np.ndarray  # years at the start of the span
    sex: np.ndarray  # 'M' 'F' 'O'
    gender_null: np.ndarray  # the sex is not recorded
    reg: np.ndarray  # family registration day, per family
    join: np.ndarray  # day each member joined
    dob: np.ndarray  # day numbers


@dataclass(frozen=True)
class _Identities:
    """What identifies the members of a chunk, drawn from the identity stream."""

    last: np.ndarray
    other_names: np.ndarray
    phone: pd.Series
    email: pd.Series
    national_id: pd.Series


def build_people(
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    sizes: np.ndarray,
    id_rng: np.random.Generator,
) -> People:
    """One chunk of families; ``rng`` draws everything but identities, ``id_rng`` the identities."""
    n_fam = len(sizes)
    n = int(sizes.sum())
    fam_ids = ctx.ids("tblFamilies", n_fam)
    ins_ids = ctx.ids("tblInsuree", n)
    m = _draw_members(ctx, rng, sizes)
    identities = _draw_identities(ctx, id_rng, m)
    village = np.minimum(
        np.searchsorted(ref.village_cumulative, rng.random(n_fam), side="right"),
        len(ref.village_ids) - 1,
    )  # towns draw the profile's urban share of the families
    insurees = _insuree_frame(ctx, ref, rng, m, identities, village, fam_ids, ins_ids)
    families = _family_frame(ref, rng, m, village, fam_ids, ins_ids)
    insurees, families = _mess(ctx, rng, insurees, families, m.is_head)
    return People(
        families=families,
        insurees=insurees,
        family_ids=fam_ids,
        family_village=village,
        family_reg_day=m.reg,
        family_size=sizes,
        member_start=m.start,
        insuree_ids=ins_ids,
        member_family=m.family,
        member_join_day=m.join,
        member_dob=m.dob,
        member_sex=np.where(m.gender_null, "", m.sex),
        member_adult=m.age >= 18,
    )


def _draw_members(ctx: Context, rng: np.random.Generator, sizes: np.ndarray) -> _Members:
    """Ages, sexes, registration and join days, births of one chunk's members (in this order)."""
    n_fam = len(sizes)
    n = int(sizes.sum())
    member_family = np.repeat(np.arange(n_fam), sizes)
    member_start = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.arange(n) - member_start[member_family]
    age = _draw_ages(ctx, rng, member_family, member_start)
    sex, gender_null = _draw_sexes(ctx, rng, age, rank, member_family, member_start)
    reg, join = _draw_registration(ctx, rng, member_family, member_start)
    dob = _draw_births(ctx, rng, age, rank == 0)
    return _Members(
        member_family, member_start, rank, rank == 0, age, sex, gender_null, reg, join, dob
    )


def _draw_ages(
    ctx: Context, rng: np.random.Generator, member_family: np.ndarray, member_start: np.ndarray
) -> np.ndarray:
    """Ages from the pyramid, sorted within each family (eldest first): the head is the eldest and
    the second member (the spouse, when adult) the next; the marginal pyramid is kept exactly,
    except for the few families of children only, whose head becomes an adult."""
    age = ages(rng, len(member_family), ctx.profile.demographics)
    age = age[np.lexsort((-age, member_family))]
    adult_head = 18 + rng.random(len(member_start)) * 30
    age[member_start] = np.where(age[member_start] < 18, adult_head, age[member_start])
    return age


def _draw_sexes(
    ctx: Context,
    rng: np.random.Generator,
    age: np.ndarray,
    rank: np.ndarray,
    member_family: np.ndarray,
    member_start: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sexes and which are not recorded: heads mostly men, the adult second member of the other
    sex, the others drawn so that the whole population matches the profile's sex ratio."""
    n = len(age)
    male, female, other = Gender.MALE.value, Gender.FEMALE.value, Gender.OTHER.value
    head_male = rng.random(len(member_start)) < SHARE_HEADS_MALE
    sex = np.full(n, female)
    sex[member_start] = np.where(head_male, male, female)
    spouse = (rank == 1) & (age >= 18)
    sex[spouse] = np.where(head_male[member_family[spouse]], female, male)
    others = (rank != 0) & ~spouse
    fixed_males = int(np.count_nonzero(sex[~others] == male))
    share = ctx.profile.demographics.male_share
    p_male = np.clip((share * n - fixed_males) / max(1, int(others.sum())), 0.0, 1.0)
    u = rng.random(n)
    sex[others & (u < p_male)] = male
    g = rng.random(n)
    sex[g < RATE_OTHER_GENDER] = other
    gender_null = (g >= RATE_OTHER_GENDER) & (g < RATE_OTHER_GENDER + RATE_NULL_GENDER)
    return sex, gender_null


def _draw_registration(
    ctx: Context, rng: np.random.Generator, member_family: np.ndarray, member_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Family registration days (before the span, 55%, or during it) and member join days (with
    the family; some later)."""
    n_fam, n = len(member_start), len(member_family)
    is_head = np.zeros(n, bool)
    is_head[member_start] = True
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
    return reg, np.minimum(join, ctx.span_end - 1)


def _draw_births(
    ctx: Context, rng: np.random.Generator, age: np.ndarray, is_head: np.ndarray
) -> np.ndarray:
    """DOB from the age at the start of the span; then the deliberate date oddities."""
    n = len(age)
    dob = ctx.span_start - np.floor(age * 365.25).astype(np.int64)  # age is exact at the start
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
    return np.where(
        future, ctx.as_of + rng.integers(1, 300, n), dob
    )  # data-entry error: born in the future


def _draw_identities(ctx: Context, id_rng: np.random.Generator, m: _Members) -> _Identities:
    """A family name per family (some members keep their own), given names by sex, phones and
    e-mails for some heads, ID numbers (kept for adults with an ID type)."""
    pools = ctx.pools
    n, n_fam = len(m.family), len(m.start)
    last = pools.family.sample(id_rng, n_fam).to_numpy()[m.family]
    own_last = id_rng.random(n) < RATE_OWN_FAMILY_NAME
    last[own_last] = pools.family.sample(id_rng, int(own_last.sum())).to_numpy()
    male_names = pools.male.sample(id_rng, n).to_numpy()
    female_names = pools.female.sample(id_rng, n).to_numpy()
    phone = pd.Series(pools.phone(id_rng, n)).where(
        m.is_head & (id_rng.random(n) < SHARE_PHONE), None
    )
    email = pd.Series(pools.email(id_rng, n)).where(
        m.is_head & (id_rng.random(n) < SHARE_EMAIL), None
    )
    return _Identities(
        last=last,
        other_names=np.where(m.sex == Gender.MALE.value, male_names, female_names),
        phone=phone,
        email=email,
        national_id=pd.Series(pools.national_id(id_rng, n)),
    )


def _insuree_frame(
    ctx: Context,
    ref: Reference,
    rng: np.random.Generator,
    m: _Members,
    identities: _Identities,
    village: np.ndarray,
    fam_ids: np.ndarray,
    ins_ids: np.ndarray,
) -> pd.DataFrame:
    """tblInsuree rows of the chunk's members (current versions; the mess comes later)."""
    n = len(m.family)
    adult = m.age >= 18
    relationship = np.where(
        (m.rank == 1) & adult,
        Relationship.SPOUSE,
        np.where(
            adult,
            rng.choice(
                [
                    Relationship.SIBLING,
                    Relationship.PARENT,
                    Relationship.UNCLE_AUNT,
                    Relationship.GRANDPARENT,
                    Relationship.OTHER,
                ],
                n,
            ),
            Relationship.CHILD,
        ),
    )
    marital_idx = np.where(
        adult,
        rng.choice([0, 1, 2, 3, -1], n, p=[0.55, 0.25, 0.05, 0.07, 0.08]),
        np.where(rng.random(n) < 0.5, 1, -1),
    )
    hf_pick = _hf_in_district(ref, rng, ref.village_district[village][m.family])
    id_type = np.where(adult & (rng.random(n) < 0.6), rng.integers(0, 4, n), -1)
    vf = np.maximum(m.join, m.reg[m.family])
    genders = [Gender.MALE, Gender.FEMALE, Gender.OTHER]
    return pd.DataFrame(
        {
            "InsureeID": ins_ids,
            "AuditUserID": AUDIT_USER,
            "CHFID": _insurance_numbers(ctx, ins_ids),
            "CardIssued": rng.random(n) < 0.8,
            "CurrentVillage": nullable_int(
                np.where(
                    rng.random(n) < 0.1,
                    ref.village_ids[rng.integers(0, len(ref.village_ids), n)],
                    0,
                ),
                rng.random(n) < 0.2,
            ),
            "DOB": dates(m.dob),
            "Education": nullable_int(rng.integers(1, 8, n), rng.random(n) < 0.4),
            "FamilyID": fam_ids[m.family],
            "Gender": pick(
                genders,
                np.where(m.gender_null, -1, _index_in(genders, m.sex)),
            ),
            "HFID": nullable_int(hf_pick, rng.random(n) < 0.4),
            "InsureeUUID": uuids(rng, n),
            "IsHead": m.is_head,
            "LastName": identities.last,
            "Marital": pick(
                [
                    MaritalStatus.MARRIED,
                    MaritalStatus.SINGLE,
                    MaritalStatus.DIVORCED,
                    MaritalStatus.WIDOWED,
                ],
                marital_idx,
            ),
            "OtherNames": identities.other_names,
            "Phone": identities.phone,
            "Email": identities.email,
            "Profession": nullable_int(rng.integers(1, 5, n), ~adult | (rng.random(n) < 0.3)),
            "Relationship": nullable_int(np.maximum(relationship, 1), m.is_head),
            "TypeOfId": pick(
                [IdType.NATIONAL_ID, IdType.DRIVERS_LICENCE, IdType.PASSPORT, IdType.VOTER_CARD],
                id_type,
            ),
            "passport": identities.national_id.where(id_type >= 0, None),
            "ValidityFrom": stamps(vf, rng),
            "ValidityTo": stamps(vf, rng, null=np.ones(n, bool)),
            "Vulnerability": nullable_bool(rng.random(n) < 0.05, rng.random(n) < 0.3),
            "isOffline": False,
        }
    )


def _index_in(values: list[Gender], codes: np.ndarray) -> np.ndarray:
    """The position of each code in ``values`` (every code is one of them)."""
    order = np.argsort(values)
    return order[np.searchsorted(np.asarray(values)[order], codes)]


def _family_frame(
    ref: Reference,
    rng: np.random.Generator,
    m: _Members,
    village: np.ndarray,
    fam_ids: np.ndarray,
    ins_ids: np.ndarray,
) -> pd.DataFrame:
    """tblFamilies rows of the chunk (current versions; the mess comes later)."""
    n_fam = len(m.start)
    return pd.DataFrame(
        {
            "FamilyID": fam_ids,
            "FamilyUUID": uuids(rng, n_fam),
            "Poverty": nullable_bool(rng.random(n_fam) < 0.3, rng.random(n_fam) < 0.1),
            "isOffline": False,
            "ConfirmationNo": pd.Series(codes("CN", rng.integers(0, 10**8, n_fam), 8)).where(
                rng.random(n_fam) < 0.5, None
            ),
            "ValidityFrom": stamps(m.reg, rng),
            "ValidityTo": stamps(m.reg, rng, null=np.ones(n_fam, bool)),
            "AuditUserID": AUDIT_USER,
            "ConfirmationType": pick(
                [
                    ConfirmationType.LOCAL_COUNCIL,
                    ConfirmationType.MUNICIPALITY,
                    ConfirmationType.STATE,
                    ConfirmationType.OTHER,
                ],
                np.where(rng.random(n_fam) < 0.5, rng.integers(0, 4, n_fam), -1),
            ),
            "FamilyType": pick(
                [
                    FamilyType.HOUSEHOLD,
                    FamilyType.COUNCIL,
                    FamilyType.ORGANIZATION,
                    FamilyType.OTHER,
                    FamilyType.PRIESTS,
                    FamilyType.STUDENTS,
                    FamilyType.TEACHERS,
                ],
                rng.choice(7, n_fam, p=[0.9, 0.01, 0.02, 0.02, 0.01, 0.02, 0.02]),
            ),
            "InsureeID": ins_ids[m.start],
            "LocationId": ref.village_ids[village],
        }
    )


def _insurance_numbers(ctx: Context, ids: np.ndarray) -> pd.arrays.ArrowStringArray:
    """The profile's insurance-number shape: prefix + digits, unique because built on the id."""
    digits = ctx.profile.insurance_digits
    return codes(ctx.profile.insurance_prefix, 10 ** (digits - 1) + ids, digits)


def _hf_in_district(ref: Reference, rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
    order = np.argsort(ref.hf_district, kind="stable")
    counts = np.bincount(ref.hf_district, minlength=len(ref.district_ids))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    k = starts[district] + (rng.random(len(district)) * counts[district]).astype(np.int64)
    hf_ids: np.ndarray = ref.hf_ids[order[k]]
    return hf_ids


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


def _mess(
    ctx: Context,
    rng: np.random.Generator,
    insurees: pd.DataFrame,
    families: pd.DataFrame,
    is_head: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History copies and deletions of insurees and families, and the DOB errors."""
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
    blank(old, "Phone", "Email")
    fdel = rng.random(n_fam) < RATE_FAMILY_DELETED
    fvt = families["ValidityTo"].copy()
    fvt[fdel] = families["ValidityFrom"][fdel] + pd.to_timedelta(
        rng.integers(30, 500, fdel.sum()), unit="D"
    )
    if not fdel.any() and n_fam >= MIN_FAMILIES_ONE_DELETED:
        # A small chunk still gets one deleted family (its members stay current: the
        # FAMILY_DELETED data-quality issue), from its own stream so that nothing else changes.
        own = np.random.default_rng([ctx.seed, FAMILY_DELETED_STREAM])
        k = int(own.integers(n_fam))
        fvt.iloc[k] = families["ValidityFrom"].iloc[k] + pd.Timedelta(
            days=int(own.integers(30, 500))
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
