"""The report as ONE self-contained HTML page: inline CSS and SVG, no script, no external URL.

Jinja2 (autoescaping) renders it; the charts' SVG is the only markup passed through unescaped.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from pipelines.report.charts import ranking_chart, trend_chart
from pipelines.report.model import ReportData, ReportInput, compute

STACKED = {"Claims by status", "Policies"}

CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#dde3ea; --ok:#1e7b34; --bad:#b3261e; --accent:#1f6fb2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:#f6f8fa; }
main { max-width: 980px; margin: 0 auto; padding: 12px; }
header h1 { font-size: 1.35rem; margin: .4rem 0; }
header p { margin: .2rem 0; color: var(--muted); }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px; margin:12px 0; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
.tiles { display:grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap:8px; }
.tile { border:1px solid var(--line); border-radius:6px; padding:8px; }
.tile .v { font-size:1.3rem; font-weight:600; overflow-wrap:anywhere; }
.tile .l, .tile .n { color:var(--muted); font-size:.85rem; }
.charts { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap:12px; }
figure { margin:0; }
svg.chart { width:100%; height:auto; display:block; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:.9rem; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
.ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; }
.muted { color:var(--muted); }
ul.problems { margin:.3rem 0; padding-left:1.2rem; font-size:.85rem; }
@media (max-width: 520px) { body { font-size:14px; } main { padding:6px; } section { padding:8px; } }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ r.title }} {{ span }}</title>
<style>{{ css }}</style>
</head>
<body><main>
<header>
<h1>{{ r.title }}</h1>
<p>Periods {{ span }} · {{ d.org_units }} org units{% if r.source %} · source {{ r.source }}{% endif %}</p>
{% if r.generated_at %}<p>Generated {{ r.generated_at }}</p>{% endif %}
</header>

<section id="headlines"><h2>Headline indicators</h2>
<div class="tiles">
{% for label, value, note in d.headlines %}<div class="tile"><div class="l">{{ label }}</div><div class="v">{{ value }}</div><div class="n">{{ note }}</div></div>
{% endfor %}</div></section>

<section id="trends"><h2>Trends</h2>
<div class="charts">{% for svg in trend_svgs %}<figure>{{ svg }}</figure>{% endfor %}</div>
</section>

<section id="rankings"><h2>Org units ranked</h2>
{% for rank, top_svg, bottom_svg in rankings %}
<h3>{{ rank.name }} ({{ rank.unit }})</h3>
{% if rank.top %}<div class="charts"><figure>{{ top_svg }}</figure><figure>{{ bottom_svg }}</figure></div>
{% else %}<p class="muted">No org unit has a denominator for this ratio.</p>{% endif %}
{% if rank.excluded %}<p class="muted">{{ rank.excluded }} org unit(s) without a denominator are not ranked.</p>{% endif %}
{% endfor %}
</section>

<section id="data-quality"><h2>Data quality</h2>
{% if d.data_quality_present %}
<div class="scroll"><table><thead><tr><th>element</th><th>issue</th><th class="num">rows</th><th>most affected org units</th></tr></thead><tbody>
{% for element, issue, count, worst in d.data_quality %}<tr><td>{{ element }}</td><td>{{ issue }}</td><td class="num">{{ "{:,}".format(count) }}</td><td>{{ worst }}</td></tr>
{% endfor %}</tbody></table></div>
<p class="muted">Insuree issues on the last month (a stock); claim issues over the whole range.</p>
{% else %}<p class="muted">This catalogue computes no data-quality elements (OI_DQ_INSUREES, OI_DQ_CLAIMS).</p>{% endif %}
</section>

<section id="reconciliation"><h2>Reconciliation</h2>
{% if r.reconciliation %}<div class="scroll"><table><thead><tr><th>data set</th><th>result</th></tr></thead><tbody>
{% for rec in r.reconciliation %}<tr><td>{{ rec.data_set }}</td><td>
{% if not rec.ran %}<span class="muted">not run</span>{% elif rec.passed %}<span class="ok">totals reconcile</span>{% else %}<span class="bad">{{ rec.problems|length }} problem(s)</span>
<ul class="problems">{% for p in rec.problems[:20] %}<li>{{ p }}</li>{% endfor %}</ul>{% endif %}</td></tr>
{% endfor %}</tbody></table></div>
{% else %}<p class="muted">No reconciliation results were recorded.</p>{% endif %}
</section>

<section id="push"><h2>DHIS2 push</h2>
{% if r.pushes %}<div class="scroll"><table><thead><tr><th>data set</th><th>status</th><th class="num">imported</th><th class="num">updated</th><th class="num">ignored</th><th class="num">deleted</th><th class="num">conflicts</th><th class="num">stale removed</th><th class="num">registered complete</th></tr></thead><tbody>
{% for p in r.pushes %}<tr><td>{{ p.data_set }}</td><td class="{{ 'ok' if p.status in ('OK', 'SUCCESS') else 'bad' }}">{{ p.status }}{% if p.dry_run %} (dry run){% endif %}</td>
<td class="num">{{ p.imported }}</td><td class="num">{{ p.updated }}</td><td class="num">{{ p.ignored }}</td><td class="num">{{ p.deleted }}</td><td class="num">{{ p.conflicts|length }}</td><td class="num">{{ p.stale_removed }}</td><td class="num">{{ p.completeness_registered if p.completeness_registered is not none else "–" }}</td></tr>
{% if p.conflicts %}<tr><td colspan="9"><ul class="problems">{% for c in p.conflicts[:20] %}<li>{{ c }}</li>{% endfor %}</ul></td></tr>{% endif %}
{% endfor %}</tbody></table></div>
{% else %}<p class="muted">Nothing was pushed to DHIS2 in this run.</p>{% endif %}
</section>
</main></body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)


def render_html(report: ReportInput, data: ReportData | None = None) -> str:
    """The page for ``report`` (``data`` defaults to :func:`compute` of it)."""
    data = data or compute(report)
    months = list(report.months)
    trend_svgs = [Markup(trend_chart(name, months, series, stacked=name in STACKED))
                  for name, series in data.trends.items()]  # fmt: skip
    rankings = [
        (rank,
         Markup(ranking_chart(f"Highest {rank.name.lower()}", rank.unit, rank.top)) if rank.top else "",
         Markup(ranking_chart(f"Lowest {rank.name.lower()}", rank.unit, rank.bottom)) if rank.top else "")
        for rank in data.rankings
    ]  # fmt: skip
    span = f"{months[0]}–{months[-1]}" if len(months) > 1 else months[0]
    return _ENV.from_string(TEMPLATE).render(
        r=report, d=data, css=Markup(CSS), trend_svgs=trend_svgs, rankings=rankings, span=span
    )
