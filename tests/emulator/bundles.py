"""Metadata bundles for the emulator's tests (hand-written, fixed UIDs)."""

from __future__ import annotations

import copy

PUBLIC = {"public": "rwrw----"}

# CONTRACT.md §4 "Minimal valid payload" (one org unit hierarchy, a sex × age combo, a numeric and a text DE).
_MALARIA = {
    "organisationUnits": [
        {"id": "OuRoot00001", "code": "OU_ROOT", "name": "Root", "shortName": "Root", "openingDate": "2000-01-01"},
        {"id": "OuFacil0001", "code": "OU_123", "name": "Facility 123", "shortName": "Facility 123",
         "openingDate": "2000-01-01", "parent": {"id": "OuRoot00001"}},
        {"id": "OuFacil0002", "code": "OU_456", "name": "Facility 456", "shortName": "Facility 456",
         "openingDate": "2000-01-01", "parent": {"id": "OuRoot00001"}},
    ],
    "categoryOptions": [
        {"id": "CoFemale001", "code": "F", "name": "Female", "shortName": "Female", "sharing": PUBLIC},
        {"id": "CoMale00001", "code": "M", "name": "Male", "shortName": "Male", "sharing": PUBLIC},
        {"id": "CoAgeLt5001", "code": "LT5", "name": "Under 5", "shortName": "Under 5", "sharing": PUBLIC},
        {"id": "CoAgeGe5001", "code": "GE5", "name": "5 and over", "shortName": "5 and over", "sharing": PUBLIC},
    ],
    "categories": [
        {"id": "CatSex00001", "code": "SEX", "name": "Sex", "shortName": "Sex", "dataDimensionType": "DISAGGREGATION",
         "dataDimension": True, "categoryOptions": [{"id": "CoFemale001"}, {"id": "CoMale00001"}]},
        {"id": "CatAge00001", "code": "AGE_GROUP", "name": "Age group", "shortName": "Age group",
         "dataDimensionType": "DISAGGREGATION", "dataDimension": True,
         "categoryOptions": [{"id": "CoAgeLt5001"}, {"id": "CoAgeGe5001"}]},
    ],
    "categoryCombos": [
        {"id": "CcSexAge001", "code": "SEX_AGE", "name": "Sex and age", "dataDimensionType": "DISAGGREGATION",
         "skipTotal": False, "categories": [{"id": "CatSex00001"}, {"id": "CatAge00001"}]},
    ],
    "dataElements": [
        {"id": "DeMalCase01", "code": "MAL_CASES", "name": "Malaria cases", "shortName": "Malaria cases",
         "valueType": "INTEGER_ZERO_OR_POSITIVE", "aggregationType": "SUM", "domainType": "AGGREGATE",
         "zeroIsSignificant": True, "categoryCombo": {"id": "CcSexAge001"}},
        {"id": "DeMalNote01", "code": "MAL_NOTE", "name": "Malaria note", "shortName": "Malaria note",
         "valueType": "TEXT", "aggregationType": "NONE", "domainType": "AGGREGATE",
         "categoryCombo": {"id": "bjDvmb4bfuf"}},
        {"id": "DeMalDeath1", "code": "MAL_DEATHS", "name": "Malaria deaths", "shortName": "Malaria deaths",
         "valueType": "INTEGER", "aggregationType": "SUM", "domainType": "AGGREGATE",
         "zeroIsSignificant": False},
    ],
    "dataSets": [
        {"id": "DsMalaria01", "code": "DS_MAL", "name": "Malaria monthly", "shortName": "Malaria monthly",
         "periodType": "Monthly", "categoryCombo": {"id": "bjDvmb4bfuf"}, "openFuturePeriods": 0,
         "expiryDays": 0, "sharing": PUBLIC,
         "dataSetElements": [{"dataSet": {"id": "DsMalaria01"}, "dataElement": {"id": "DeMalCase01"}},
                             {"dataSet": {"id": "DsMalaria01"}, "dataElement": {"id": "DeMalNote01"}},
                             {"dataSet": {"id": "DsMalaria01"}, "dataElement": {"id": "DeMalDeath1"}}],
         "organisationUnits": [{"id": "OuFacil0001"}, {"id": "OuFacil0002"}]},
    ],
}  # fmt: skip

# Codes given to the generated COCs (key: frozenset of option codes).
MALARIA_COC_CODES = {
    frozenset({"F", "LT5"}): "SEX_F__AGE_LT5",
    frozenset({"M", "LT5"}): "SEX_M__AGE_LT5",
    frozenset({"F", "GE5"}): "SEX_F__AGE_GE5",
    frozenset({"M", "GE5"}): "SEX_M__AGE_GE5",
}


def malaria() -> dict:
    return copy.deepcopy(_MALARIA)


def coc_uid(emulator, *option_codes: str) -> str:
    """UID of the COC with exactly these option codes (looked up in the store, not through the API)."""
    wanted = set(option_codes)
    store = emulator.store
    for coc in store.objects["categoryOptionCombos"].values():
        codes = {
            store.objects["categoryOptions"][r["id"]].get("code")
            for r in coc.get("categoryOptions", [])
        }
        if codes == wanted:
            return coc["id"]
    raise KeyError(option_codes)


def give_coc_codes(emulator) -> None:
    """Give the malaria COCs the codes in ``MALARIA_COC_CODES``."""
    emulator.set_option_combo_codes(
        {coc_uid(emulator, *codes): code for codes, code in MALARIA_COC_CODES.items()}
    )
