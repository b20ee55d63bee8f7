"""The dashboard in the metadata bundle: required charts present, references resolve, emulator import
validates and a second import creates nothing. Expectations are written out here by code, not
derived from the dashboard spec under test."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from adx.dhis2.metadata import build_bundle
from adx.model import (
    Catalogue,
    ChartData,
    ChartDefinition,
    DashboardDefinition,
    DefinitionError,
)
from aggregations import build_catalogue, load_config
from aggregations.dashboard import build_dashboard

# (what issue #12 asks for, data item codes that chart must hold, category dimension or None)
REQUIRED = [
    ("coverage rate", {"OI_COVERAGE_RATE"}, None),
    ("insurees covered", {"OI_INSUREES_COVERED"}, None),
    ("new/renewed/expired policies", {"OI_POLICIES_NEW", "OI_POLICIES_RENEWED", "OI_POLICIES_EXPIRED"}, None),
    ("contributions collected vs earned", {"OI_CONTRIBUTIONS_COLLECTED", "OI_CONTRIBUTIONS_EARNED"}, None),
    ("claims by status", {"OI_CLAIMS"}, "CLAIM_STATUS"),
    ("rejection rate", {"OI_CLAIM_REJECTION_RATE"}, None),
    ("claims per 1,000 covered", {"OI_CLAIMS_PER_1000"}, None),
    ("incurred claims ratio", {"OI_INCURRED_CLAIMS_RATIO"}, None),
    ("settlement promptness", {"OI_SETTLEMENT_PROMPTNESS"}, None),
    ("claims by diagnosis group", {"OI_CLAIMS_DIAGNOSIS"}, "DIAGNOSIS"),
]  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return build_catalogue(load_config(None), ["PRD1", "PRD2"])


@pytest.fixture(scope="module")
def bundle(catalogue):
    return build_bundle(catalogue)


def _codes_by_id(bundle) -> dict[str, str]:
    return {o["id"]: o.get("code") for objs in bundle.values() for o in objs}


def _items(viz, codes) -> set[str]:
    out = set()
    for item in viz["dataDimensionItems"]:
        ref = item[{"INDICATOR": "indicator", "DATA_ELEMENT": "dataElement",
                    "REPORTING_RATE": "reportingRate"}[item["dataDimensionItemType"]]]  # fmt: skip
        out.add(codes[ref["dataSet"]["id"] if "dataSet" in ref else ref["id"]])
    return out


def _placed(viz) -> list[str]:
    return [d["id"] for axis in ("columns", "rows", "filters") for d in viz[axis]]


@pytest.mark.parametrize(("what", "items", "category"), REQUIRED, ids=[r[0] for r in REQUIRED])
def test_every_required_chart_is_present(bundle, what, items, category):
    codes = _codes_by_id(bundle)
    matches = [v for v in bundle["visualizations"] if items <= _items(v, codes)]
    assert matches, f"no visualization shows {what}"
    if category:
        with_cat = [v for v in matches
                    if any(codes.get(d) == category for d in _placed(v))]  # fmt: skip
        assert with_cat, f"{what}: no chart has category {category} as a dimension"
        dims = with_cat[0]["categoryDimensions"]
        options = {codes[o["id"]] for d in dims for o in d["categoryOptions"]}
        category_obj = next(c for c in bundle["categories"] if c["code"] == category)
        assert options == {codes[o["id"]] for o in category_obj["categoryOptions"]}


def test_trends_cover_the_last_12_months_and_by_org_unit_is_children(bundle):
    by_code = {v["code"]: v for v in bundle["visualizations"]}
    coverage = by_code["OI_VIZ_COVERAGE"]
    assert coverage["relativePeriods"] == {"last12Months": True}
    assert coverage["rows"] == [{"id": "pe"}] and coverage["userOrganisationUnit"] is True
    ranked = by_code["OI_VIZ_BY_ORG_UNIT"]
    assert ranked["rows"] == [{"id": "ou"}] and ranked["userOrganisationUnitChildren"] is True


def test_reporting_rate_of_every_data_set(bundle):
    codes = _codes_by_id(bundle)
    seen = {}
    for viz in bundle["visualizations"]:
        for item in viz["dataDimensionItems"]:
            if item["dataDimensionItemType"] == "REPORTING_RATE":
                assert item["reportingRate"]["metric"] == "REPORTING_RATE"
                seen[codes[item["reportingRate"]["dataSet"]["id"]]] = viz["relativePeriods"]
    assert seen == {
        "OI_ENROLMENT": {"last12Months": True},
        "OI_CLAIMS": {"last12Months": True},
        "OI_POPULATION": {"last5Years": True},  # a yearly data set has no monthly rate
    }


def test_references_resolve_and_dashboard_holds_every_chart(bundle):
    ids = {o["id"] for objs in bundle.values() for o in objs}
    for viz in bundle["visualizations"]:
        declared = {d["category"]["id"] for d in viz.get("categoryDimensions", [])}
        for dim in _placed(viz):
            assert dim in {"dx", "pe", "ou"} or dim in declared, (viz["code"], dim)
        for dim in viz.get("categoryDimensions", []):
            assert dim["category"]["id"] in ids
            assert all(o["id"] in ids for o in dim["categoryOptions"])
        for item in viz["dataDimensionItems"]:
            ref = next(v for k, v in item.items() if k != "dataDimensionItemType")
            assert (ref["dataSet"]["id"] if "dataSet" in ref else ref["id"]) in ids, viz["code"]
    (dashboard,) = bundle["dashboards"]
    on_dashboard = [i["visualization"]["id"] for i in dashboard["dashboardItems"]]
    assert sorted(on_dashboard) == sorted(v["id"] for v in bundle["visualizations"])
    item_ids = [i["id"] for i in dashboard["dashboardItems"]]
    assert len(set(item_ids)) == len(item_ids) and not set(item_ids) & ids
    assert all(len(v["code"]) <= 50 for v in bundle["visualizations"])


def test_deterministic(catalogue):
    assert build_bundle(catalogue) == build_bundle(catalogue)


# INDICATORS.md v1.1, "Data quality": the issue options of each element (written out here).
DQ_ISSUES = {
    "OI_DQ_INSUREES": ("INSUREE_ISSUE", ("DOB_MISSING", "DOB_FUTURE", "AGE_OVER_110", "SEX_UNKNOWN",
                                         "FAMILY_DELETED")),
    "OI_DQ_CLAIMS": ("CLAIM_ISSUE", ("DATE_TO_BEFORE_FROM", "CLAIMED_BEFORE_VISIT",
                                     "APPROVED_OVER_CLAIMED", "STATUS_OTHER", "INSUREE_DELETED",
                                     "VALUATED_WITHOUT_LINES", "PROCESSED_BEFORE_CLAIMED")),
}  # fmt: skip
DQ_CHARTS = {
    "OI_VIZ_DATA_QUALITY_INSUREES": "OI_DQ_INSUREES",
    "OI_VIZ_DATA_QUALITY_CLAIMS": "OI_DQ_CLAIMS",
}


def _without_dq(catalogue: Catalogue) -> Catalogue:
    """The catalogue as before v1.1: no data-quality elements."""
    data_sets = tuple(
        dataclasses.replace(
            ds, data_elements=tuple(de for de in ds.data_elements if de.code not in DQ_ISSUES)
        )
        for ds in catalogue.data_sets
    )
    dashboard = build_dashboard(load_config(None), data_sets)
    return Catalogue(data_sets, catalogue.indicators, (dashboard,))


def test_data_quality_charts_one_per_element_by_its_own_issue(catalogue):
    """v1.1 catalogue: one pivot table per data-quality element, by org unit and by that element's
    issue category (the two elements have different categories: one chart holding both by both
    categories would show nothing, as DHIS2 analytics filters every category dimension)."""
    before = {v["code"] for v in build_bundle(_without_dq(catalogue))["visualizations"]}
    assert not before & set(DQ_CHARTS)  # optional: no element, no chart
    bundle = build_bundle(catalogue)
    codes = _codes_by_id(bundle)
    charts = {v["code"]: v for v in bundle["visualizations"] if v["code"] in DQ_CHARTS}
    assert set(charts) == set(DQ_CHARTS)
    for chart_code, element in DQ_CHARTS.items():
        dq = charts[chart_code]
        issue, options = DQ_ISSUES[element]
        assert _items(dq, codes) == {element}
        assert [codes.get(d["id"], d["id"]) for d in dq["columns"]] == ["dx", issue]
        assert dq["rows"] == [{"id": "ou"}] and dq["relativePeriods"] == {"lastMonth": True}
        (dimension,) = dq["categoryDimensions"]
        assert codes[dimension["category"]["id"]] == issue
        assert [codes[o["id"]] for o in dimension["categoryOptions"]] == [
            f"{issue}_{o}" for o in options
        ]


def test_errors_name_the_chart(catalogue):
    def with_chart(chart):
        return Catalogue(catalogue.data_sets, catalogue.indicators,
                         (DashboardDefinition("D", "D", (chart,)),))  # fmt: skip

    missing = ChartDefinition("C1", "c", "LINE", (ChartData("indicator", "NOPE"),))
    with pytest.raises(DefinitionError, match=r"chart 'C1' refers to indicator 'NOPE'"):
        build_bundle(with_chart(missing))
    bad_type = ChartDefinition("C2", "c", "OUTLIER_TABLE", (ChartData("dataElement", "OI_CLAIMS"),))
    with pytest.raises(DefinitionError, match="C2.*OUTLIER_TABLE"):
        build_bundle(with_chart(bad_type))
    no_pe = dataclasses.replace(bad_type, chart_type="LINE", rows=("ou",), filters=())
    with pytest.raises(DefinitionError, match="period dimension"):
        build_bundle(with_chart(no_pe))
    bad_period = dataclasses.replace(bad_type, chart_type="LINE", periods=("LAST_12_MOONS",))
    with pytest.raises(DefinitionError, match="LAST_12_MOONS"):
        build_bundle(with_chart(bad_period))
    other_category = ChartDefinition("C3", "c", "PIVOT_TABLE", (ChartData("dataElement", "OI_CLAIMS"),),
                                     columns=("dx", "PRODUCT"), rows=("ou",), filters=("pe",))  # fmt: skip
    with pytest.raises(DefinitionError, match=r"C3.*'OI_CLAIMS' has no category 'PRODUCT'"):
        build_bundle(with_chart(other_category))
    optional = dataclasses.replace(missing, optional=True)
    with pytest.raises(DefinitionError, match="dashboard 'D' has no chart"):
        build_bundle(with_chart(optional))


def _post(emulator, bundle) -> tuple[int, dict]:
    r = requests.post(
        f"{emulator.url}/api/metadata", json=bundle, auth=emulator.admin_auth, timeout=60
    )
    return r.status_code, r.json()


def _stats(body, klass: str) -> dict:
    return next(t["stats"] for t in body["response"]["typeReports"] if t["klass"].endswith(klass))


def test_emulator_imports_and_second_import_changes_nothing(dhis2_emulator, catalogue):
    bundle = build_bundle(catalogue)
    assert set(DQ_CHARTS) <= {v["code"] for v in bundle["visualizations"]}
    status, body = _post(dhis2_emulator, bundle)
    assert status == 200, body
    assert _stats(body, ".Visualization")["created"] == len(bundle["visualizations"])
    assert _stats(body, ".Dashboard")["created"] == 1
    store = dhis2_emulator.store.objects

    def snapshot():
        return {p: {k: {f: v for f, v in o.items() if f != "lastUpdated"} for k, o in store[p].items()}
                for p in store}  # fmt: skip

    before = snapshot()
    status, body = _post(dhis2_emulator, bundle)
    assert status == 200, body
    stats = body["response"]["stats"]
    assert stats["created"] == 0 and stats["ignored"] == 0 and stats["updated"] == stats["total"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda b: b["visualizations"][0]["dataDimensionItems"][0]["indicator"].update(id="AAAAAAAAAAA"),
         "Invalid reference [AAAAAAAAAAA]"),
        (lambda b: b["visualizations"][0].pop("type"), "Missing required property `type`"),
        (lambda b: next(v for v in b["visualizations"] if v["code"] == "OI_VIZ_REPORTING_RATE")
         ["dataDimensionItems"][0]["reportingRate"].pop("metric"), "Invalid reporting rate metric"),
        (lambda b: b["dashboards"][0]["dashboardItems"][0]["visualization"].update(id="BBBBBBBBBBB"),
         "Invalid reference [BBBBBBBBBBB]"),
        (lambda b: next(v for v in b["visualizations"] if v["code"] == "OI_VIZ_CLAIMS_STATUS")
         .pop("categoryDimensions"), "neither dx/pe/ou/co nor a declared dimension"),
    ],
    ids=["dangling-indicator", "no-type", "no-metric", "dangling-dashboard-item", "undeclared-category"],
)  # fmt: skip
def test_emulator_refuses_what_dhis2_refuses(dhis2_emulator, catalogue, break_it, message):
    bundle = build_bundle(catalogue)
    break_it(bundle)
    status, body = _post(dhis2_emulator, bundle)
    assert status == 409
    errors = [e["message"] for t in body["response"]["typeReports"] for o in t["objectReports"]
              for e in o["errorReports"]]  # fmt: skip
    assert any(message in e for e in errors), errors
    assert not dhis2_emulator.store.objects["visualizations"]  # atomic: nothing committed


def test_emulator_refuses_unknown_visualization_type(dhis2_emulator, catalogue):
    bundle = build_bundle(catalogue)
    bundle["visualizations"][0]["type"] = "HEATMAP"
    status, _ = _post(dhis2_emulator, bundle)
    assert status == 400  # Jackson refuses an unknown enum constant before validation
