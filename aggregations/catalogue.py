"""The three data sets of INDICATORS.md v1 and their DHIS2 indicators, as ``adx.model`` definitions.

Everything is declared once here with default codes; ``CatalogueConfig.codes`` overrides any of
them (data sets, data elements, categories, category options, indicators). Internally the code
always works with the *default* codes and translates them at the very end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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

ENROLMENT, CLAIMS, POPULATION = "OI_ENROLMENT", "OI_CLAIMS", "OI_POPULATION"

# Which extract facts feed each data set (the Dagster extract assets carry these names).
DATASET_FACTS: dict[str, tuple[str, ...]] = {
    ENROLMENT: ("insurees", "policies", "contributions"),
    CLAIMS: ("claims",),
    POPULATION: ("population",),
}

# Org unit side of each data set: the family's residence, or the claim's health facility.
DATASET_SIDE = {ENROLMENT: "residence", CLAIMS: "facility", POPULATION: "residence"}

COUNT, AMOUNT = "count", "amount"  # value kinds: integers, or exact decimals (2 places)


@dataclass(frozen=True)
class ElementSpec:
    code: str
    data_set: str
    name: str
    categories: tuple[str, ...]  # default category codes
    kind: str  # COUNT or AMOUNT
    description: str


_E = ElementSpec
ELEMENTS: tuple[ElementSpec, ...] = (
    _E(
        "OI_INSUREES_REGISTERED",
        ENROLMENT,
        "Insurees registered",
        ("SEX", "AGE"),
        COUNT,
        "Current insurees of current families at the period's last day (age at the last day).",
    ),
    _E(
        "OI_INSUREES_COVERED",
        ENROLMENT,
        "Insurees covered",
        ("SEX", "AGE"),
        COUNT,
        "Distinct current insurees with a current insuree-policy row effective at the last day, "
        "on a current policy that is not Idle.",
    ),
    _E(
        "OI_INSUREES_NEW",
        ENROLMENT,
        "Insurees newly enrolled",
        ("SEX", "AGE"),
        COUNT,
        "Distinct current insurees on current insuree-policy rows of current new policies "
        "(stage N) enrolled in the period (age at the enrolment date).",
    ),
    _E(
        "OI_FAMILIES_COVERED",
        ENROLMENT,
        "Families covered",
        (),
        COUNT,
        "Distinct current families with a current non-Idle policy active at the last day.",
    ),
    _E(
        "OI_POLICIES_ACTIVE",
        ENROLMENT,
        "Policies active",
        ("PRODUCT",),
        COUNT,
        "Current non-Idle policies with EffectiveDate <= last day < ExpiryDate.",
    ),
    _E(
        "OI_POLICIES_ACTIVE_PREV",
        ENROLMENT,
        "Policies active at the end of the previous period",
        ("PRODUCT",),
        COUNT,
        "OI_POLICIES_ACTIVE measured on the day before the period starts (denominator of the growth ratio).",
    ),
    _E(
        "OI_POLICIES_NEW",
        ENROLMENT,
        "Policies new",
        ("PRODUCT",),
        COUNT,
        "Current policies with stage N and EnrollDate in the period.",
    ),
    _E(
        "OI_POLICIES_RENEWED",
        ENROLMENT,
        "Policies renewed",
        ("PRODUCT",),
        COUNT,
        "Current policies with stage R and EnrollDate in the period.",
    ),
    _E(
        "OI_POLICIES_EXPIRED",
        ENROLMENT,
        "Policies expired",
        ("PRODUCT",),
        COUNT,
        "Current non-Idle policies with ExpiryDate in the period.",
    ),
    _E(
        "OI_CONTRIBUTIONS_COLLECTED",
        ENROLMENT,
        "Contributions collected",
        ("PRODUCT",),
        AMOUNT,
        "Sum of current contributions (photo fees excluded) on current policies paid in the period.",
    ),
    _E(
        "OI_CONTRIBUTIONS_EARNED",
        ENROLMENT,
        "Contributions earned",
        ("PRODUCT",),
        AMOUNT,
        "Each contribution spread uniformly per day over its policy's cover [EffectiveDate, "
        "ExpiryDate); the part falling in the period.",
    ),
    _E(
        "OI_CLAIMS",
        CLAIMS,
        "Claims",
        ("CLAIM_STATUS", "VISIT_TYPE"),
        COUNT,
        "Current claims with their reference date in the period.",
    ),
    _E(
        "OI_CLAIMS_PATIENT",
        CLAIMS,
        "Claims by patient",
        ("SEX", "AGE"),
        COUNT,
        "The same claims by the patient's sex and age at the claim's reference date.",
    ),
    _E(
        "OI_CLAIMED_AMOUNT",
        CLAIMS,
        "Claimed amount",
        ("CLAIM_STATUS",),
        AMOUNT,
        "Sum of tblClaim.Claimed of those claims.",
    ),
    _E(
        "OI_APPROVED_AMOUNT",
        CLAIMS,
        "Approved amount",
        ("CLAIM_STATUS",),
        AMOUNT,
        "Sum of tblClaim.Approved of those claims (NULL counts as 0).",
    ),
    _E(
        "OI_REMUNERATED_AMOUNT",
        CLAIMS,
        "Remunerated amount",
        (),
        AMOUNT,
        "Sum of RemuneratedAmount over current passed item and service lines of valuated claims.",
    ),
    _E(
        "OI_SERVICES_QTY",
        CLAIMS,
        "Services quantity",
        ("SERVICE_CATEGORY", "LINE_STATUS"),
        AMOUNT,
        "Sum of QtyProvided of current service lines of those claims.",
    ),
    _E(
        "OI_ITEMS_QTY",
        CLAIMS,
        "Items quantity",
        ("ITEM_TYPE", "LINE_STATUS"),
        AMOUNT,
        "Sum of QtyProvided of current item lines of those claims.",
    ),
    _E(
        "OI_CLAIMS_DIAGNOSIS",
        CLAIMS,
        "Claims by diagnosis group",
        ("DIAGNOSIS",),
        COUNT,
        "Those claims by main diagnosis grouped by ICD code prefix.",
    ),
    _E(
        "OI_CLAIMS_PROCESSED",
        CLAIMS,
        "Claims processed",
        (),
        COUNT,
        "Current claims with DateProcessed in the period.",
    ),
    _E(
        "OI_SETTLEMENT_DAYS",
        CLAIMS,
        "Settlement days",
        (),
        COUNT,
        "Sum over those processed claims of DateProcessed - DateClaimed in days.",
    ),
    _E(
        "OI_POPULATION",
        POPULATION,
        "Population",
        ("SEX",),
        COUNT,
        "Male, female and other population of current locations, summed up to the residence level.",
    ),
    _E(
        "OI_FAMILIES_TARGET",
        POPULATION,
        "Families (target)",
        (),
        COUNT,
        "Families of current locations, summed up to the residence level.",
    ),
)
ELEMENT_BY_CODE = {e.code: e for e in ELEMENTS}

DATASET_NAMES = {
    ENROLMENT: "openIMIS enrolment",
    CLAIMS: "openIMIS claims",
    POPULATION: "openIMIS population",
}
CATEGORY_NAMES = {
    "SEX": "Sex",
    "AGE": "Age band",
    "PRODUCT": "Insurance product",
    "CLAIM_STATUS": "Claim status",
    "VISIT_TYPE": "Visit type",
    "SERVICE_CATEGORY": "Service category",
    "ITEM_TYPE": "Item type",
    "LINE_STATUS": "Claim line status",
    "DIAGNOSIS": "Diagnosis group",
}

# Fixed categories: (raw database value or None for the catch-all, default option code, name).
SEX_OPTIONS = (
    ("M", "SEX_M", "Male"),
    ("F", "SEX_F", "Female"),
    ("O", "SEX_O", "Other"),
    (None, "SEX_UNKNOWN", "Unknown"),
)
CLAIM_STATUS_OPTIONS = (
    (1, "CLAIM_STATUS_REJECTED", "Rejected"),
    (2, "CLAIM_STATUS_ENTERED", "Entered"),
    (4, "CLAIM_STATUS_CHECKED", "Checked"),
    (8, "CLAIM_STATUS_PROCESSED", "Processed"),
    (16, "CLAIM_STATUS_VALUATED", "Valuated"),
    (None, "CLAIM_STATUS_OTHER", "Other"),
)
VISIT_TYPE_OPTIONS = (
    ("E", "VISIT_TYPE_E", "Emergency"),
    ("R", "VISIT_TYPE_R", "Referral"),
    ("O", "VISIT_TYPE_O", "Other"),
    (None, "VISIT_TYPE_UNKNOWN", "Unknown"),
)
SERVICE_CATEGORY_OPTIONS = (
    ("S", "SERVICE_CATEGORY_S", "Surgery"),
    ("D", "SERVICE_CATEGORY_D", "Delivery"),
    ("A", "SERVICE_CATEGORY_A", "Antenatal"),
    ("H", "SERVICE_CATEGORY_H", "Hospitalization"),
    ("C", "SERVICE_CATEGORY_C", "Consultation"),
    ("O", "SERVICE_CATEGORY_O", "Other"),
    ("V", "SERVICE_CATEGORY_V", "Visit"),
    (None, "SERVICE_CATEGORY_UNKNOWN", "Unknown"),
)
ITEM_TYPE_OPTIONS = (
    ("D", "ITEM_TYPE_D", "Drug"),
    ("M", "ITEM_TYPE_M", "Medical consumable"),
    (None, "ITEM_TYPE_UNKNOWN", "Unknown"),
)
LINE_STATUS_OPTIONS = (
    (1, "LINE_STATUS_PASSED", "Passed"),
    (2, "LINE_STATUS_REJECTED", "Rejected"),
    (None, "LINE_STATUS_OTHER", "Other"),
)
FIXED_OPTIONS = {
    "SEX": SEX_OPTIONS,
    "CLAIM_STATUS": CLAIM_STATUS_OPTIONS,
    "VISIT_TYPE": VISIT_TYPE_OPTIONS,
    "SERVICE_CATEGORY": SERVICE_CATEGORY_OPTIONS,
    "ITEM_TYPE": ITEM_TYPE_OPTIONS,
    "LINE_STATUS": LINE_STATUS_OPTIONS,
}

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
    period_types = {
        ENROLMENT: config.enrolment_period_type,
        CLAIMS: config.claims_period_type,
        POPULATION: "Yearly",
    }
    data_sets = []
    for ds in (ENROLMENT, CLAIMS, POPULATION):
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
            DATASET_NAMES[ds],
            period_types[ds],
            elements,
            open_future_periods=config.open_future_periods,
        )
        definition.validate()
        data_sets.append(definition)
    return Catalogue(tuple(data_sets), _indicators(config))


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
            (op("OI_CLAIMS_PROCESSED"),),
            1,
            "Average days from claim to processing (D4).",
        ),
    )
