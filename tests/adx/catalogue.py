"""A small catalogue shaped like INDICATORS.md (sex x age, claim status, text and number elements)."""

from __future__ import annotations

from adx.model import (
    Catalogue,
    Category,
    CategoryOption,
    DataElement,
    DataSetDefinition,
    IndicatorDefinition,
    Operand,
)

SEX = Category("SEX", "Sex", tuple(CategoryOption(c, n) for c, n in
               (("SEX_F", "Female"), ("SEX_M", "Male"), ("SEX_O", "Other"), ("SEX_UNKNOWN", "Unknown"))))  # fmt: skip
AGE = Category("AGE", "Age band", tuple(CategoryOption(c, n) for c, n in
               (("AGE_0_5", "0-5"), ("AGE_6_12", "6-12"), ("AGE_76P", "76+"), ("AGE_UNKNOWN", "Unknown"))))  # fmt: skip
STATUS = Category("CLAIM_STATUS", "Claim status", tuple(CategoryOption(c, n) for c, n in
                  (("CLAIM_STATUS_REJECTED", "Rejected"), ("CLAIM_STATUS_VALUATED", "Valuated"),
                   ("CLAIM_STATUS_OTHER", "Other"))))  # fmt: skip

ENROLMENT = DataSetDefinition(
    "OI_ENROLMENT",
    "openIMIS enrolment",
    "Monthly",
    (
        DataElement("OI_INSUREES_COVERED", "Insurees covered", (SEX, AGE)),
        DataElement("OI_FAMILIES_COVERED", "Families covered"),
        DataElement("OI_NOTE", "Remarks", value_type="TEXT", aggregation_type="NONE"),
    ),
    open_future_periods=1,
)
CLAIMS = DataSetDefinition(
    "OI_CLAIMS",
    "openIMIS claims",
    "Monthly",
    (
        DataElement("OI_CLAIMS", "Claims", (STATUS,)),
        DataElement("OI_CLAIMS_PATIENT", "Claims by patient", (SEX, AGE)),
        DataElement("OI_REMUNERATED_AMOUNT", "Remunerated amount", value_type="NUMBER"),
    ),
)
POPULATION = DataSetDefinition(
    "OI_POPULATION", "Population", "Yearly", (DataElement("OI_POPULATION", "Population", (SEX,)),)
)
INDICATORS = (
    IndicatorDefinition(
        "OI_IND_COVERAGE",
        "Coverage rate",
        (Operand("OI_INSUREES_COVERED"),),
        (Operand("OI_POPULATION"),),
        100,
    ),
    IndicatorDefinition(
        "OI_IND_REJECTION",
        "Claim rejection rate",
        (Operand("OI_CLAIMS", (("CLAIM_STATUS", "CLAIM_STATUS_REJECTED"),)),),
        (Operand("OI_CLAIMS"),),
        100,
    ),
    IndicatorDefinition(
        "OI_IND_AVG_REMUNERATED",
        "Average remunerated per claim",
        (Operand("OI_REMUNERATED_AMOUNT"),),
        (Operand("OI_CLAIMS", (("CLAIM_STATUS", "CLAIM_STATUS_VALUATED"),)),),
    ),
    IndicatorDefinition(
        "OI_IND_FEMALE_CHILD_CLAIMS",
        "Claims of girls 0-12 per 1,000",
        (
            Operand(
                "OI_CLAIMS_PATIENT", (("SEX", "SEX_F"), ("AGE", "AGE_0_5"), ("AGE", "AGE_6_12"))
            ),
        ),
        (Operand("OI_INSUREES_COVERED", (("SEX", "SEX_F"),)),),
        1000,
    ),
)
CATALOGUE = Catalogue((ENROLMENT, CLAIMS, POPULATION), INDICATORS)
