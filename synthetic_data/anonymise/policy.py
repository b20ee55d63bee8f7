"""What happens to every column: ONE declarative table, reviewed as a whole.

Every text column of every modeled table must appear in ``TEXT_COLUMNS`` (a test fails otherwise), so a
column added to ``openimis_db.tables`` cannot slip through un-anonymised. Non-text columns are kept,
except those listed in ``OTHER_COLUMNS``; all date and timestamp columns are shifted by the run's whole
months, and the dates of birth in ``OTHER_COLUMNS`` are first jittered within their month.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Action", "TEXT_COLUMNS", "OTHER_COLUMNS", "action_of", "REPLACED_KINDS"]


class Action(StrEnum):
    KEEP = "keep"  # public or coded value, needed as is (codes, public place and facility names)
    DROP = "drop"  # set to NULL (free text, photos, row-version stamps, links to tables not copied)
    UUID = "uuid"  # regenerated consistently (same old UUID -> same new UUID)
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    ORG_NAME = "org_name"
    ADDRESS = "address"
    EMAIL = "email"
    PHONE = "phone"  # same shape, keyed permutation of the digits
    IDENTIFIER = "identifier"  # insurance number, passport, codes: same shape, unique stays unique
    DOB = "dob"  # date of birth: random day 1..28 of the same month and year


# Kinds whose source values must never appear in the target (the leak tests search for them).
REPLACED_KINDS = frozenset(
    {
        Action.FIRST_NAME,
        Action.LAST_NAME,
        Action.ORG_NAME,
        Action.ADDRESS,
        Action.EMAIL,
        Action.PHONE,
        Action.IDENTIFIER,
    }
)

K, D, U = Action.KEEP, Action.DROP, Action.UUID

# (table, column) -> action, for EVERY text column of the modeled tables.
TEXT_COLUMNS: dict[tuple[str, str], Action] = {
    # locations are public (village level kept, see docs)
    ("tblLocations", "LocationUUID"): U,
    ("tblLocations", "LocationCode"): K,
    ("tblLocations", "LocationName"): K,
    ("tblLocations", "LocationType"): K,
    ("tblLocations", "RowId"): D,
    ("tblGender", "Code"): K,
    ("tblGender", "Gender"): K,
    ("tblGender", "AltLanguage"): K,
    # health facilities are public: code, name and address kept; contact details replaced
    ("tblHF", "HfUUID"): U,
    ("tblHF", "HFCode"): K,
    ("tblHF", "HFName"): K,
    ("tblHF", "AccCode"): K,
    ("tblHF", "HFLevel"): K,
    ("tblHF", "HFAddress"): K,
    ("tblHF", "Phone"): Action.PHONE,
    ("tblHF", "Fax"): Action.PHONE,
    ("tblHF", "eMail"): Action.EMAIL,
    ("tblHF", "HFCareType"): K,
    ("tblHF", "LegalForm"): K,
    ("tblHF", "HFSublevel"): K,
    # enrolment officers (and their village executive officers) are people
    ("tblOfficer", "OfficerUUID"): U,
    ("tblOfficer", "Code"): Action.IDENTIFIER,
    ("tblOfficer", "LastName"): Action.LAST_NAME,
    ("tblOfficer", "OtherNames"): Action.FIRST_NAME,
    ("tblOfficer", "EmailId"): Action.EMAIL,
    ("tblOfficer", "permanentaddress"): Action.ADDRESS,
    ("tblOfficer", "Phone"): Action.PHONE,
    ("tblOfficer", "RowID"): D,
    ("tblOfficer", "VEOCode"): Action.IDENTIFIER,
    ("tblOfficer", "VEOLastName"): Action.LAST_NAME,
    ("tblOfficer", "VEOOtherNames"): Action.FIRST_NAME,
    ("tblOfficer", "VEOPhone"): Action.PHONE,
    # payers may be private persons
    ("tblPayer", "PayerUUID"): U,
    ("tblPayer", "PayerType"): K,
    ("tblPayer", "PayerName"): Action.ORG_NAME,
    ("tblPayer", "PayerAddress"): Action.ADDRESS,
    ("tblPayer", "Phone"): Action.PHONE,
    ("tblPayer", "Fax"): Action.PHONE,
    ("tblPayer", "eMail"): Action.EMAIL,
    ("tblPayer", "RowID"): D,
    # products: scheme configuration, public
    ("tblProduct", "ProdUUID"): U,
    ("tblProduct", "ProductCode"): K,
    ("tblProduct", "ProductName"): K,
    ("tblProduct", "PeriodRelPrices"): K,
    ("tblProduct", "PeriodRelPricesOP"): K,
    ("tblProduct", "PeriodRelPricesIP"): K,
    ("tblProduct", "AccCodePremiums"): K,
    ("tblProduct", "AccCodeRemuneration"): K,
    ("tblProduct", "RowID"): D,
    ("tblProduct", "StartCycle1"): K,
    ("tblProduct", "StartCycle2"): K,
    ("tblProduct", "StartCycle3"): K,
    ("tblProduct", "StartCycle4"): K,
    ("tblProduct", "CeilingInterpretation"): K,
    ("tblProduct", "Level1"): K,
    ("tblProduct", "Sublevel1"): K,
    ("tblProduct", "Level2"): K,
    ("tblProduct", "Sublevel2"): K,
    ("tblProduct", "Level3"): K,
    ("tblProduct", "Sublevel3"): K,
    ("tblProduct", "Level4"): K,
    ("tblProduct", "Sublevel4"): K,
    ("tblFamilies", "FamilyUUID"): U,
    ("tblFamilies", "FamilyAddress"): Action.ADDRESS,
    ("tblFamilies", "Ethnicity"): D,  # special-category data, used by no indicator
    ("tblFamilies", "ConfirmationNo"): Action.IDENTIFIER,
    ("tblFamilies", "ConfirmationType"): K,
    ("tblFamilies", "FamilyType"): K,
    ("tblFamilies", "RowID"): D,
    ("tblFamilies", "Source"): K,
    ("tblFamilies", "SourceVersion"): K,
    ("tblInsuree", "CHFID"): Action.IDENTIFIER,
    ("tblInsuree", "CurrentAddress"): Action.ADDRESS,
    ("tblInsuree", "Email"): Action.EMAIL,
    ("tblInsuree", "Gender"): K,
    ("tblInsuree", "GeoLocation"): D,  # coordinates of a home
    ("tblInsuree", "InsureeUUID"): U,
    ("tblInsuree", "LastName"): Action.LAST_NAME,
    ("tblInsuree", "Marital"): K,
    ("tblInsuree", "OtherNames"): Action.FIRST_NAME,
    ("tblInsuree", "Phone"): Action.PHONE,
    ("tblInsuree", "TypeOfId"): K,
    ("tblInsuree", "passport"): Action.IDENTIFIER,
    ("tblInsuree", "Source"): K,
    ("tblInsuree", "SourceVersion"): K,
    ("tblPolicy", "PolicyUUID"): U,
    ("tblPolicy", "PolicyStage"): K,
    ("tblPolicy", "Source"): K,
    ("tblPolicy", "SourceVersion"): K,
    ("tblPremium", "PremiumUUID"): U,
    ("tblPremium", "Receipt"): Action.IDENTIFIER,
    ("tblPremium", "PayType"): K,
    ("tblPremium", "RowID"): D,
    ("tblPremium", "Source"): K,
    ("tblPremium", "SourceVersion"): K,
    # medical registers: public reference data
    ("tblItems", "ItemUUID"): U,
    ("tblItems", "ItemCode"): K,
    ("tblItems", "ItemName"): K,
    ("tblItems", "ItemType"): K,
    ("tblItems", "ItemPackage"): K,
    ("tblItems", "ItemCareType"): K,
    ("tblServices", "ServiceUUID"): U,
    ("tblServices", "ServCategory"): K,
    ("tblServices", "ServCode"): K,
    ("tblServices", "ServName"): K,
    ("tblServices", "ServType"): K,
    ("tblServices", "ServLevel"): K,
    ("tblServices", "ServCareType"): K,
    ("tblICDCodes", "ICDCode"): K,
    ("tblICDCodes", "ICDName"): K,
    ("tblClaimAdmin", "ClaimAdminUUID"): U,
    ("tblClaimAdmin", "ClaimAdminCode"): Action.IDENTIFIER,
    ("tblClaimAdmin", "LastName"): Action.LAST_NAME,
    ("tblClaimAdmin", "OtherNames"): Action.FIRST_NAME,
    ("tblClaimAdmin", "EmailId"): Action.EMAIL,
    ("tblClaimAdmin", "Phone"): Action.PHONE,
    ("tblClaim", "ClaimUUID"): U,
    ("tblClaim", "ClaimCategory"): K,
    ("tblClaim", "ClaimCode"): Action.IDENTIFIER,  # regenerated, same shape, unique stays unique
    ("tblClaim", "Adjustment"): D,
    ("tblClaim", "Explanation"): D,
    ("tblClaim", "GuaranteeId"): Action.IDENTIFIER,
    ("tblClaim", "VisitType"): K,
    ("tblClaimItems", "Explanation"): D,
    ("tblClaimItems", "Justification"): D,
    ("tblClaimItems", "Limitation"): K,
    ("tblClaimItems", "PriceOrigin"): K,
    ("tblClaimServices", "Explanation"): D,
    ("tblClaimServices", "Justification"): D,
    ("tblClaimServices", "Limitation"): K,
    ("tblClaimServices", "PriceOrigin"): K,
}

# Non-text columns that are not simply kept (dates are shifted separately, whatever their action).
OTHER_COLUMNS: dict[tuple[str, str], Action] = {
    ("tblInsuree", "DOB"): Action.DOB,
    ("tblOfficer", "DOB"): Action.DOB,
    ("tblOfficer", "VEODOB"): Action.DOB,
    ("tblClaimAdmin", "DOB"): Action.DOB,
    ("tblInsuree", "PhotoID"): D,  # photos are not copied
    ("tblHF", "RowID"): D,
    ("tblInsuree", "RowID"): D,
    ("tblPolicy", "RowID"): D,
    ("tblInsureePolicy", "RowID"): D,
    ("tblItems", "RowID"): D,
    ("tblServices", "RowID"): D,
    ("tblICDCodes", "RowID"): D,
    ("tblClaimAdmin", "RowId"): D,
    ("tblClaim", "RowID"): D,
    # links to tables that are not copied (price lists, users, batch runs, feedback): NULL keeps the
    # target's foreign keys valid when it is a real openIMIS schema
    ("tblHF", "PLItemID"): D,
    ("tblHF", "PLServiceID"): D,
    ("tblClaim", "Adjuster"): D,
    ("tblClaim", "RunID"): D,
    ("tblClaim", "FeedbackID"): D,
}


def action_of(table: str, column: str) -> Action:
    return TEXT_COLUMNS.get((table, column)) or OTHER_COLUMNS.get((table, column)) or Action.KEEP
