"""Small helpers that turn frames and lists into Dagster metadata (markdown previews)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 20


def _cell(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first ``rows`` rows as a markdown table (pandas' to_markdown needs tabulate)."""
    head = frame.head(rows)
    cols = [str(c) for c in head.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in head.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in rec) + " |")
    if len(frame) > rows:
        lines.append(f"\n_{rows} of {len(frame):,} rows_")
    return dg.MetadataValue.md("\n".join(lines))


def bullet_list(items: Sequence[str], limit: int = 50) -> dg.MetadataValue:
    shown = [f"- {_cell(i)}" for i in items[:limit]]
    if len(items) > limit:
        shown.append(f"- … and {len(items) - limit} more")
    return dg.MetadataValue.md("\n".join(shown) if shown else "_none_")


def paths_metadata(paths: Iterable[object]) -> dg.MetadataValue:
    return dg.MetadataValue.json([str(p) for p in paths])
