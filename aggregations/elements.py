"""Data elements, categories and fixed category options of INDICATORS.md v1.1 (default codes).

Part of the catalogue registry (``registry`` re-exports everything); a data element is one
``ElementSpec`` here plus its SQL branch and its oracle test.
"""

from __future__ import annotations

from dataclasses import dataclass

ENROLMENT, CLAIMS, POPULATION = "OI_ENROLMENT", "OI_CLAIMS", "OI_POPULATION"
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
        "OI_CLAIMS_SETTLED",
        CLAIMS,
        "Claims settled",
        (),
        COUNT,
        "Claims processed in the period whose DateClaimed is not NULL and not after DateProcessed.",
    ),
    _E(
        "OI_SETTLEMENT_DAYS",
        CLAIMS,
        "Settlement days",
        (),
        COUNT,
        "Sum over the settled claims (OI_CLAIMS_SETTLED) of DateProcessed - DateClaimed in days.",
    ),
    _E(
        "OI_DQ_CLAIMS",
        CLAIMS,
        "Claims with a data-quality issue",
        ("CLAIM_ISSUE",),
        COUNT,
        "Claims of the period counted once per data-quality issue they have (no total).",
    ),
    _E(
        "OI_DQ_INSUREES",
        ENROLMENT,
        "Insurees with a data-quality issue",
        ("INSUREE_ISSUE",),
        COUNT,
        "Current insurees at the period's last day counted once per data-quality issue (no total).",
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
    "INSUREE_ISSUE": "Insuree data-quality issue",
    "CLAIM_ISSUE": "Claim data-quality issue",
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
# Data-quality issues (INDICATORS.md v1.1): no catch-all, every counted row has its issue.
INSUREE_ISSUE_OPTIONS = tuple(
    (raw, f"INSUREE_ISSUE_{raw}", name)
    for raw, name in (
        ("DOB_MISSING", "Date of birth missing"),
        ("DOB_FUTURE", "Date of birth in the future"),
        ("AGE_OVER_110", "Age over 110"),
        ("SEX_UNKNOWN", "Sex unknown"),
        ("FAMILY_DELETED", "Family deleted"),
    )
)
CLAIM_ISSUE_OPTIONS = tuple(
    (raw, f"CLAIM_ISSUE_{raw}", name)
    for raw, name in (
        ("DATE_TO_BEFORE_FROM", "Visit ends before it starts"),
        ("CLAIMED_BEFORE_VISIT", "Claimed before the visit"),
        ("APPROVED_OVER_CLAIMED", "Approved more than claimed"),
        ("STATUS_OTHER", "Claim status outside the five codes"),
        ("INSUREE_DELETED", "Insuree deleted"),
        ("VALUATED_WITHOUT_LINES", "Valuated without lines"),
        ("PROCESSED_BEFORE_CLAIMED", "Processed before claimed"),
    )
)
FIXED_OPTIONS = {
    "SEX": SEX_OPTIONS,
    "CLAIM_STATUS": CLAIM_STATUS_OPTIONS,
    "VISIT_TYPE": VISIT_TYPE_OPTIONS,
    "SERVICE_CATEGORY": SERVICE_CATEGORY_OPTIONS,
    "ITEM_TYPE": ITEM_TYPE_OPTIONS,
    "LINE_STATUS": LINE_STATUS_OPTIONS,
    "INSUREE_ISSUE": INSUREE_ISSUE_OPTIONS,
    "CLAIM_ISSUE": CLAIM_ISSUE_OPTIONS,
}
