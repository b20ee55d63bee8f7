"""Screenshots of a run report for the docs: ``python tools/screenshot_report.py REPORT.html OUT_DIR``.

Uses Debian's chromium through playwright (no browser download), with the network cut.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.report.browser import open_page  # noqa: E402


def main(report: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open_page(Path(report), width=1100, height=1400) as s:
        s.page.screenshot(path=str(out / "report_desktop.png"), full_page=False)
    with open_page(Path(report), width=390, height=844) as s:
        s.page.screenshot(path=str(out / "report_phone.png"), full_page=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
