"""The offline run report: one self-contained HTML file from a run's data values and results.

Pure (no Dagster): ``model`` computes what is shown, ``charts`` draws SVG with matplotlib,
``render`` lays out the page, ``write`` writes it atomically; ``sources`` reads a run's files.
"""

from pipelines.report.model import PushOutcome, ReconciliationOutcome, ReportInput, compute
from pipelines.report.render import render_html
from pipelines.report.write import write_atomic

__all__ = [
    "PushOutcome",
    "ReconciliationOutcome",
    "ReportInput",
    "compute",
    "render_html",
    "write_atomic",
]
