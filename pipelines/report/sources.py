"""Reading a run's outputs into a :class:`ReportInput`, and the short Markdown summary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from adx.model import FRAME_COLUMNS
from pipelines.checks import DATASET_BLOCKING_CHECKS
from pipelines.report.model import PushOutcome, ReconciliationOutcome, ReportData
from pipelines.storage import reconciliation_path, values_path
from pipelines.values_store import open_materialised


def load_values(root: Path, codes: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The checked data values of each data set code for its periods, through the same gate as
    the export and push steps (values whose blocking checks failed are refused); periods never
    computed are left out."""
    from pipelines.assets import dataset_spec

    frames = []
    for code, periods in codes.items():
        key = dataset_spec(code).dataset_key
        stored = open_materialised(
            {pid: values_path(root, key.path[-1], pid) for pid in periods},
            DATASET_BLOCKING_CHECKS,
            f"asset {key.to_user_string()!r}",
        )
        frames += [frame for _, frame in stored if len(frame)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in FRAME_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def load_reconciliation(
    root: Path, codes: Mapping[str, Sequence[str]]
) -> tuple[ReconciliationOutcome, ...]:
    """Per data set: the problems of every period, or ``ran=False`` when no result was saved."""
    out = []
    for code, periods in codes.items():
        paths = [reconciliation_path(root, code, pid) for pid in periods]
        found = [p for p in paths if p.exists()]
        problems = [t for p in found for t in json.loads(p.read_text(encoding="utf-8"))["problems"]]
        out.append(ReconciliationOutcome(code, tuple(problems), ran=bool(found)))
    return tuple(out)


def push_outcome(data_set: str, meta: Mapping, conflicts: Sequence[str] = ()) -> PushOutcome:
    """A push asset's materialization metadata (plain values) as a :class:`PushOutcome`."""

    def num(key: str) -> int:
        return int(meta.get(key) or 0)

    registered = meta.get("completeness_registered", meta.get("registrations"))
    return PushOutcome(
        data_set=data_set,
        status=str(meta.get("status", "?")),
        imported=num("imported"),
        updated=num("updated"),
        ignored=num("ignored"),
        deleted=num("deleted"),
        conflicts=tuple(conflicts),
        stale_removed=num("stale_values_removed"),
        dry_run=bool(meta.get("dry_run", False)),
        completeness_registered=None if registered is None else int(registered),
    )


def summary_markdown(data: ReportData, path: Path, problems: int, pushes: int) -> str:
    """A few lines for the Dagster UI: where the report is and what it says first."""
    lines = [f"**Run report**: `{path}`", ""]
    lines += [f"- {label}: **{value}** ({note})" for label, value, note in data.headlines[:6]]
    lines.append(f"- reconciliation problems: {problems}")
    lines.append(f"- data sets pushed: {pushes}")
    return "\n".join(lines)
