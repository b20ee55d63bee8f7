"""The ready-made DHIS2 dashboard of the catalogue: which charts, over which catalogue objects.

Codes go through the configuration (``config.code``) like every other code, so a country that
renamed ``OI_CLAIMS`` gets charts on its own code. Charts naming v1.1 elements that a catalogue may
not define yet (``OI_CLAIMS_SETTLED``, the data-quality elements) are ``optional``: they shrink or
vanish instead of failing the bundle.
"""

from __future__ import annotations

from collections.abc import Sequence

from adx.model import ChartData, ChartDefinition, DashboardDefinition, DataSetDefinition

from .config import CatalogueConfig

DASHBOARD_CODE = "OI_DASHBOARD"
DQ_ELEMENTS = ("OI_DQ_INSUREES", "OI_DQ_CLAIMS")


def build_dashboard(
    config: CatalogueConfig, data_sets: Sequence[DataSetDefinition]
) -> DashboardDefinition:
    """One dashboard holding every chart of issue #12, on the configured codes."""
    c = config.code

    def ind(code: str) -> ChartData:
        return ChartData("indicator", c(code))

    def de(code: str) -> ChartData:
        return ChartData("dataElement", c(code))

    def chart(code: str, name: str, kind: str, *data: ChartData, **layout) -> ChartDefinition:
        return ChartDefinition(c(code), name, kind, tuple(data), **layout)

    by_ou = {"columns": ("dx",), "rows": ("ou",), "filters": ("pe",), "by_org_unit": True}
    charts = [
        chart("OI_VIZ_COVERAGE", "Coverage rate (%), last 12 months", "LINE", ind("OI_COVERAGE_RATE")),
        chart("OI_VIZ_INSUREES_COVERED", "Insurees covered, last 12 months", "COLUMN",
              de("OI_INSUREES_COVERED")),
        chart("OI_VIZ_POLICIES", "New, renewed and expired policies", "COLUMN",
              de("OI_POLICIES_NEW"), de("OI_POLICIES_RENEWED"), de("OI_POLICIES_EXPIRED")),
        chart("OI_VIZ_CONTRIBUTIONS", "Contributions collected vs earned", "COLUMN",
              de("OI_CONTRIBUTIONS_COLLECTED"), de("OI_CONTRIBUTIONS_EARNED")),
        chart("OI_VIZ_CLAIMS_STATUS", "Claims by status", "STACKED_COLUMN", de("OI_CLAIMS"),
              columns=(c("CLAIM_STATUS"),), rows=("pe",), filters=("dx", "ou")),
        chart("OI_VIZ_REJECTION_RATE", "Claim rejection rate (%)", "LINE",
              ind("OI_CLAIM_REJECTION_RATE")),
        chart("OI_VIZ_CLAIMS_PER_1000", "Claims per 1,000 covered", "LINE", ind("OI_CLAIMS_PER_1000")),
        chart("OI_VIZ_INCURRED_RATIO", "Incurred claims ratio", "LINE", ind("OI_INCURRED_CLAIMS_RATIO")),
        chart("OI_VIZ_SETTLEMENT", "Settlement promptness (days)", "LINE",
              ind("OI_SETTLEMENT_PROMPTNESS")),
        chart("OI_VIZ_DIAGNOSIS", "Claims by diagnosis group", "STACKED_COLUMN",
              de("OI_CLAIMS_DIAGNOSIS"), columns=(c("DIAGNOSIS"),), rows=("pe",), filters=("dx", "ou")),
        chart("OI_VIZ_BY_ORG_UNIT", "Coverage, rejection and promptness by org unit", "PIVOT_TABLE",
              ind("OI_COVERAGE_RATE"), ind("OI_CLAIM_REJECTION_RATE"), ind("OI_SETTLEMENT_PROMPTNESS"),
              periods=("LAST_12_MONTHS",), **by_ou),
        *_data_quality_charts(config, data_sets, by_ou),
        *_reporting_rate_charts(config, data_sets),
    ]  # fmt: skip
    return DashboardDefinition(
        c(DASHBOARD_CODE),
        "openIMIS insurance indicators",
        tuple(x for x in charts if x is not None),
        "Coverage, policies, contributions, claims, data quality and reporting rates "
        "(built by openimis-dhis2 from the indicator catalogue).",
    )


def _data_quality_charts(
    config: CatalogueConfig, data_sets: Sequence[DataSetDefinition], by_ou: dict
) -> list[ChartDefinition]:
    """Data-quality issues by org unit, last month (``OI_DQ_INSUREES`` is a stock), by issue: one
    chart per element, because each element has its own issue category and DHIS2 analytics filters
    every category dimension (``<category> in (...)``), so an element without that category would
    show nothing in a chart that has it as a dimension."""
    categories = {
        element.code: tuple(cat.code for cat in element.categories)
        for ds in data_sets
        for element in ds.data_elements
    }
    charts = []
    for element, what in zip(DQ_ELEMENTS, ("insuree", "claim"), strict=True):
        code = config.code(element)
        charts.append(
            ChartDefinition(
                config.code(f"OI_VIZ_DATA_QUALITY_{what.upper()}S"),
                f"{what.capitalize()} data-quality issues by org unit, last month",
                "PIVOT_TABLE",
                (ChartData("dataElement", code),),
                periods=("LAST_MONTH",),
                optional=True,  # INDICATORS.md v1.1 elements; skipped while the catalogue lacks them
                description=f"Source {what} rows counted in catch-all options or excluded by a "
                "rule, per issue.",
                **{**by_ou, "columns": ("dx", *categories.get(code, ()))},
            )
        )
    return charts


_PERIODS = {"Monthly": "LAST_12_MONTHS", "Quarterly": "LAST_4_QUARTERS", "Yearly": "LAST_5_YEARS"}


def _reporting_rate_charts(
    config: CatalogueConfig, data_sets: Sequence[DataSetDefinition]
) -> list[ChartDefinition]:
    """One reporting-rate chart per period type: a yearly data set has no monthly reporting rate."""
    by_type: dict[str, list[str]] = {}
    for ds in data_sets:
        by_type.setdefault(ds.period_type, []).append(ds.code)
    out = []
    for period_type, codes in by_type.items():
        period = _PERIODS.get(period_type, "LAST_12_MONTHS")
        suffix = "" if period_type == "Monthly" else f"_{period_type.upper()}"
        out.append(
            ChartDefinition(
                config.code(f"OI_VIZ_REPORTING_RATE{suffix}"),
                f"Reporting rate ({period_type.lower()} data sets)",
                "LINE",
                tuple(ChartData("reportingRate", code) for code in codes),
                periods=(period,),
                description="Complete data set registrations per expected report.",
            )
        )
    return out
