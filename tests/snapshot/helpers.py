"""Reads used by the snapshot tests, and an independent oracle: the same rows by plain SQL, written
out by hand here (not rendered by the code under test)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from openimis_db.snapshot import DateWindow, TableRead

WINDOW = DateWindow(date(2024, 1, 1), date(2025, 1, 1))
CLAIM_DATES = ("DateFrom", "DateTo", "DateClaimed", "DateProcessed")

READS = (
    TableRead(
        "tblInsuree", ("InsureeID", "FamilyID", "DOB", "Gender", "IsHead", "ValidityFrom", "CHFID")
    ),
    TableRead("tblHF", ("HfID", "HFCode", "HFName", "LocationId", "HFLevel", "OffLine", "RowID")),
    TableRead(
        "tblProduct", ("ProdID", "ProductCode", "LumpSum", "ShareContribution", "MemberCount")
    ),
    TableRead(
        "tblPolicy",
        (
            "PolicyID",
            "FamilyID",
            "ProdID",
            "EnrollDate",
            "ExpiryDate",
            "PolicyStatus",
            "PolicyValue",
        ),
    ),
    TableRead(
        "tblClaim",
        (
            "ClaimID",
            "HFID",
            "InsureeID",
            *CLAIM_DATES,
            "ClaimStatus",
            "Claimed",
            "Approved",
            "Valuated",
        ),
        any_date_in=CLAIM_DATES,
        window=WINDOW,
    ),
    TableRead(
        "tblClaimItems",
        (
            "ClaimItemID",
            "ClaimID",
            "ItemID",
            "QtyProvided",
            "PriceAsked",
            "PriceApproved",
            "ClaimItemStatus",
        ),
        through_claim=True,
        window=WINDOW,
    ),
    TableRead(
        "tblClaimServices",
        ("ClaimServiceID", "ClaimID", "ServiceID", "QtyProvided", "PriceAsked", "PriceValuated"),
        through_claim=True,
        window=WINDOW,
    ),
)


def _q(name: str) -> str:
    return f'"{name}"'


def oracle_sql(read: TableRead, params: str = "%s") -> tuple[str, list]:
    """Hand-written SELECT of the rows a read must hold (placeholders ``params``), ordered by key."""
    cols = ", ".join(_q(c) for c in read.columns)
    sql = f"SELECT {cols} FROM {_q(read.table)} WHERE {_q('ValidityTo')} IS NULL"
    args: list = []
    if read.table == "tblClaim":
        ors = " OR ".join(f"({_q(c)} >= {params} AND {_q(c)} < {params})" for c in CLAIM_DATES)
        sql += f" AND ({ors})"
        args = [d.isoformat() for _ in CLAIM_DATES for d in (WINDOW.start, WINDOW.end)]
    if read.through_claim:
        ors = " OR ".join(f"(c.{_q(c)} >= {params} AND c.{_q(c)} < {params})" for c in CLAIM_DATES)
        sql += (
            f' AND "ClaimID" IN (SELECT c."ClaimID" FROM "tblClaim" c '
            f'WHERE c."ValidityTo" IS NULL AND ({ors}))'
        )
        args = [d.isoformat() for _ in CLAIM_DATES for d in (WINDOW.start, WINDOW.end)]
    return sql + " ORDER BY 1", args


def parquet_rows(path: Path) -> list[tuple]:
    table = pq.read_table(path)
    rows = [tuple(r.values()) for r in table.to_pylist()]
    return sorted(rows, key=lambda r: r[0])


def money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
