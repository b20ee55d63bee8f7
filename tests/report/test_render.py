"""The page is one self-contained file: no script, no external reference, escaped text, atomic write."""

from __future__ import annotations

import os
import re

import pytest

from atomic_files import write_text
from pipelines.report import render_html


@pytest.fixture(scope="module")
def html(report_input) -> str:
    return render_html(report_input)


def test_self_contained(html):
    assert "<script" not in html.lower()
    assert not re.search(r"<link\b", html, re.I)
    # Every src/href is internal; SVG namespace declarations (xmlns) are not requests.
    refs = re.findall(r'\b(?:src|href|xlink:href)\s*=\s*"([^"]*)"', html)
    assert all(r.startswith("#") for r in refs), [r for r in refs if not r.startswith("#")][:5]
    assert "url(http" not in html and "@import" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_sections_and_escaping(html):
    for section in ("headlines", "trends", "rankings", "data-quality", "reconciliation", "push"):
        assert f'<section id="{section}">' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html  # a conflict message is text, not markup
    assert "1 problem(s)" in html and "totals reconcile" in html
    assert html.count('<svg class="chart"') == 7 + 3 * 2


def test_charts_scale(html):
    for tag in re.findall(r'<svg class="chart"[^>]*>', html):
        assert "viewBox=" in tag and " width=" not in tag and " height=" not in tag


def test_deterministic_and_small(report_input, html):
    strip = re.compile(r"Generated [^<]*")
    assert strip.sub("", render_html(report_input)) == strip.sub("", html)
    assert len(html.encode()) < 400_000


def test_atomic_write(tmp_path, html):
    target = tmp_path / "r" / "report.html"
    write_text(target, "old")
    write_text(target, html)
    assert target.read_text(encoding="utf-8") == html
    assert os.listdir(target.parent) == ["report.html"]  # no temporary file left
    assert target.stat().st_mode & 0o044  # readable by others (mkstemp makes 0600)
