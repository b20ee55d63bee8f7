"""Fact ``claims``: every OI_CLAIMS data set element, from one statement.

A CTE selects the current claims relevant to the range once, each bucketed (CASE over the
period bounds, no calendar join) into the period of its reference date (the configured
claim-date rule) and of its processing date, with the patient's sex
and age band, the diagnosis code and amounts in hundredths; each measure is one grouped branch
over that CTE (lines are joined to it, filtering both line and claim current).
Attributes come from the referenced insuree/ICD/service/item rows as they stand, deleted or not.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, or_, select, union_all
from sqlalchemy.sql import Select

from adx.periods import Period
from openimis_db import tables as t

from ..config import CatalogueConfig
from ..dialect import as_date, days_between
from ..expressions import (
    age_band_of_diff,
    age_key_diff,
    cents,
    claim_reference_date,
    current,
)
from ..periods import period_of, within
from ._long import branch

VALUATED = 16
PASSED = 1


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    c, i, icd = t.tblClaim, t.tblInsuree, t.tblICDCodes
    ref = claim_reference_date(config)
    processed = as_date(c.c.DateProcessed)
    settle = days_between(processed, as_date(c.c.DateClaimed))
    # One row per claim, bucketed into the period of its reference date and (possibly another)
    # period of its processing date; the WHERE keeps only claims relevant to the range.
    proc_period = period_of(processed, periods)
    base = (
        select(
            period_of(ref, periods).label("ref_period"),
            proc_period.label("proc_period"),
            c.c.ClaimID.label("claim_id"),
            c.c.HFID.label("hf_id"),
            c.c.ClaimStatus.label("status"),
            c.c.VisitType.label("visit"),
            i.c.Gender.label("sex"),
            age_key_diff(i.c.DOB, ref).label("age_diff"),
            icd.c.ICDCode.label("icd"),
            cents(c.c.Claimed).label("claimed"),
            cents(c.c.Approved).label("approved"),
            # A claim processed before it was claimed (a data-entry error found in the demo
            # data) counts 0 days rather than a negative number of days.
            case((proc_period.is_not(None) & (settle > 0), settle), else_=0).label("settle_days"),
        )
        .select_from(
            c.outerjoin(i, i.c.InsureeID == c.c.InsureeID).outerjoin(icd, icd.c.ICDID == c.c.ICDID)
        )
        .where(current(c), or_(within(ref, periods), within(processed, periods)))
        .cte("claim_periods")
    )
    b = base.c
    ref_only = b.ref_period.is_not(None)
    out = [
        branch("OI_CLAIMS", b.ref_period, b.hf_id, b.status, b.visit, func.count()).where(ref_only),
        branch(
            "OI_CLAIMS_PATIENT",
            b.ref_period,
            b.hf_id,
            b.sex,
            age_band_of_diff(b.age_diff, config.age_bands),
            func.count(),
        ).where(ref_only),
        branch(
            "OI_CLAIMED_AMOUNT", b.ref_period, b.hf_id, b.status, None, func.sum(b.claimed)
        ).where(ref_only),
        branch(
            "OI_APPROVED_AMOUNT", b.ref_period, b.hf_id, b.status, None, func.sum(b.approved)
        ).where(ref_only),
        branch("OI_CLAIMS_DIAGNOSIS", b.ref_period, b.hf_id, b.icd, None, func.count()).where(
            ref_only
        ),
        branch("OI_CLAIMS_PROCESSED", b.proc_period, b.hf_id, None, None, func.count()).where(
            b.proc_period.is_not(None)
        ),
        branch(
            "OI_SETTLEMENT_DAYS", b.proc_period, b.hf_id, None, None, func.sum(b.settle_days)
        ).where(b.proc_period.is_not(None)),
    ]
    # Each line table is scanned once: grouped by period x facility x type x line status with
    # both the quantity and the remunerated amount (passed lines of valuated claims), then the
    # two measures are read from that small grouped set.
    ci, cs, items, services = t.tblClaimItems, t.tblClaimServices, t.tblItems, t.tblServices
    for code, line, status, ref_table, ref_key, typ in (
        (
            "OI_ITEMS_QTY",
            ci,
            ci.c.ClaimItemStatus,
            items,
            items.c.ItemID == ci.c.ItemID,
            items.c.ItemType,
        ),
        (
            "OI_SERVICES_QTY",
            cs,
            cs.c.ClaimServiceStatus,
            services,
            services.c.ServiceID == cs.c.ServiceID,
            services.c.ServCategory,
        ),
    ):
        remunerated = case(
            ((status == PASSED) & (b.status == VALUATED), cents(line.c.RemuneratedAmount)), else_=0
        )
        grouped = (
            select(
                b.ref_period.label("period"),
                b.hf_id.label("hf_id"),
                typ.label("typ"),
                status.label("line_status"),
                func.sum(cents(line.c.QtyProvided)).label("qty"),
                func.sum(remunerated).label("remunerated"),
            )
            .select_from(
                base.join(line, line.c.ClaimID == b.claim_id).outerjoin(ref_table, ref_key)
            )
            .where(ref_only, current(line))
            .group_by(b.ref_period, b.hf_id, typ, status)
            .cte(f"{code.lower()}_lines")
        )
        g = grouped.c
        out.append(branch(code, g.period, g.hf_id, g.typ, g.line_status, func.sum(g.qty)))
        out.append(
            branch("OI_REMUNERATED_AMOUNT", g.period, g.hf_id, None, None, func.sum(g.remunerated))
        )
    return union_all(*out)
