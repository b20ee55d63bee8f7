"""Fact ``insurees``: OI_INSUREES_REGISTERED / _COVERED / _NEW and OI_FAMILIES_COVERED.

One statement (UNION ALL of four grouped branches) for the whole period range; the calendar
of periods is joined with range predicates, so stocks at every period end come from one scan.
Org key: the family's location (``tblFamilies.LocationId``) as it stands, even if the family row
was since deleted (INDICATORS.md common rules), rolled up to the configured level in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Integer, case, func, literal_column, select, true, union_all
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import ColumnElement

from adx.periods import Period
from openimis_db import tables as t

from ..config import CatalogueConfig
from ..dialect import date_literal
from ..expressions import (
    active_on,
    age_band_at,
    age_band_at_period_end,
    current,
    not_idle,
)
from ..periods import age_threshold, calendar, period_of, within
from ._long import branch
from ._residence import residence

ONE, ZERO = literal_column("1", Integer), literal_column("0", Integer)
FUTURE = date(9999, 12, 31)  # bucket of DOBs after every boundary (future DOB in every period)


def dob_bucket(dob, periods: Sequence[Period], bands) -> ColumnElement:
    """The smallest age-band boundary date (over all periods) on or after DOB; FUTURE when DOB
    is after all of them or NULL. Boundaries include each period's last day (band 0 / future)."""
    bounds = sorted({age_threshold(p.last_day, b.low) for p in periods for b in bands})
    return case(
        *[(dob <= date_literal(d), date_literal(d)) for d in bounds], else_=date_literal(FUTURE)
    )


