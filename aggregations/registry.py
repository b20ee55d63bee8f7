"""The one catalogue registry: data sets, facts (their SQL and source columns), data elements,
categories and options, with their default codes (``CatalogueConfig.codes`` overrides any code).

Everything else derives from here: the DHIS2 metadata (``catalogue.build_catalogue``), the
snapshot reads (``sources.snapshot_reads``), the DuckDB computation (``compute``), the Dagster
assets and the CLI. Adding a data element = one ``ElementSpec`` here + its SQL branch in
``sql/<fact>.sql`` + its oracle in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import CatalogueConfig
from .elements import (  # re-exported: the registry is the one place to look things up
    AMOUNT,
    CATEGORY_NAMES,
    CLAIMS,
    COUNT,
    ELEMENTS,
    ENROLMENT,
    FIXED_OPTIONS,
    POPULATION,
    ElementSpec,
)

__all__ = [
    "AMOUNT",
    "CATEGORY_NAMES",
    "CLAIMS",
    "COUNT",
    "DATASETS",
    "DATASET_CODES",
    "DATASET_FACTS",
    "DATASET_SIDE",
    "ELEMENTS",
    "ELEMENT_BY_CODE",
    "ENROLMENT",
    "FACILITY",
    "FACTS",
    "FIXED_OPTIONS",
    "ORG_UNIT_SOURCES",
    "POPULATION",
    "REFERENCE_SOURCES",
    "RESIDENCE",
    "DataSetDef",
    "ElementSpec",
    "Fact",
    "Source",
    "dataset_period_type",
    "resolve_dataset",
]

RESIDENCE, FACILITY = "residence", "facility"


@dataclass(frozen=True)
class Source:
    """Columns a fact reads from one openIMIS table (PostgreSQL spelling).

    ``current_only``: current rows only (else current, deleted and history rows: referenced rows
    are used "as they stand", INDICATORS.md); ``claim_dates``: the claim table restricted to the
    run's range; ``through_claim``: claim lines restricted through their claim.
    """

    table: str
    columns: tuple[str, ...]
    current_only: bool = True
    claim_dates: bool = False
    through_claim: bool = False


@dataclass(frozen=True)
class Fact:
    """One DuckDB SQL file (``sql/<name>.sql``) giving long-form rows for some data elements."""

    name: str
    sources: tuple[Source, ...]
    description: str


@dataclass(frozen=True)
class DataSetDef:
    code: str
    name: str
    stem: str  # Dagster asset stem: <stem>_dataset, <stem>_export, <stem>_push
    side: str  # org units: RESIDENCE (family location) or FACILITY (health facility)
    facts: tuple[str, ...]
    period_type_option: str | None  # CatalogueConfig attribute, None = Yearly
    description: str

    def period_type(self, config: CatalogueConfig) -> str:
        if self.period_type_option is None:
            return "Yearly"
        return str(getattr(config, self.period_type_option))

    @property
    def yearly(self) -> bool:
        """Fixed yearly (the Dagster partitions); monthly data sets may be configured otherwise."""
        return self.period_type_option is None


_LOC = ("LocationId", "ValidityTo", "LegacyID")
_FAMILY = Source("tblFamilies", ("FamilyID", "LocationId", "ValidityTo"), current_only=False)
_INSUREE = Source("tblInsuree", ("InsureeID", "FamilyID", "Gender", "DOB"))
# Claims take the insuree as it stands (a deleted insuree's claim is still counted).
_INSUREE_ANY = Source(
    "tblInsuree", ("InsureeID", "Gender", "DOB", "ValidityTo"), current_only=False
)
_POLICY = Source(
    "tblPolicy",
    (
        "PolicyID",
        "FamilyID",
        "ProdID",
        "PolicyStatus",
        "PolicyStage",
        "EnrollDate",
        "EffectiveDate",
        "ExpiryDate",
    ),
)
_PRODUCT = Source("tblProduct", ("ProdID", "ProductCode"))
_CLAIM = Source(
    "tblClaim",
    (
        "ClaimID",
        "HFID",
        "InsureeID",
        "ICDID",
        "ClaimStatus",
        "VisitType",
        "Claimed",
        "Approved",
        "DateFrom",
        "DateTo",
        "DateClaimed",
        "DateProcessed",
    ),
    claim_dates=True,
)
_LINES = (
    Source(
        "tblClaimItems",
        ("ClaimID", "ItemID", "ClaimItemStatus", "QtyProvided", "RemuneratedAmount"),
        through_claim=True,
    ),
    Source(
        "tblClaimServices",
        ("ClaimID", "ServiceID", "ClaimServiceStatus", "QtyProvided", "RemuneratedAmount"),
        through_claim=True,
    ),
)
# Org unit dimension (both sides): current and deleted rows, history copies filtered locally.
ORG_UNIT_SOURCES = (
    Source(
        "tblLocations",
        (*_LOC, "LocationCode", "LocationUUID", "LocationType", "ParentLocationId"),
        current_only=False,
    ),
    Source("tblHF", ("HfID", "HFCode", "HfUUID", "ValidityTo", "LegacyID"), current_only=False),
)

# Read for every data set: the org unit dimension and the PRODUCT options (never a run's rows).
REFERENCE_SOURCES = (*ORG_UNIT_SOURCES, _PRODUCT)

FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact(
            "insurees",
            (
                _INSUREE,
                _FAMILY,
                _POLICY,
                Source(
                    "tblInsureePolicy", ("InsureeID", "PolicyId", "EffectiveDate", "ExpiryDate")
                ),
            ),
            "Registered, covered and new insurees (residence x sex x age), covered families.",
        ),
        Fact(
            "policies",
            (_POLICY, _FAMILY, _PRODUCT),
            "Active, new, renewed, expired policies per residence and product.",
        ),
        Fact(
            "contributions",
            (
                Source("tblPremium", ("PolicyID", "Amount", "PayDate", "isPhotoFee")),
                _POLICY,
                _FAMILY,
                _PRODUCT,
            ),
            "Contributions collected and earned per residence and product.",
        ),
        Fact(
            "dq_insurees",
            (_INSUREE, _FAMILY),
            "Insurees with a data-quality issue per residence and issue.",
        ),
        Fact(
            "claims",
            (
                _CLAIM,
                _INSUREE_ANY,
                Source("tblICDCodes", ("ICDID", "ICDCode"), current_only=False),
            ),
            "Claims, amounts, diagnoses, processing and settlement per health facility.",
        ),
        Fact(
            "claim_lines",
            (
                _CLAIM,
                *_LINES,
                Source("tblItems", ("ItemID", "ItemType"), current_only=False),
                Source("tblServices", ("ServiceID", "ServCategory"), current_only=False),
            ),
            "Item and service quantities and remunerated amounts per health facility.",
        ),
        Fact(
            "dq_claims",
            (_CLAIM, _INSUREE_ANY, *_LINES),
            "Claims with a data-quality issue per health facility and issue.",
        ),
        Fact(
            "population",
            (
                Source(
                    "tblLocations",
                    (
                        "LocationId",
                        "MalePopulation",
                        "FemalePopulation",
                        "OtherPopulation",
                        "Families",
                    ),
                ),
            ),
            "Target population and families per location.",
        ),
    )
}

DATASETS: dict[str, DataSetDef] = {
    d.code: d
    for d in (
        DataSetDef(
            ENROLMENT,
            "openIMIS enrolment",
            "enrolment",
            RESIDENCE,
            ("insurees", "policies", "contributions", "dq_insurees"),
            "enrolment_period_type",
            "Insurees, families, policies and contributions by residence.",
        ),
        DataSetDef(
            CLAIMS,
            "openIMIS claims",
            "claims",
            FACILITY,
            ("claims", "claim_lines", "dq_claims"),
            "claims_period_type",
            "Claims, amounts, services, items and settlement by health facility.",
        ),
        DataSetDef(
            POPULATION,
            "openIMIS population",
            "population",
            RESIDENCE,
            ("population",),
            None,
            "Target population and families by residence.",
        ),
    )
}
DATASET_CODES: tuple[str, ...] = tuple(DATASETS)
DATASET_FACTS: dict[str, tuple[str, ...]] = {c: d.facts for c, d in DATASETS.items()}
DATASET_SIDE: dict[str, str] = {c: d.side for c, d in DATASETS.items()}


def dataset_period_type(dataset_code: str, config: CatalogueConfig) -> str:
    return DATASETS[dataset_code].period_type(config)


def resolve_dataset(dataset_code: str, config: CatalogueConfig) -> str:
    """Accept the default code or its configured override; return the default code."""
    if dataset_code in DATASETS:
        return dataset_code
    for default in DATASETS:
        if config.code(default) == dataset_code:
            return default
    raise KeyError(
        f"unknown data set {dataset_code!r}; known: {', '.join(config.code(d) for d in DATASETS)}"
    )


ELEMENT_BY_CODE = {e.code: e for e in ELEMENTS}
