"""The offline run report: one self-contained HTML file from a run's data values and results.

Pure (no Dagster): ``model`` computes what is shown, ``charts`` draws SVG with matplotlib,
``render`` lays out the page, ``build`` writes it (atomically, with ``atomic_files``);
``sources`` reads a run's files.
"""

from pipelines.report.model import PushOutcome, ReconciliationOutcome, ReportInput, compute
from pipelines.report.render import render_html

__all__ = [
    "PushOutcome",
    "ReconciliationOutcome",
    "ReportInput",
    "compute",
    "render_html",
]
