"""Charts as inline SVG, drawn by matplotlib (no JavaScript, no network, small, scales with CSS).

Text stays text (``svg.fonttype = none``), ids are salted with a fixed string and the file date is
left out, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402

PALETTE = ("#1f6fb2", "#e07b00", "#2e9d4a", "#c0392b", "#7d56a8", "#7f7f7f")
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "openimis-dhis2-report",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def _svg(fig, label: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # Drop the fixed size so CSS scales it (the viewBox keeps the aspect ratio).
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    return text.replace("<svg", f'<svg class="chart" role="img" aria-label="{_attr(label)}"', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _month_labels(months: Sequence[str]) -> list[str]:
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return [f"{names[int(m[4:6]) - 1]}\n{m[:4]}" if i == 0 or m[4:6] == "01" else names[int(m[4:6]) - 1]
            for i, m in enumerate(months)]  # fmt: skip


def trend_chart(
    title: str,
    months: Sequence[str],
    series: dict[str, list[float | None]],
    *,
    stacked: bool = False,
) -> str:
    """Lines over the months (stacked columns when ``stacked``); gaps where a value is undefined."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        x = list(range(len(months)))
        if stacked:
            bottom = [0.0] * len(months)
            for name, values in series.items():
                heights = [v or 0.0 for v in values]
                ax.bar(x, heights, bottom=bottom, label=name, width=0.75)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        else:
            for name, values in series.items():
                ys = [float("nan") if v is None else v for v in values]
                ax.plot(x, ys, marker="o", markersize=3, linewidth=1.6, label=name)
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
        ax.set_xticks(x, _month_labels(months))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_ylim(bottom=0)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8, ncols=min(len(series), 6), loc="upper left",
                      bbox_to_anchor=(0, -0.22))  # fmt: skip
        return _svg(fig, title)


def ranking_chart(title: str, unit: str, rows: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, highest first."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 0.35 * max(len(rows), 1) + 0.8))
        names = [r[0] for r in rows][::-1]
        values = [r[1] for r in rows][::-1]
        bars = ax.barh(names, values, color=PALETTE[0], height=0.6)
        ax.bar_label(bars, labels=[f"{v:,.1f}" for v in values], padding=3, fontsize=8)
        ax.set_title(f"{title} ({unit})", loc="left", fontsize=10, fontweight="bold")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.margins(x=0.15)
        return _svg(fig, title)
