"""The report in a real headless Chromium: charts drawn, nothing fetched, readable on a phone."""

from __future__ import annotations

import pytest

from atomic_files import write_text
from pipelines.report import render_html

from .browser import chromium_path, open_page

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="Debian's chromium is not installed (apt-get install -y chromium); CI installs it",
)


@pytest.fixture(scope="module")
def report_file(report_input, tmp_path_factory):
    return write_text(tmp_path_factory.mktemp("report") / "report.html", render_html(report_input))


def _charts(page) -> list[dict]:
    return page.eval_on_selector_all(
        "svg.chart",
        """els => els.map(e => { const b = e.getBoundingClientRect();
            return {w: b.width, h: b.height, marks: e.querySelectorAll('path, rect, use').length,
                    label: e.getAttribute('aria-label')}; })""",
    )


def test_charts_render_offline(report_file, tmp_path):
    with open_page(report_file) as s:
        charts = _charts(s.page)
        assert len(charts) == 13
        for chart in charts:
            assert chart["w"] > 100 and chart["h"] > 50, chart
            assert chart["marks"] > 5, chart  # axes, lines or bars were drawn
        assert s.page.locator("#headlines .tile").count() == 9
        shot = tmp_path / "desktop.png"
        s.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert s.blocked == []  # the page asked for nothing outside the file
        assert s.console_errors == []


def test_readable_on_a_phone(report_file, tmp_path):
    with open_page(report_file, width=390, height=844) as s:
        overflow = s.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
        for chart in _charts(s.page):
            assert 0 < chart["w"] <= 390, chart
        s.page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        assert s.blocked == []
