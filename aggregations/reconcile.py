"""Reconciliation: per data element and period, the sum over all category options and org units
of a built data set equals an undisaggregated total from a separate, simple query.

The totals queries below are deliberately written apart from ``facts/`` (no categories, no org
units, COUNT/SUM per period), so an error in a disaggregation or a dropped catch-all shows up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select, true

from adx.periods import Period
from openimis_db import tables as t

from .build import CENT, dataset_period_type, resolve_dataset
from .catalogue import AMOUNT, ELEMENTS
from .config import LEVEL_TYPE, CatalogueConfig
from .dialect import as_date, days_between
from .expressions import (
    active_on,
    cents,
    claim_reference_date,
    current,
    in_period,
    not_idle,
    not_photo_fee,
)
from .periods import calendar, check_periods

_LEVELS_BELOW = {"region": "RDWV", "district": "DWV", "ward": "WV", "village": "V"}


@dataclass(frozen=True)
class ReconciliationProblem:
    data_set: str
    data_element: str
    period: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return (
            f"{self.data_set} {self.data_element} {self.period}: data values sum to {self.actual}, "
            f"the undisaggregated total is {self.expected}"
        )


def _per_period(conn, cal, value, from_, *where) -> dict[str, Decimal]:
    stmt = select(cal.c.period, value).select_from(from_).where(*where).group_by(cal.c.period)
    return {p: Decimal(int(v or 0)) for p, v in conn.execute(stmt).all()}


def totals(
    engine: Engine, dataset: str, periods: Sequence[Period], config: CatalogueConfig
) -> dict[tuple[str, str], Decimal]:
    """{(default element code, period id): total} (amounts in currency units)."""
    cal = calendar(periods)
    out: dict[str, dict[str, Decimal]] = {}
    i, f, ip, p, pr = t.tblInsuree, t.tblFamilies, t.tblInsureePolicy, t.tblPolicy, t.tblPremium
    c, ci, cs, loc = t.tblClaim, t.tblClaimItems, t.tblClaimServices, t.tblLocations
    with engine.connect() as conn:
        if dataset == "OI_ENROLMENT":
            out["OI_INSUREES_REGISTERED"] = _per_period(
                conn,
                cal,
                func.count(),
                i.join(f, f.c.FamilyID == i.c.FamilyID).join(cal, true()),
                current(i),
                current(f),
            )
            out["OI_INSUREES_COVERED"] = _per_period(
                conn,
                cal,
                func.count(func.distinct(ip.c.InsureeID)),
                ip.join(p, p.c.PolicyID == ip.c.PolicyId)
                .join(i, i.c.InsureeID == ip.c.InsureeID)
                .join(cal, active_on(ip.c.EffectiveDate, ip.c.ExpiryDate, cal.c.last_day)),
                current(ip),
                current(p),
                current(i),
                not_idle(p.c.PolicyStatus),
            )
            out["OI_INSUREES_NEW"] = _per_period(
                conn,
                cal,
                func.count(func.distinct(ip.c.InsureeID)),
                ip.join(p, p.c.PolicyID == ip.c.PolicyId)
                .join(i, i.c.InsureeID == ip.c.InsureeID)
                .join(cal, in_period(p.c.EnrollDate, cal)),
                current(ip),
                current(p),
                current(i),
                p.c.PolicyStage == "N",
            )
            out["OI_FAMILIES_COVERED"] = _per_period(
                conn,
                cal,
                func.count(func.distinct(p.c.FamilyID)),
                p.join(f, f.c.FamilyID == p.c.FamilyID).join(
                    cal, active_on(p.c.EffectiveDate, p.c.ExpiryDate, cal.c.last_day)
                ),
                current(p),
                current(f),
                not_idle(p.c.PolicyStatus),
            )
            rules = {
                "OI_POLICIES_ACTIVE": and_(
                    not_idle(p.c.PolicyStatus),
                    active_on(p.c.EffectiveDate, p.c.ExpiryDate, cal.c.last_day),
                ),
                "OI_POLICIES_ACTIVE_PREV": and_(
                    not_idle(p.c.PolicyStatus),
                    active_on(p.c.EffectiveDate, p.c.ExpiryDate, cal.c.prev_day),
                ),
                "OI_POLICIES_NEW": and_(p.c.PolicyStage == "N", in_period(p.c.EnrollDate, cal)),
                "OI_POLICIES_RENEWED": and_(p.c.PolicyStage == "R", in_period(p.c.EnrollDate, cal)),
                "OI_POLICIES_EXPIRED": and_(
                    not_idle(p.c.PolicyStatus), in_period(p.c.ExpiryDate, cal)
                ),
            }
            for code, rule in rules.items():
                out[code] = _per_period(conn, cal, func.count(), p.join(cal, rule), current(p))
            valid = (current(pr), current(p), not_photo_fee(pr.c.isPhotoFee))
            out["OI_CONTRIBUTIONS_COLLECTED"] = {
                k: v / 100
                for k, v in _per_period(
                    conn,
                    cal,
                    func.sum(cents(pr.c.Amount)),
                    pr.join(p, p.c.PolicyID == pr.c.PolicyID).join(
                        cal, in_period(pr.c.PayDate, cal)
                    ),
                    *valid,
                ).items()
            }
            eff, exp = p.c.EffectiveDate, p.c.ExpiryDate
            earned: dict[str, Decimal] = {}
            lo = case((eff > cal.c.start, eff), else_=cal.c.start)
            hi = case((exp < cal.c.end_excl, exp), else_=cal.c.end_excl)
            cover = days_between(exp, eff)
            stmt = (
                select(cal.c.period, cover, func.sum(cents(pr.c.Amount) * days_between(hi, lo)))
                .select_from(
                    pr.join(p, p.c.PolicyID == pr.c.PolicyID).join(
                        cal, and_(eff < cal.c.end_excl, exp > cal.c.start, exp > eff)
                    )
                )
                .where(*valid)
                .group_by(cal.c.period, cover)
            )
            for period, days, value in conn.execute(stmt).all():
                earned[period] = earned.get(period, Decimal(0)) + Decimal(int(value)) / (
                    100 * int(days)
                )
            out["OI_CONTRIBUTIONS_EARNED"] = earned
        elif dataset == "OI_CLAIMS":
            ref = claim_reference_date(config)
            claims = c.join(cal, in_period(ref, cal))
            n = _per_period(conn, cal, func.count(), claims, current(c))
            out["OI_CLAIMS"] = out["OI_CLAIMS_PATIENT"] = out["OI_CLAIMS_DIAGNOSIS"] = n
            for code, col in (
                ("OI_CLAIMED_AMOUNT", c.c.Claimed),
                ("OI_APPROVED_AMOUNT", c.c.Approved),
            ):
                out[code] = {
                    k: v / 100
                    for k, v in _per_period(
                        conn, cal, func.sum(cents(col)), claims, current(c)
                    ).items()
                }
            rem: dict[str, Decimal] = {}
            for line, status in ((ci, ci.c.ClaimItemStatus), (cs, cs.c.ClaimServiceStatus)):
                part = _per_period(
                    conn,
                    cal,
                    func.sum(cents(line.c.RemuneratedAmount)),
                    line.join(c, c.c.ClaimID == line.c.ClaimID).join(cal, in_period(ref, cal)),
                    current(line),
                    current(c),
                    status == 1,
                    c.c.ClaimStatus == 16,
                )
                for k, v in part.items():
                    rem[k] = rem.get(k, Decimal(0)) + v / 100
            out["OI_REMUNERATED_AMOUNT"] = rem
            for code, line in (("OI_SERVICES_QTY", cs), ("OI_ITEMS_QTY", ci)):
                out[code] = {
                    k: v / 100
                    for k, v in _per_period(
                        conn,
                        cal,
                        func.sum(cents(line.c.QtyProvided)),
                        line.join(c, c.c.ClaimID == line.c.ClaimID).join(cal, in_period(ref, cal)),
                        current(line),
                        current(c),
                    ).items()
                }
            proc = c.join(cal, in_period(as_date(c.c.DateProcessed), cal))
            settle = days_between(as_date(c.c.DateProcessed), as_date(c.c.DateClaimed))
            out["OI_CLAIMS_PROCESSED"] = _per_period(conn, cal, func.count(), proc, current(c))
            out["OI_SETTLEMENT_DAYS"] = _per_period(
                conn,
                cal,
                func.sum(case((settle > 0, settle), else_=0)),
                proc,
                current(c),
            )
        else:
            types = list(_LEVELS_BELOW[config.residence_level])
            assert LEVEL_TYPE[config.residence_level] == types[0]
            src = loc.join(cal, true())
            pop = (
                func.coalesce(loc.c.MalePopulation, 0)
                + func.coalesce(loc.c.FemalePopulation, 0)
                + func.coalesce(loc.c.OtherPopulation, 0)
            )
            out["OI_POPULATION"] = _per_period(
                conn, cal, func.sum(pop), src, current(loc), loc.c.LocationType.in_(types)
            )
            out["OI_FAMILIES_TARGET"] = _per_period(
                conn,
                cal,
                func.sum(func.coalesce(loc.c.Families, 0)),
                src,
                current(loc),
                loc.c.LocationType.in_(types),
            )
    return {(code, period): v for code, per in out.items() for period, v in per.items()}


def reconcile(
    engine: Engine,
    dataset_code: str,
    frame: pd.DataFrame,
    periods: Sequence[Period],
    config: CatalogueConfig,
) -> list[ReconciliationProblem]:
    """Problems found (empty list = the data set reconciles)."""
    ds = resolve_dataset(dataset_code, config)
    periods = check_periods(ds, periods, dataset_period_type(ds, config))
    expected = totals(engine, ds, periods, config)
    back = {config.code(e.code): e.code for e in ELEMENTS}
    actual: dict[tuple[str, str], Decimal] = {}
    cells: dict[tuple[str, str], int] = {}
    for de, period, value in zip(
        frame["data_element"], frame["period"], frame["value"], strict=True
    ):
        key = (back.get(str(de), str(de)), str(period))
        actual[key] = actual.get(key, Decimal(0)) + Decimal(str(value))
        cells[key] = cells.get(key, 0) + 1
    problems = []
    for spec in (e for e in ELEMENTS if e.data_set == ds):
        for p in periods:
            key = (spec.code, p.id)
            want = expected.get(key, Decimal(0))
            got = actual.get(key, Decimal(0))
            # Amount cells are rounded to cents one by one: allow half a cent per cell.
            tol = CENT / 2 * cells.get(key, 0) if spec.kind == AMOUNT else Decimal(0)
            if abs(want.quantize(CENT) - got) > tol:
                problems.append(
                    ReconciliationProblem(
                        config.code(ds), config.code(spec.code), p.id, _fmt(want), _fmt(got)
                    )
                )
    return problems


def _fmt(v: Decimal) -> str:
    return format(v.quantize(CENT), "f")
