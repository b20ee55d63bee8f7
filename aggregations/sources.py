"""What a run reads from openIMIS: the snapshot reads of the data sets' facts (from the registry).

One ``TableRead`` per table, merged over the facts that need it: the union of their columns,
current rows only unless one fact needs rows as they stand (then ``ValidityTo`` is read too and
the DuckDB views separate current rows), claims and claim lines restricted to the run's range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from adx.periods import Period
from openimis_db.snapshot import DateWindow, TableRead

from .config import CatalogueConfig
from .registry import DATASETS, FACTS, REFERENCE_SOURCES, Source, resolve_dataset

CLAIM_DATES = ("DateFrom", "DateTo", "DateClaimed", "DateProcessed")


def dataset_sources(dataset_codes: Iterable[str], config: CatalogueConfig) -> list[Source]:
    """Every ``Source`` of the data sets' facts, plus the reference tables (org units, products)."""
    out: list[Source] = list(REFERENCE_SOURCES)
    for code in dataset_codes:
        for fact in DATASETS[resolve_dataset(code, config)].facts:
            out += FACTS[fact].sources
    return out


def window_of(periods: Sequence[Period]) -> DateWindow:
    if not periods:
        raise ValueError("no period given")
    return DateWindow(min(p.start for p in periods), max(p.end for p in periods))


def merge_reads(sources: Iterable[Source], window: DateWindow) -> list[TableRead]:
    """One read per table, in first-seen order."""
    by_table: dict[str, list[Source]] = {}
    for s in sources:
        by_table.setdefault(s.table, []).append(s)
    reads = []
    for table, group in by_table.items():
        columns = list(dict.fromkeys(c for s in group for c in s.columns))
        current_only = all(s.current_only for s in group)
        if not current_only and "ValidityTo" not in columns:
            columns.append("ValidityTo")
        dated = any(s.claim_dates for s in group)
        through = any(s.through_claim for s in group)
        reads.append(
            TableRead(
                table=table,
                columns=tuple(columns),
                current_only=current_only,
                any_date_in=CLAIM_DATES if dated else (),
                through_claim=through,
                window=window if dated or through else None,
            )
        )
    return reads


def snapshot_reads(
    dataset_codes: Iterable[str], periods: Sequence[Period], config: CatalogueConfig
) -> list[TableRead]:
    """The table reads a snapshot needs to compute (and reconcile) these data sets for the periods."""
    return merge_reads(dataset_sources(dataset_codes, config), window_of(periods))


def reference_reads() -> list[TableRead]:
    """The reference tables only (org units, products): for the metadata bundle and the demo."""
    return merge_reads(REFERENCE_SOURCES, DateWindow(date(1900, 1, 1), date(1900, 1, 2)))
