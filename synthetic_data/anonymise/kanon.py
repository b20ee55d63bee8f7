"""k-anonymity of the target's current insurees over village x sex x age band x product.

Product is that of the insuree's latest current policy (by enrolment date), or none. Ages are in
completed years at the reference date (end of the latest data month). Suppression sets the sex of the
insurees in cells below k to unknown (NULL), on their current and history rows: a nullable column
without a foreign-key target, so integrity holds; every indicator's sex split changes accordingly
(totals do not) and the report says how many insurees and rows were touched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import sqlalchemy as sa

from openimis_db import tables as t

from .report import KAnonymityReport

__all__ = ["k_anonymity"]


def band_labels(bands: tuple[int, ...]) -> list[str]:
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(bands, bands[1:], strict=False)]
    return [*labels, f"{bands[-1]}+", "UNKNOWN"]


def _band(dob: dt.date | None, ref: dt.date, bands: tuple[int, ...], labels: list[str]) -> str:
    if dob is None or dob > ref:
        return "UNKNOWN"
    age = ref.year - dob.year - ((ref.month, ref.day) < (dob.month, dob.day))
    idx = 0
    for i, lo in enumerate(bands):
        if age >= lo:
            idx = i
    return labels[idx]


def _insurees(conn: sa.Connection) -> Iterator[tuple]:
    i, f, ip, p = t.tblInsuree, t.tblFamilies, t.tblInsureePolicy, t.tblPolicy
    ranked = (
        sa.select(
            ip.c.InsureeID,
            p.c.ProdID,
            sa.func.row_number()
            .over(
                partition_by=ip.c.InsureeID, order_by=(p.c.EnrollDate.desc(), p.c.PolicyID.desc())
            )
            .label("rn"),
        )
        .join(p, p.c.PolicyID == ip.c.PolicyId)
        .where(ip.c.ValidityTo.is_(None), p.c.ValidityTo.is_(None))
        .subquery()
    )
    query = (
        sa.select(i.c.InsureeID, f.c.LocationId, i.c.Gender, i.c.DOB, ranked.c.ProdID)
        .join(f, f.c.FamilyID == i.c.FamilyID)
        .outerjoin(ranked, sa.and_(ranked.c.InsureeID == i.c.InsureeID, ranked.c.rn == 1))
        .where(i.c.ValidityTo.is_(None))
    )
    yield from conn.execute(query.execution_options(yield_per=10_000))


def _cells(conn, ref, bands, labels) -> Counter:
    cells: Counter = Counter()
    for _id, village, sex, dob, prod in _insurees(conn):
        cells[(village, sex, _band(dob, ref, bands, labels), prod)] += 1
    return cells


def k_anonymity(
    conn: sa.Connection, k: int, ref: dt.date, bands: tuple[int, ...], suppress: bool
) -> KAnonymityReport:
    labels = band_labels(bands)
    cells = _cells(conn, ref, bands, labels)
    small = {c for c, n in cells.items() if n < k}
    rep = KAnonymityReport(
        k=k,
        reference_date=ref.isoformat(),
        age_bands=labels,
        cells=len(cells),
        insurees=sum(cells.values()),
        cells_below_k=len(small),
        insurees_in_cells_below_k=sum(cells[c] for c in small),
    )
    if not suppress:
        return rep
    ids = [
        row[0]
        for row in _insurees(conn)
        if (row[1], row[2], _band(row[3], ref, bands, labels), row[4]) in small
        and row[2] is not None
    ]
    rows = 0
    i = t.tblInsuree
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        result = conn.execute(
            sa.update(i)
            .where(sa.or_(i.c.InsureeID.in_(chunk), i.c.LegacyID.in_(chunk)))
            .values(Gender=None)
        )
        rows += result.rowcount
    after = _cells(conn, ref, bands, labels)
    small_after = {c for c, n in after.items() if n < k}
    rep.suppressed = True
    rep.suppression = "sex set to unknown (Gender NULL) for insurees in cells below k"
    rep.insurees_suppressed = len(ids)
    rep.rows_suppressed = rows
    rep.cells_below_k_after = len(small_after)
    rep.insurees_in_cells_below_k_after = sum(after[c] for c in small_after)
    return rep
