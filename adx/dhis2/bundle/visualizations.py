"""Bundle step: visualizations (charts and pivot tables) and dashboards over the catalogue.

Shapes follow dhis2-core 2.39-2.43 (``Visualization``, ``BaseAnalyticalObject``, ``DataDimensionItem``,
``ReportingRate``, ``CategoryDimension``, ``Dashboard``, ``DashboardItem``; docs/adx.md has the details):
a visualization needs ``name`` and ``type``; its data items are ``dataDimensionItems`` typed
``INDICATOR`` / ``DATA_ELEMENT`` / ``REPORTING_RATE`` (the last one with its required ``dataSet`` and
``metric``); a category used as a dimension needs a ``categoryDimensions`` entry listing its options;
periods are relative (``relativePeriods: {last12Months: true}``) and org units the user's own
(``userOrganisationUnit``) or its children, so one dashboard works for every user and month.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from adx.dhis2.bundle.common import PUBLIC_READ, BuildContext
from adx.dhis2.uids import uid_for
from adx.json_types import JsonObject
from adx.model import (
    CHART_DATA_KINDS,
    Catalogue,
    Category,
    ChartData,
    ChartDefinition,
    DashboardDefinition,
    DefinitionError,
)

# VisualizationType constants present in every supported version (OUTLIER_TABLE only from 2.41).
VISUALIZATION_TYPES = frozenset(
    {
        "COLUMN",
        "STACKED_COLUMN",
        "BAR",
        "STACKED_BAR",
        "LINE",
        "AREA",
        "STACKED_AREA",
        "PIE",
        "RADAR",
        "GAUGE",
        "YEAR_OVER_YEAR_LINE",
        "YEAR_OVER_YEAR_COLUMN",
        "SCATTER",
        "BUBBLE",
        "SINGLE_VALUE",
        "PIVOT_TABLE",
    }  # fmt: skip
)
FIXED_DIMENSIONS = ("dx", "pe", "ou")
_RELATIVE_PERIOD = re.compile(r"^(THIS|LAST)(_\d+)?_(DAY|WEEK|MONTH|BIMONTH|QUARTER|SIX_MONTH|YEAR|FINANCIAL_YEAR)S?$")  # fmt: skip
_DATA_ITEM_TYPE = {"indicator": "INDICATOR", "dataElement": "DATA_ELEMENT", "reportingRate": "REPORTING_RATE"}  # fmt: skip
# Dashboard grid of DHIS2's dashboards app: 60 columns; two items per row.
ITEM_WIDTH, ITEM_HEIGHT, GRID_STEP = 29, 20, 30


def relative_period_property(name: str) -> str:
    """``LAST_12_MONTHS`` -> ``last12Months``: the RelativePeriods JSON property of an enum constant."""
    if not _RELATIVE_PERIOD.match(name):
        raise DefinitionError(f"{name!r} is not a DHIS2 relative period such as LAST_12_MONTHS")
    head, *rest = name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def dashboard_item_uid(dashboard_code: str, chart_code: str) -> str:
    return uid_for("dashboardItem", f"{dashboard_code}.{chart_code}")


class _Catalogue:
    """Codes of the objects a chart may reference, and their UIDs."""

    def __init__(self, catalogue: Catalogue, categories: Mapping[str, Category]):
        self.codes = {
            "indicator": {i.code for i in catalogue.indicators},
            "dataElement": {de.code for ds in catalogue.data_sets for de in ds.data_elements},
            "reportingRate": {ds.code for ds in catalogue.data_sets},
        }
        self.categories = categories
        self.element_categories = {
            de.code: {c.code for c in de.categories}
            for ds in catalogue.data_sets
            for de in ds.data_elements
        }

    def has(self, item: ChartData) -> bool:
        if item.kind not in CHART_DATA_KINDS:
            raise DefinitionError(
                f"chart data kind {item.kind!r} is not one of {sorted(CHART_DATA_KINDS)}"
            )
        return item.code in self.codes[item.kind]


def _data_item(item: ChartData) -> JsonObject:
    if item.kind == "reportingRate":
        ref = {"dataSet": {"id": uid_for("dataSet", item.code)}, "metric": "REPORTING_RATE"}
    else:
        ref = {"id": uid_for(item.kind, item.code)}
    return {"dataDimensionItemType": _DATA_ITEM_TYPE[item.kind], item.kind: ref}


def _resolved(chart: ChartDefinition, known: _Catalogue) -> ChartDefinition | None:
    """The chart restricted to what the catalogue defines; None when an optional chart has nothing."""
    missing = [d for d in chart.data if not known.has(d)]
    dims = (*chart.columns, *chart.rows, *chart.filters)
    missing_cats = [d for d in dims if d not in FIXED_DIMENSIONS and d not in known.categories]
    if (missing or missing_cats) and not chart.optional:
        what = [f"{d.kind} {d.code!r}" for d in missing] + [f"category {c!r}" for c in missing_cats]
        raise DefinitionError(
            f"chart {chart.code!r} refers to {', '.join(what)}, not in the catalogue"
        )
    data = tuple(d for d in chart.data if d not in missing)
    if not data:
        return None

    def keep(axis: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d for d in axis if d not in missing_cats)

    return ChartDefinition(**{**chart.__dict__, "data": data, "columns": keep(chart.columns),
                              "rows": keep(chart.rows), "filters": keep(chart.filters)})  # fmt: skip


def _check_layout(chart: ChartDefinition) -> None:
    if chart.chart_type not in VISUALIZATION_TYPES:
        raise DefinitionError(
            f"chart {chart.code!r}: type {chart.chart_type!r} is not a visualization type of "
            f"every DHIS2 2.39-2.43 ({', '.join(sorted(VISUALIZATION_TYPES))})"
        )
    dims = (*chart.columns, *chart.rows, *chart.filters)
    repeated = sorted({d for d in dims if dims.count(d) > 1})
    if repeated:
        raise DefinitionError(f"chart {chart.code!r}: dimension(s) {repeated} placed twice")
    for dim in ("dx", "ou"):
        if dim not in dims:
            raise DefinitionError(f"chart {chart.code!r}: dimension {dim!r} is not placed")
    if ("pe" in dims) != bool(chart.periods):
        raise DefinitionError(
            f"chart {chart.code!r}: place the period dimension 'pe' exactly when periods are given"
        )


def _check_categories(chart: ChartDefinition, known: _Catalogue) -> None:
    """A category dimension must be a category of every data element of the chart: DHIS2
    analytics filters each dimension (``"<category>" in (...)``, JdbcAnalyticsManager), so an
    element without it would silently show no value."""
    dims = [d for d in (*chart.columns, *chart.rows, *chart.filters) if d not in FIXED_DIMENSIONS]
    for item in chart.data:
        if item.kind != "dataElement":
            continue
        lacking = [d for d in dims if d not in known.element_categories.get(item.code, set())]
        if lacking:
            raise DefinitionError(
                f"chart {chart.code!r}: data element {item.code!r} has no category "
                f"{', '.join(map(repr, lacking))}: DHIS2 would show no value for it"
            )


def visualization_object(
    ctx: BuildContext, chart: ChartDefinition, known: _Catalogue
) -> JsonObject:
    _check_layout(chart)
    _check_categories(chart, known)
    ctx.check("visualization", chart.code)

    def dimension(dim: str) -> JsonObject:
        return {"id": dim if dim in FIXED_DIMENSIONS else uid_for("category", dim)}

    category_dims = [
        {
            "category": {"id": uid_for("category", code)},
            "categoryOptions": [
                {"id": uid_for("categoryOption", o.code)} for o in known.categories[code].options
            ],
        }
        for code in (*chart.columns, *chart.rows, *chart.filters)
        if code not in FIXED_DIMENSIONS
    ]
    obj: JsonObject = {
        "id": ctx.reg.uid("visualization", chart.code),
        "code": chart.code,
        "name": chart.name,
        "type": chart.chart_type,
        "sharing": dict(PUBLIC_READ),
        "dataDimensionItems": [_data_item(d) for d in chart.data],
        "columns": [dimension(d) for d in chart.columns],
        "rows": [dimension(d) for d in chart.rows],
        "filters": [dimension(d) for d in chart.filters],
        "relativePeriods": {relative_period_property(p): True for p in chart.periods},
        "userOrganisationUnit": not chart.by_org_unit,
        "userOrganisationUnitChildren": chart.by_org_unit,
        "hideEmptyRows": True,
    }
    if category_dims:
        obj["categoryDimensions"] = category_dims
    if chart.description:
        obj["description"] = chart.description
    return obj


def dashboard_object(
    ctx: BuildContext, dashboard: DashboardDefinition, chart_codes: list[str]
) -> JsonObject:
    ctx.check("dashboard", dashboard.code)
    items = []
    for index, code in enumerate(chart_codes):
        items.append(
            {
                "id": ctx.reg.claim(
                    dashboard_item_uid(dashboard.code, code),
                    "dashboardItem",
                    f"{dashboard.code}.{code}",
                ),
                "visualization": {"id": uid_for("visualization", code)},
                "x": (index % 2) * GRID_STEP,
                "y": (index // 2) * ITEM_HEIGHT,
                "width": ITEM_WIDTH,
                "height": ITEM_HEIGHT,
                "shape": "NORMAL",
            }
        )
    obj = {
        "id": ctx.reg.uid("dashboard", dashboard.code),
        "code": dashboard.code,
        "name": dashboard.name,
        "sharing": dict(PUBLIC_READ),
        "dashboardItems": items,
    }
    if dashboard.description:
        obj["description"] = dashboard.description
    return obj


def analytics_objects(
    ctx: BuildContext, catalogue: Catalogue, categories: Mapping[str, Category]
) -> tuple[list[JsonObject], list[JsonObject]]:
    """(visualizations, dashboards) of the catalogue's dashboards; a chart shared by two is built once."""
    known = _Catalogue(catalogue, categories)
    charts: dict[str, JsonObject] = {}
    dashboards = []
    for dash in catalogue.dashboards:
        codes = []
        for chart in dash.charts:
            resolved = _resolved(chart, known)
            if resolved is None:
                continue
            if chart.code not in charts:
                charts[chart.code] = visualization_object(ctx, resolved, known)
            codes.append(chart.code)
        if not codes:
            raise DefinitionError(f"dashboard {dash.code!r} has no chart the catalogue can show")
        dashboards.append(dashboard_object(ctx, dash, codes))
    return list(charts.values()), dashboards
