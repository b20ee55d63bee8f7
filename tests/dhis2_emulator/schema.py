"""The metadata object types the emulator knows: required fields, references, Java class names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")

DEFAULT_CATEGORY_OPTION = "xYerKDKCefk"
DEFAULT_CATEGORY = "GLevLNI9wkl"
DEFAULT_CATEGORY_COMBO = "bjDvmb4bfuf"
DEFAULT_COC = "HllvX50cXC0"


@dataclass(frozen=True)
class Ref:
    """A reference property: target type (plural) and whether it is a collection."""

    target: str
    many: bool = False


@dataclass(frozen=True)
class ObjectType:
    plural: str
    singular: str
    klass: str
    required: tuple[str, ...] = ()
    refs: dict[str, Ref] = field(default_factory=dict)
    # Embedded object collections (e.g. dataSetElements): property -> embedded type name.
    embedded: dict[str, str] = field(default_factory=dict)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)
    unique: tuple[str, ...] = ("code",)
    max_len: dict[str, int] = field(default_factory=dict)


_LEN = {"code": 50, "shortName": 50, "name": 230}
_DDT = frozenset({"DISAGGREGATION", "ATTRIBUTE"})
_AGG = frozenset(
    {
        "SUM",
        "AVERAGE",
        "AVERAGE_SUM_ORG_UNIT",
        "LAST",
        "LAST_AVERAGE_ORG_UNIT",
        "LAST_LAST_ORG_UNIT",
        "LAST_IN_PERIOD",
        "LAST_IN_PERIOD_AVERAGE_ORG_UNIT",
        "FIRST",
        "FIRST_AVERAGE_ORG_UNIT",
        "FIRST_FIRST_ORG_UNIT",
        "COUNT",
        "STDDEV",
        "VARIANCE",
        "MIN",
        "MAX",
        "MIN_SUM_ORG_UNIT",
        "MAX_SUM_ORG_UNIT",
        "NONE",
        "CUSTOM",
        "DEFAULT",
    }  # fmt: skip
)

# VisualizationType at 2.39.10.1 (2.41 adds OUTLIER_TABLE, which our bundle never sends).
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

TYPES: dict[str, ObjectType] = {
    t.plural: t
    for t in (
        ObjectType(
            "organisationUnits",
            "organisationUnit",
            "org.hisp.dhis.organisationunit.OrganisationUnit",
            required=("name", "shortName", "openingDate"),
            refs={"parent": Ref("organisationUnits")},
            max_len=_LEN,
        ),
        ObjectType(
            "categoryOptions",
            "categoryOption",
            "org.hisp.dhis.category.CategoryOption",
            required=("name", "shortName"),
            unique=("code", "name", "shortName"),
            max_len=_LEN,
        ),
        ObjectType(
            "categories",
            "category",
            "org.hisp.dhis.category.Category",
            required=("name", "shortName", "dataDimensionType"),
            refs={"categoryOptions": Ref("categoryOptions", many=True)},
            enums={"dataDimensionType": _DDT},
            unique=("code", "name"),
            max_len=_LEN,
        ),
        ObjectType(
            "categoryCombos",
            "categoryCombo",
            "org.hisp.dhis.category.CategoryCombo",
            required=("name", "dataDimensionType"),
            refs={"categories": Ref("categories", many=True)},
            enums={"dataDimensionType": _DDT},
            unique=("code", "name"),
            max_len=_LEN,
        ),
        ObjectType(
            "categoryOptionCombos",
            "categoryOptionCombo",
            "org.hisp.dhis.category.CategoryOptionCombo",
            required=("categoryCombo",),
            refs={
                "categoryCombo": Ref("categoryCombos"),
                "categoryOptions": Ref("categoryOptions", many=True),
            },
            max_len=_LEN,
        ),
        ObjectType(
            "dataElements",
            "dataElement",
            "org.hisp.dhis.dataelement.DataElement",
            required=(
                "name",
                "shortName",
                "valueType",
                "domainType",
                "aggregationType",
                "categoryCombo",
            ),
            refs={"categoryCombo": Ref("categoryCombos")},
            enums={"domainType": frozenset({"AGGREGATE", "TRACKER"}), "aggregationType": _AGG},
            unique=("code", "name", "shortName"),
            max_len=_LEN,
        ),
        ObjectType(
            "dataSets",
            "dataSet",
            "org.hisp.dhis.dataset.DataSet",
            required=("name", "shortName", "periodType", "categoryCombo"),
            refs={
                "categoryCombo": Ref("categoryCombos"),
                "organisationUnits": Ref("organisationUnits", many=True),
            },
            embedded={"dataSetElements": "dataSetElements"},
            unique=("code", "name"),
            max_len=_LEN,
        ),
        ObjectType(
            "indicatorTypes",
            "indicatorType",
            "org.hisp.dhis.indicator.IndicatorType",
            required=("name", "factor"),
            unique=("code", "name"),
            max_len=_LEN,
        ),
        ObjectType(
            "indicators",
            "indicator",
            "org.hisp.dhis.indicator.Indicator",
            required=("name", "shortName", "indicatorType", "numerator", "denominator"),
            refs={"indicatorType": Ref("indicatorTypes")},
            unique=("code", "name", "shortName"),
            max_len=_LEN,
        ),
        # Visualization.hbm.xml / Dashboard.hbm.xml: name and type not-null, names not unique.
        # Their embedded collections are checked by analytics.py.
        ObjectType(
            "visualizations",
            "visualization",
            "org.hisp.dhis.visualization.Visualization",
            required=("name", "type"),
            enums={"type": VISUALIZATION_TYPES},
            max_len=_LEN,
        ),
        ObjectType(
            "dashboards",
            "dashboard",
            "org.hisp.dhis.dashboard.Dashboard",
            required=("name",),
            max_len=_LEN,
        ),
    )
}

# Embedded objects (no identity of their own) and their references.
EMBEDDED_REFS: dict[str, dict[str, Ref]] = {
    "dataSetElements": {
        "dataSet": Ref("dataSets"),
        "dataElement": Ref("dataElements"),
        "categoryCombo": Ref("categoryCombos"),
    }
}

# Import order: referenced types before the types that reference them.
IMPORT_ORDER = (
    "organisationUnits", "categoryOptions", "categories", "categoryCombos", "categoryOptionCombos",
    "dataElements", "dataSets", "indicatorTypes", "indicators", "visualizations", "dashboards",
)  # fmt: skip

# Properties whose missing value DHIS2's preheat fills with the default dimension object.
DEFAULTS = {"categoryCombo": DEFAULT_CATEGORY_COMBO}

PERIOD_TYPE_NAMES = frozenset(
    {
        "Daily",
        "Weekly",
        "WeeklyWednesday",
        "WeeklyThursday",
        "WeeklySaturday",
        "WeeklySunday",
        "BiWeekly",
        "Monthly",
        "BiMonthly",
        "Quarterly",
        "QuarterlyNov",
        "SixMonthly",
        "SixMonthlyApril",
        "SixMonthlyNov",
        "Yearly",
        "FinancialApril",
        "FinancialJuly",
        "FinancialOct",
        "FinancialNov",
    }  # fmt: skip
)


def default_dimension() -> dict[str, dict[str, dict]]:
    """DHIS2's default category option / category / combo / option combo (fixed UIDs, code ``default``)."""
    public = {"public": "rwrw----"}
    return {
        "categoryOptions": {
            DEFAULT_CATEGORY_OPTION: {
                "id": DEFAULT_CATEGORY_OPTION,
                "code": "default",
                "name": "default",
                "shortName": "default",
                "sharing": public,
            }  # fmt: skip
        },
        "categories": {
            DEFAULT_CATEGORY: {
                "id": DEFAULT_CATEGORY,
                "code": "default",
                "name": "default",
                "shortName": "default",
                "dataDimensionType": "DISAGGREGATION",
                "dataDimension": False,
                "categoryOptions": [{"id": DEFAULT_CATEGORY_OPTION}],
            }  # fmt: skip
        },
        "categoryCombos": {
            DEFAULT_CATEGORY_COMBO: {
                "id": DEFAULT_CATEGORY_COMBO,
                "code": "default",
                "name": "default",
                "dataDimensionType": "DISAGGREGATION",
                "skipTotal": False,
                "categories": [{"id": DEFAULT_CATEGORY}],
            }  # fmt: skip
        },
        "categoryOptionCombos": {
            DEFAULT_COC: {
                "id": DEFAULT_COC,
                "code": "default",
                "name": "default",
                "ignoreApproval": False,
                "categoryCombo": {"id": DEFAULT_CATEGORY_COMBO},
                "categoryOptions": [{"id": DEFAULT_CATEGORY_OPTION}],
            }  # fmt: skip
        },
    }
