"""Coded values of the openIMIS database (SCHEMA.md §2), as enums.

Values are the codes stored in the database; names are what the codes mean.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ClaimStatus(IntEnum):
    REJECTED = 1
    ENTERED = 2
    CHECKED = 4
    PROCESSED = 8
    VALUATED = 16


class LineStatus(IntEnum):
    """tblClaimItems.ClaimItemStatus / tblClaimServices.ClaimServiceStatus."""

    PASSED = 1
    REJECTED = 2


class ReviewStatus(IntEnum):
    """tblClaim.ReviewStatus and FeedbackStatus."""

    IDLE = 1
    NOT_SELECTED = 2
    SELECTED = 4
    DELIVERED = 8
    BYPASSED = 16


class ApprovalStatus(IntEnum):
    PASSED = 1
    REJECTED = 2


class PolicyStatus(IntEnum):
    IDLE = 1
    ACTIVE = 2
    SUSPENDED = 4
    EXPIRED = 8
    READY = 16


class PolicyStage(StrEnum):
    NEW = "N"
    RENEWAL = "R"


class VisitType(StrEnum):
    EMERGENCY = "E"
    REFERRAL = "R"
    OTHER = "O"


class ClaimCategory(StrEnum):
    SURGERY = "S"
    DELIVERY = "D"
    ANTENATAL = "A"
    HOSPITALIZATION = "H"
    CONSULTATION = "C"
    OTHER = "O"
    VISIT = "V"


class ServiceCategory(StrEnum):
    """tblServices.ServCategory."""

    SURGERY = "S"
    DELIVERY = "D"
    ANTENATAL = "A"
    HOSPITALIZATION = "H"
    CONSULTATION = "C"
    OTHER = "O"
    VISIT = "V"


class ItemType(StrEnum):
    DRUG = "D"
    MEDICAL_CONSUMABLE = "M"


class ServiceType(StrEnum):
    PREVENTIVE = "P"
    CURATIVE = "C"


class ServiceLevel(StrEnum):
    SIMPLE = "S"
    VISIT = "V"
    DAY_OF_HOSPITALIZATION = "D"
    HOSPITAL_CARE = "H"


class CareType(StrEnum):
    IN_PATIENT = "I"
    OUT_PATIENT = "O"
    BOTH = "B"


class HFLevel(StrEnum):
    DISPENSARY = "D"
    HEALTH_CENTRE = "C"
    HOSPITAL = "H"


class LocationType(StrEnum):
    REGION = "R"
    DISTRICT = "D"
    WARD = "W"
    VILLAGE = "V"


class Gender(StrEnum):
    MALE = "M"
    FEMALE = "F"
    OTHER = "O"


class PayType(StrEnum):
    CASH = "C"
    BANK_TRANSFER = "B"
    MOBILE_PHONE = "M"
    FUNDING = "F"


class PayerType(StrEnum):
    COOPERATIVE = "C"
    DONOR = "D"
    GOVERNMENT = "G"
    LOCAL_AUTHORITY = "L"
    OTHER = "O"
    PRIVATE_ORGANIZATION = "P"


class RejectionReason(IntEnum):
    """Line and claim rejection reasons (subset with names; other codes exist)."""

    REJECTED_BY_MEDICAL_OFFICER = -1
    ACCEPTED = 0
    NOT_IN_REGISTERS = 1
    NOT_IN_PRICE_LIST = 2
    NO_ACTIVE_POLICY = 3
    PATIENT_CATEGORY = 4
    FREQUENCY = 5
    DUPLICATED = 6
    INVALID_INSURANCE_NUMBER = 7
    DIAGNOSIS_NOT_IN_LIST = 8
    INVALID_TARGET_DATE = 9
    CARE_TYPE = 10
    MAX_PROVISIONS = 16
    WAITING_PERIOD = 17


class MaritalStatus(StrEnum):
    """tblInsuree.Marital (other or NULL: not specified)."""

    MARRIED = "M"
    SINGLE = "S"
    DIVORCED = "D"
    WIDOWED = "W"


class IdType(StrEnum):
    """tblInsuree.TypeOfId (tblIdentificationTypes)."""

    NATIONAL_ID = "N"
    DRIVERS_LICENCE = "D"
    PASSPORT = "P"
    VOTER_CARD = "V"


class Relationship(IntEnum):
    """tblInsuree.Relationship: relation to the family head (tblRelations)."""

    SIBLING = 1
    PARENT = 2
    UNCLE_AUNT = 3
    CHILD = 4
    GRANDPARENT = 5
    EMPLOYEE = 6
    OTHER = 7
    SPOUSE = 8


class FamilyType(StrEnum):
    """tblFamilies.FamilyType (tblFamilyTypes)."""

    HOUSEHOLD = "H"
    COUNCIL = "C"
    ORGANIZATION = "G"
    OTHER = "O"
    PRIESTS = "P"
    STUDENTS = "S"
    TEACHERS = "T"


class ConfirmationType(StrEnum):
    """tblFamilies.ConfirmationType (tblConfirmationTypes)."""

    LOCAL_COUNCIL = "A"
    MUNICIPALITY = "B"
    STATE = "C"
    OTHER = "D"
