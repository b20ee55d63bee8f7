"""Fact ``claims``: every OI_CLAIMS data set element, from one statement.

A CTE selects the current claims relevant to the range once, joined to the calendar on the
reference date (the configured claim-date rule) OR the processing date, with the patient's sex
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
    in_period,
)
from ..periods import calendar
from ._long import branch

VALUATED = 16
PASSED = 1


def query(periods: Sequence[Period], config: CatalogueConfig) -> Select:
    cal = calendar(periods)
    c, i, icd = t.tblClaim, t.tblInsuree, t.tblICDCodes
    ref = claim_reference_date(config)
    processed = as_date(c.c.DateProcessed)
    by_ref, by_proc = in_period(ref, cal), in_period(processed, cal)
    settle = days_between(processed, as_date(c.c.DateClaimed))
    base = (
        select(
            cal.c.period,
            c.c.ClaimID.label("claim_id"),
            c.c.HFID.label("hf_id"),
            c.c.ClaimStatus.label("status"),
            c.c.VisitType.label("visit"),
            i.c.Gender.label("sex"),
            age_key_diff(i.c.DOB, ref).label("age_diff"),
            icd.c.ICDCode.label("icd"),
            cents(c.c.Claimed).label("claimed"),
            cents(c.c.Approved).label("approved"),
            case((by_ref, 1), else_=0).label("by_ref"),
            case((by_proc, 1), else_=0).label("by_proc"),
            # A claim processed before it was claimed (a data-entry error found in the demo
            # data) counts 0 days rather than a negative number of days.
            case((by_proc & (settle > 0), settle), else_=0).label("settle_days"),
        )
        .select_from(
            c.join(cal, or_(by_ref, by_proc))
            .outerjoin(i, i.c.InsureeID == c.c.InsureeID)
            .outerjoin(icd, icd.c.ICDID == c.c.ICDID)
        )
        .where(current(c))
        .cte("claim_periods")
    )
    b = base.c
    ref_only = b.by_ref == 1
    out = [
        branch("OI_CLAIMS", b.period, b.hf_id, b.status, b.visit, func.count()).where(ref_only),
        branch(
            "OI_CLAIMS_PATIENT",
            b.period,
            b.hf_id,
            b.sex,
            age_band_of_diff(b.age_diff, config.age_bands),
            func.count(),
        ).where(ref_only),
        branch("OI_CLAIMED_AMOUNT", b.period, b.hf_id, b.status, None, func.sum(b.claimed)).where(
            ref_only
        ),
        branch("OI_APPROVED_AMOUNT", b.period, b.hf_id, b.status, None, func.sum(b.approved)).where(
            ref_only
        ),
        branch("OI_CLAIMS_DIAGNOSIS", b.period, b.hf_id, b.icd, None, func.count()).where(ref_only),
        branch("OI_CLAIMS_PROCESSED", b.period, b.hf_id, None, None, func.count()).where(
            b.by_proc == 1
        ),
        branch("OI_SETTLEMENT_DAYS", b.period, b.hf_id, None, None, func.sum(b.settle_days)).where(
            b.by_proc == 1
        ),
    ]
    ci, cs, items, services = t.tblClaimItems, t.tblClaimServices, t.tblItems, t.tblServices
    for line, status in ((ci, ci.c.ClaimItemStatus), (cs, cs.c.ClaimServiceStatus)):
        out.append(
            branch(
                "OI_REMUNERATED_AMOUNT",
                b.period,
                b.hf_id,
                None,
                None,
                func.sum(cents(line.c.RemuneratedAmount)),
            )
            .select_from(base.join(line, line.c.ClaimID == b.claim_id))
            .where(ref_only, current(line), status == PASSED, b.status == VALUATED)
        )
    out.append(
        branch(
            "OI_SERVICES_QTY",
            b.period,
            b.hf_id,
            services.c.ServCategory,
            cs.c.ClaimServiceStatus,
            func.sum(cents(cs.c.QtyProvided)),
        )
        .select_from(
            base.join(cs, cs.c.ClaimID == b.claim_id).outerjoin(
                services, services.c.ServiceID == cs.c.ServiceID
            )
        )
        .where(ref_only, current(cs))
    )
    out.append(
        branch(
            "OI_ITEMS_QTY",
            b.period,
            b.hf_id,
            items.c.ItemType,
            ci.c.ClaimItemStatus,
            func.sum(cents(ci.c.QtyProvided)),
        )
        .select_from(
            base.join(ci, ci.c.ClaimID == b.claim_id).outerjoin(
                items, items.c.ItemID == ci.c.ItemID
            )
        )
        .where(ref_only, current(ci))
    )
    return union_all(*out)
