"""Write a run's report from its output directory: values, reconciliation, optional push results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from atomic_files import write_text
from pipelines.report.model import PushOutcome, ReportData, ReportInput, compute
from pipelines.report.render import render_html
from pipelines.report.sources import load_reconciliation, load_values, summary_markdown
from pipelines.storage import report_path


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    data: ReportData
    markdown: str
    bytes: int


def write_run_report(
    root: Path,
    months: Sequence[str],
    *,
    code: Callable[[str], str] = lambda c: c,
    pushes: Sequence[PushOutcome] = (),
    source: str = "",
    path: Path | None = None,
) -> WrittenReport:
    """Render ``report_<first>_<last>.html`` under ``root`` (or ``path``) from the run's files."""
    months = sorted(months)
    years = sorted({m[:4] for m in months})
    population_years = [str(y) for y in range(int(years[0]) - 5, int(years[-1]) + 1)]
    codes = {"OI_ENROLMENT": months, "OI_CLAIMS": months, "OI_POPULATION": population_years}
    report = ReportInput(
        values=load_values(root, codes),
        months=tuple(months),
        reconciliation=load_reconciliation(
            root, {k: codes[k] for k in ("OI_ENROLMENT", "OI_CLAIMS")}
        ),
        pushes=tuple(pushes),
        source=source,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        code=code,
    )
    data = compute(report)
    target = path or report_path(root, months[0], months[-1])
    html = render_html(report, data)
    write_text(target, html)
    problems = sum(len(r.problems) for r in report.reconciliation)
    markdown = summary_markdown(data, target, problems, len(report.pushes))
    return WrittenReport(target, data, markdown, len(html.encode()))