def count_at_period(cal, counts, periods: Sequence[Period]) -> ColumnElement:
    """SUM of the per-period count column ``n<k>`` that belongs to the calendar row's period."""
    return func.sum(
        case(
            *[
                (cal.c.period == literal_column(f"'{per.id}'"), counts[f"n{k}"])
                for k, per in enumerate(periods)
            ],
            else_=ZERO,
        )
    )


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    cal = calendar(periods, config.age_bands)
    bands = config.age_bands
    i, f, ip, p = t.tblInsuree, t.tblFamilies, t.tblInsureePolicy, t.tblPolicy

    # Stock: current insurees of current families, age at the period's last day. The insurees
    # are first grouped by DOB bucket (between consecutive age-band boundary dates of all the
    # periods: every DOB in a bucket has the same band in every period, so the bucket's upper
    # boundary stands for it), then the small grouped set is expanded per period.
    src, res = residence(i.join(f, f.c.FamilyID == i.c.FamilyID), f.c.LocationId, config)
    rep = dob_bucket(i.c.DOB, periods, bands)
    buckets = (
        select(res.label("res"), i.c.Gender.label("sex"), rep.label("rep"), func.count().label("n"))
        .select_from(src)
        .where(current(i), current(f))
        .group_by(res, i.c.Gender, rep)
        .subquery("registered_buckets")
    )
    registered = branch(
        "OI_INSUREES_REGISTERED",
        cal.c.period,
        buckets.c.res,
        buckets.c.sex,
        age_band_at_period_end(buckets.c.rep, cal, bands),
        func.sum(buckets.c.n),
    ).select_from(buckets.join(cal, true()))

    # Stock: distinct current insurees with a current insuree-policy row covering the last day,
    # on a current non-Idle policy. One row per insuree with one 0/1 flag per period (MAX over
    # its insuree-policy rows: distinct without a per-period expansion), then grouped like the
    # registered insurees by residence, sex and DOB bucket with one count per period, and only
    # that small set is expanded per period (a zero count is no row, as a plain COUNT gives).
    flags = [
        func.max(
            case(
                (active_on(ip.c.EffectiveDate, ip.c.ExpiryDate, date_literal(per.last_day)), ONE),
                else_=ZERO,
            )
        ).label(f"c{k}")
        for k, per in enumerate(periods)
    ]
    covered_flags = (
        select(ip.c.InsureeID.label("insuree_id"), *flags)
        .select_from(ip.join(p, p.c.PolicyID == ip.c.PolicyId))
        .where(
            current(ip),
            current(p),
            not_idle(p.c.PolicyStatus),
            ip.c.EffectiveDate <= date_literal(periods[-1].last_day),
            ip.c.ExpiryDate > date_literal(periods[0].last_day),
        )
        .group_by(ip.c.InsureeID)
        .subquery("covered_flags")
    )
    src, res = residence(
        covered_flags.join(i, i.c.InsureeID == covered_flags.c.insuree_id).outerjoin(
            f, f.c.FamilyID == i.c.FamilyID
        ),
        f.c.LocationId,
        config,
    )
    rep = dob_bucket(i.c.DOB, periods, bands)
    covered_buckets = (
        select(
            res.label("res"),
            i.c.Gender.label("sex"),
            rep.label("rep"),
            *[func.sum(covered_flags.c[f"c{k}"]).label(f"n{k}") for k in range(len(periods))],
        )
        .select_from(src)
        .where(current(i))
        .group_by(res, i.c.Gender, rep)
        .subquery("covered_buckets")
    )
    cb = covered_buckets.c
    n_at_period = count_at_period(cal, cb, periods)
    covered = (
        branch(
            "OI_INSUREES_COVERED",
            cal.c.period,
            cb.res,
            cb.sex,
            age_band_at_period_end(cb.rep, cal, bands),
            n_at_period,
        )
        .select_from(covered_buckets.join(cal, true()))
        .having(n_at_period > ZERO)
    )

    # Flow: distinct current insurees on current insuree-policy rows of current new policies
    # enrolled in the period; an insuree enrolled twice in a period counts once, aged at the
    # earliest of those enrolment dates.
    # Each policy is bucketed into its enrolment period by a CASE (no calendar range join).
    enrol_period = period_of(p.c.EnrollDate, periods)
    first = (
        select(
            enrol_period.label("period"),
            ip.c.InsureeID.label("insuree_id"),
            func.min(p.c.EnrollDate).label("enroll_date"),
        )
        .select_from(p.join(ip, ip.c.PolicyId == p.c.PolicyID))
        .where(
            current(p),
            current(ip),
            p.c.PolicyStage == "N",
            within(p.c.EnrollDate, periods),
            enrol_period.is_not(None),
        )
        .group_by(enrol_period, ip.c.InsureeID)
        .subquery("first_enrol")
    )
    src, res = residence(
        first.join(i, i.c.InsureeID == first.c.insuree_id).outerjoin(
            f, f.c.FamilyID == i.c.FamilyID
        ),
        f.c.LocationId,
        config,
    )
    new = (
        branch(
            "OI_INSUREES_NEW",
            first.c.period,
            res,
            i.c.Gender,
            age_band_at(i.c.DOB, first.c.enroll_date, bands),
            func.count(),
        )
        .select_from(src)
        .where(current(i))
    )

    # Stock: distinct current families with a current non-Idle policy active at the last day:
    # one row per family with a 0/1 flag per period (as for covered insurees), grouped by
    # residence with one count per period before the per-period expansion.
    fam_flags = [
        func.max(
            case(
                (active_on(p.c.EffectiveDate, p.c.ExpiryDate, date_literal(per.last_day)), ONE),
                else_=ZERO,
            )
        ).label(f"c{k}")
        for k, per in enumerate(periods)
    ]
    family_flags = (
        select(p.c.FamilyID.label("family_id"), *fam_flags)
        .where(
            current(p),
            not_idle(p.c.PolicyStatus),
            p.c.EffectiveDate <= date_literal(periods[-1].last_day),
            p.c.ExpiryDate > date_literal(periods[0].last_day),
        )
        .group_by(p.c.FamilyID)
        .subquery("family_flags")
    )
    src, res = residence(
        family_flags.join(f, f.c.FamilyID == family_flags.c.family_id), f.c.LocationId, config
    )
    family_counts = (
        select(
            res.label("res"),
            *[func.sum(family_flags.c[f"c{k}"]).label(f"n{k}") for k in range(len(periods))],
        )
        .select_from(src)
        .where(current(f))
        .group_by(res)
        .subquery("family_counts")
    )
    fc = family_counts.c
    families_at_period = count_at_period(cal, fc, periods)
    families = (
        branch("OI_FAMILIES_COVERED", cal.c.period, fc.res, None, None, families_at_period)
        .select_from(family_counts.join(cal, true()))
        .having(families_at_period > ZERO)
    )
    return union_all(registered, covered, new, families)
