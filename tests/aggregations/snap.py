"""Snapshots for the aggregation tests: the run's tables read by the snapshot reader into
Parquet, then computed (what a pipeline run does). ``compute_dataset`` / ``reconcile`` take an
engine so that the tests read like before; each call snapshots the (unchanging) test database."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import aggregations
from adx.periods import Period, monthly
from aggregations import CatalogueConfig, snapshot_reads
from openimis_db.snapshot import Snapshot, read_snapshot

# Every snapshot of a test process lives under one folder removed when the process ends
# (TemporaryDirectory's finaliser), so a run leaves nothing in /tmp.
_ROOT = tempfile.TemporaryDirectory(prefix="agg-tests-")


def snapshot_for(
    engine, datasets: Sequence[str], periods: Sequence[Period], config, directory=None
) -> Snapshot:
    directory = Path(directory or tempfile.mkdtemp(prefix="snap-", dir=_ROOT.name))
    return read_snapshot(engine, snapshot_reads(datasets, periods, config), directory)


def compute_dataset(engine, dataset: str, periods: Sequence[Period], config: CatalogueConfig):
    """Snapshot the tables the data set needs, then compute it."""
    snap = snapshot_for(engine, [dataset], periods or [monthly(2024, 1)], config)
    return aggregations.compute_dataset(snap, dataset, periods, config)


def reconcile(engine, dataset: str, frame, periods: Sequence[Period], config: CatalogueConfig):
    """Reconcile against a fresh snapshot of the same (unchanging) test database."""
    snap = snapshot_for(engine, [dataset], periods or [monthly(2024, 1)], config)
    return aggregations.reconcile(snap, dataset, frame, periods, config)


def reference_snapshot(engine) -> Snapshot:
    """A snapshot of the reference tables only (org units, products)."""
    return read_snapshot(
        engine, aggregations.reference_reads(), Path(tempfile.mkdtemp(prefix="ref-", dir=_ROOT.name))
    )
