"""The data sets of the registry and their DHIS2 indicators, as ``adx.model`` definitions.

Derived from ``registry`` (default codes); ``CatalogueConfig.codes`` overrides any of them (data
sets, data elements, categories, category options, indicators). Internally the code always works
with the *default* codes and translates them at the very end.
"""

from __future__ import annotations

from collections.abc import Sequence

from adx.model import (
    Catalogue,
    Category,
    CategoryOption,
    DataElement,
    DataSetDefinition,
    IndicatorDefinition,
    Operand,
    check_code,
)

from .config import CatalogueConfig
from .dashboard import build_dashboard
from .registry import CATEGORY_NAMES, COUNT, DATASETS, ELEMENTS, FIXED_OPTIONS

AGE_UNKNOWN = "AGE_UNKNOWN"
PRODUCT_UNKNOWN = "PRODUCT_UNKNOWN"
DIAGNOSIS_OTHER = "DIAGNOSIS_OTHER"


def product_option(code: str) -> str:
    return f"PRODUCT_{code}"


def default_options(
    category: str, config: CatalogueConfig, product_codes: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """(default option code, name) pairs of a category, catch-all last."""
    if category in FIXED_OPTIONS:
        return [(code, name) for _raw, code, name in FIXED_OPTIONS[category]]
    if category == "AGE":
        return [(f"AGE_{b.code_suffix}", b.label) for b in config.age_bands] + [
            (AGE_UNKNOWN, "Unknown")
        ]
    if category == "PRODUCT":
        codes = list(dict.fromkeys(product_codes if product_codes is not None else config.products))
        for code in codes:  # product codes come from tblProduct: refuse what cannot travel
            check_code(product_option(code), f"tblProduct.ProductCode {code!r}")
        return [(product_option(c), c) for c in codes] + [(PRODUCT_UNKNOWN, "Unknown")]
    if category == "DIAGNOSIS":
        return [(f"DIAGNOSIS_{g.code}", g.name) for g in config.diagnosis_groups] + [
            (DIAGNOSIS_OTHER, "Other")
        ]
    raise KeyError(category)


def build_catalogue(
    config: CatalogueConfig, product_codes: Sequence[str] | None = None
) -> Catalogue:
    """The three data sets and the DHIS2 indicators, with the configured codes.

    ``product_codes`` are the current products' codes (``product_codes(engine)``); when omitted,
    ``config.products`` is used. ``PRODUCT_UNKNOWN`` is always present.
    """
    c = config.code
    categories: dict[str, Category] = {}
    for cat in CATEGORY_NAMES:
        opts = tuple(
            CategoryOption(c(code), name)
            for code, name in default_options(cat, config, product_codes)
        )
        categories[cat] = Category(c(cat), CATEGORY_NAMES[cat], opts)
    data_sets = []
    for ds, spec in DATASETS.items():
        elements = tuple(
            DataElement(
                code=c(e.code),
                name=e.name,
                categories=tuple(categories[k] for k in e.categories),
                value_type="INTEGER_ZERO_OR_POSITIVE" if e.kind == COUNT else "NUMBER",
                description=e.description,
            )
            for e in ELEMENTS
            if e.data_set == ds
        )
        definition = DataSetDefinition(
            c(ds),
            spec.name,
            spec.period_type(config),
            elements,
            open_future_periods=config.open_future_periods,
        )
        definition.validate()
        data_sets.append(definition)
    return Catalogue(tuple(data_sets), _indicators(config), (build_dashboard(config, data_sets),))


def _indicators(config: CatalogueConfig) -> tuple[IndicatorDefinition, ...]:
    c = config.code

    def op(de: str, *opts: tuple[str, str]) -> Operand:
        return Operand(c(de), tuple((c(cat), c(opt)) for cat, opt in opts))

    status = "CLAIM_STATUS"
    return (
        IndicatorDefinition(
            c("OI_COVERAGE_RATE"),
            "Coverage rate (%)",
            (op("OI_INSUREES_COVERED"),),
            (op("OI_POPULATION"),),
            100,
            "Insurees covered per 100 population.",
        ),
        IndicatorDefinition(
            c("OI_RENEWAL_RATIO"),
            "Renewal ratio",
            (op("OI_POLICIES_RENEWED"),),
            (op("OI_POLICIES_EXPIRED"),),
            1,
            "Policies renewed per policy expired (D2).",
        ),
        IndicatorDefinition(
            c("OI_GROWTH_RATIO"),
            "Growth ratio",
            (op("OI_POLICIES_NEW"),),
            (op("OI_POLICIES_ACTIVE_PREV"),),
            1,
            "New policies per policy active at the end of the previous period (D3).",
        ),
        IndicatorDefinition(
            c("OI_INCURRED_CLAIMS_RATIO"),
            "Incurred claims ratio",
            (op("OI_REMUNERATED_AMOUNT"),),
            (op("OI_CONTRIBUTIONS_EARNED"),),
            1,
            "Remunerated amount per earned contribution (D1).",
        ),
        IndicatorDefinition(
            c("OI_CLAIMS_PER_1000"),
            "Claims per 1,000 insurees",
            (op("OI_CLAIMS"),),
            (op("OI_INSUREES_COVERED"),),
            1000,
            "Claims per 1,000 covered insurees (D6).",
        ),
        IndicatorDefinition(
            c("OI_AVG_REMUNERATED_PER_CLAIM"),
            "Average remunerated per claim",
            (op("OI_REMUNERATED_AMOUNT"),),
            (op("OI_CLAIMS", (status, "CLAIM_STATUS_VALUATED")),),
            1,
            "Remunerated amount per valuated claim (D7).",
        ),
        IndicatorDefinition(
            c("OI_CLAIM_REJECTION_RATE"),
            "Claim rejection rate (%)",
            (op("OI_CLAIMS", (status, "CLAIM_STATUS_REJECTED")),),
            (op("OI_CLAIMS"),),
            100,
            "Rejected claims per 100 claims (1 - D5).",
        ),
        IndicatorDefinition(
            c("OI_SETTLEMENT_PROMPTNESS"),
            "Settlement promptness (days)",
            (op("OI_SETTLEMENT_DAYS"),),
            (op("OI_CLAIMS_SETTLED"),),
            1,
            "Average days from claim to processing over settled claims (D4, v1.1).",
        ),
    )
