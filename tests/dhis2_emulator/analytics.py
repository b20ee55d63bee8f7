"""Validation of visualizations' and dashboards' embedded parts, as DHIS2 2.39-2.43's schema requires.

From dhis2-core at the supported tags: ``DataDimensionItem`` (``dataDimensionItemType`` and the
one reference its type names), ``ReportingRate`` (``dataSet`` and ``metric`` required,
``ReportingRateMetric``), ``CategoryDimension`` (``category`` and ``categoryOptions`` required),
layout dimensions (``dx``/``pe``/``ou``/``co`` or a dimension the object declares) and
``DashboardItem`` (one content reference that resolves).
"""

from __future__ import annotations

from collections.abc import Callable

from .schema import Ref

# DataDimensionItemType constants (2.39) -> the JSON property holding the referenced item.
DATA_ITEM_PROPERTY = {
    "INDICATOR": "indicator",
    "DATA_ELEMENT": "dataElement",
    "DATA_ELEMENT_OPERAND": "dataElementOperand",
    "REPORTING_RATE": "reportingRate",
    "PROGRAM_INDICATOR": "programIndicator",
    "PROGRAM_DATA_ELEMENT": "programDataElement",
    "PROGRAM_ATTRIBUTE": "programAttribute",
}
REPORTING_RATE_METRICS = frozenset(
    {
        "REPORTING_RATE",
        "REPORTING_RATE_ON_TIME",
        "ACTUAL_REPORTS",
        "ACTUAL_REPORTS_ON_TIME",
        "EXPECTED_REPORTS",
    }  # fmt: skip
)
FIXED_DIMENSIONS = frozenset({"dx", "pe", "ou", "co"})
# Types this emulator holds; program items need tracker metadata it does not have.
_ITEM_TARGETS = {"indicator": "indicators", "dataElement": "dataElements"}

ErrorFn = Callable[[str, str, str | None, object], dict]
RefCheck = Callable[[dict, dict[str, Ref]], list[dict]]


def check_visualization(obj: dict, error: ErrorFn, check_refs: RefCheck) -> list[dict]:
    """Errors of a visualization's data items, category dimensions and layout."""
    items = obj.get("dataDimensionItems") or []
    errors = _check_data_items(items, error, check_refs)
    declared: set[str | None] = set()
    errors += _check_category_dimensions(obj, declared, error, check_refs)
    return errors + _check_layout(obj, bool(items), declared, error)


def _check_data_items(items: list[dict], error: ErrorFn, check_refs: RefCheck) -> list[dict]:
    """Each data item: a known item type, its reference given, resolving."""
    errors: list[dict] = []
    for item in items:
        kind = item.get("dataDimensionItemType")
        prop = DATA_ITEM_PROPERTY.get(kind)
        if prop is None:
            errors.append(error("E4000", f"Invalid dataDimensionItemType `{kind}`.",
                                "dataDimensionItemType", kind))  # fmt: skip
            continue
        ref = item.get(prop)
        if not isinstance(ref, dict):
            errors.append(error("E4000", f"Missing required property `{prop}`.", prop, None))
        elif prop == "reportingRate":
            errors += _check_reporting_rate(ref, error, check_refs)
        elif prop in _ITEM_TARGETS:
            errors += check_refs(item, {prop: Ref(_ITEM_TARGETS[prop])})
        else:
            errors.append(error("E4000", f"Unsupported data item `{prop}` in this emulator.", prop,
                                None))  # fmt: skip
    return errors


def _check_category_dimensions(
    obj: dict, declared: set[str | None], error: ErrorFn, check_refs: RefCheck
) -> list[dict]:
    """Each category dimension: a category and its options, resolving; the categories are added to
    ``declared``."""
    errors: list[dict] = []
    for dim in obj.get("categoryDimensions") or []:
        for prop in ("category", "categoryOptions"):
            if not dim.get(prop):
                errors.append(error("E4000", f"Missing required property `{prop}`.", prop, None))
        errors += check_refs(dim, {"category": Ref("categories"),
                                   "categoryOptions": Ref("categoryOptions", many=True)})  # fmt: skip
        if isinstance(dim.get("category"), dict):
            declared.add(dim["category"].get("id"))
    return errors


def _check_layout(
    obj: dict, has_items: bool, declared: set[str | None], error: ErrorFn
) -> list[dict]:
    """Columns, rows and filters place only dx/pe/ou/co or declared dimensions; data items need ``dx``."""
    errors: list[dict] = []
    placed: list[str | None] = []
    for axis in ("columns", "rows", "filters"):
        for dim in obj.get(axis) or []:
            dim_id = dim.get("id") if isinstance(dim, dict) else None
            placed.append(dim_id)
            if dim_id not in FIXED_DIMENSIONS and dim_id not in declared:
                errors.append(error("E4000", f"Dimension `{dim_id}` in `{axis}` is neither dx/pe/ou/co "
                                             "nor a declared dimension.", axis, dim_id))  # fmt: skip
    if has_items and "dx" not in placed:
        errors.append(error("E4000", "Data items are given but dimension `dx` is not placed.",
                            "columns", None))  # fmt: skip
    return errors


def _check_reporting_rate(ref: dict, error: ErrorFn, check_refs: RefCheck) -> list[dict]:
    errors = []
    if not ref.get("dataSet"):
        errors.append(error("E4000", "Missing required property `dataSet`.", "dataSet", None))
    metric = ref.get("metric")
    if metric not in REPORTING_RATE_METRICS:
        errors.append(
            error("E4000", f"Invalid reporting rate metric `{metric}`.", "metric", metric)
        )
    return errors + check_refs(ref, {"dataSet": Ref("dataSets")})


def check_dashboard(obj: dict, error: ErrorFn, check_refs: RefCheck) -> list[dict]:
    """Errors of a dashboard's items: an id each, and a visualization that resolves."""
    errors = []
    for item in obj.get("dashboardItems") or []:
        if not item.get("id"):
            errors.append(error("E4000", "Missing required property `id` of a dashboard item.",
                                "dashboardItems", None))  # fmt: skip
        if not item.get("visualization"):
            errors.append(error("E4000", "Dashboard item has no content (only visualizations are "
                                         "emulated).", "dashboardItems", item.get("id")))  # fmt: skip
        errors += check_refs(item, {"visualization": Ref("visualizations")})
    return errors
