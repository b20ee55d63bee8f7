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


def _named(uid: str, code: str, name: str, **extra) -> dict:
    return {"id": uid, "code": code, "name": name, "shortName": name, **extra}


def adx_integration_test() -> dict:
    """Metadata of DHIS2's ``AdxDataServiceIntegrationTest.setUp`` (2.41), which the importA/B/C fixtures use.

    UIDs, codes and names are the test's own; every COC is supplied explicitly with a code, as there.
    """
    co = [
        _named("under555555", "under5", "Under 5", sharing=PUBLIC),
        _named("over5555555", "over5", "Over 5", sharing=PUBLIC),
        _named("FFFFFFFFFFF", "F", "Female", sharing=PUBLIC),
        _named("MMMMMMMMMMM", "M", "Male", sharing=PUBLIC),
        _named("PEPFARRRRRR", "PEPFAR", "PEPFAR mechanism", sharing=PUBLIC),
        _named("McDonaldsss", "McDonalds", "McDonalds mechanism", sharing=PUBLIC),
    ]

    def refs(*uids: str) -> list[dict]:
        return [{"id": u} for u in uids]

    def coc(uid: str, code: str, name: str, combo: str, *options: str) -> dict:
        return {
            "id": uid,
            "code": code,
            "name": name,
            "categoryCombo": {"id": combo},
            "categoryOptions": refs(*options),
        }

    return {
        "organisationUnits": [
            _named("P1233333333", "123", "Provincial Hospital", openingDate="2000-01-01"),
            _named(
                "D4566666666",
                "456",
                "District Hospital",
                openingDate="2000-01-01",
                parent={"id": "P1233333333"},
            ),
        ],
        "categoryOptions": co,
        "categories": [
            _named(
                "ageeeeeeeee",
                "age",
                "Age_category",
                dataDimensionType="DISAGGREGATION",
                categoryOptions=refs("under555555", "over5555555"),
            ),
            _named(
                "sexxxxxxxxx",
                "sex",
                "Sex_category",
                dataDimensionType="DISAGGREGATION",
                categoryOptions=refs("FFFFFFFFFFF", "MMMMMMMMMMM"),
            ),
            _named(
                "mechanismmm",
                "mechanism",
                "Mechanism_category",
                dataDimensionType="ATTRIBUTE",
                categoryOptions=refs("PEPFARRRRRR", "McDonaldsss"),
            ),
        ],  # fmt: skip
        "categoryCombos": [
            {
                "id": "ccAgeSex001",
                "code": "CategoryComboCodeA",
                "name": "Age and Sex Category Combo",
                "dataDimensionType": "DISAGGREGATION",
                "categories": refs("ageeeeeeeee", "sexxxxxxxxx"),
            },
            {
                "id": "ccMechanis1",
                "code": "CategoryComboCodeB",
                "name": "Mechanism Category Combo",
                "dataDimensionType": "ATTRIBUTE",
                "categories": refs("mechanismmm"),
            },
        ],  # fmt: skip
        "categoryOptionCombos": [
            coc(
                "FUnder55555",
                "F_Under5",
                "Female Under 5",
                "ccAgeSex001",
                "FFFFFFFFFFF",
                "under555555",
            ),
            coc(
                "MUnder55555",
                "M_Under5",
                "Male Under 5",
                "ccAgeSex001",
                "MMMMMMMMMMM",
                "under555555",
            ),
            coc(
                "FOver555555",
                "F_Over5",
                "Female Over 5",
                "ccAgeSex001",
                "FFFFFFFFFFF",
                "over5555555",
            ),
            coc(
                "MOver555555", "M_Over5", "Male Over 5", "ccAgeSex001", "MMMMMMMMMMM", "over5555555"
            ),
            coc(
                "cocPEPFARRR",
                "coc_PEPFAR",
                "PEPFAR CategoryOptionCombo",
                "ccMechanis1",
                "PEPFARRRRRR",
            ),
            coc(
                "cocMcDonald",
                "coc_McDonalds",
                "McDonalds CategoryOptionCombo",
                "ccMechanis1",
                "McDonaldsss",
            ),
        ],
        "dataElements": [
            _named(
                "MalNummmmmm",
                "Mal_num",
                "Malaria numeric",
                valueType="INTEGER",
                aggregationType="SUM",
                domainType="AGGREGATE",
                categoryCombo={"id": "ccAgeSex001"},
            ),
            _named(
                "MalTexttttt",
                "Mal_text",
                "Malaria text",
                valueType="TEXT",
                aggregationType="NONE",
                domainType="AGGREGATE",
            ),
        ],  # fmt: skip
        "dataSets": [
            _named(
                "MalariaDSSS",
                "MalariaDS",
                "Malaria DS",
                periodType="Monthly",
                sharing=PUBLIC,
                organisationUnits=refs("P1233333333"),
                dataSetElements=[
                    {"dataElement": {"id": "MalNummmmmm"}},
                    {"dataElement": {"id": "MalTexttttt"}},
                ],
            ),
            _named(
                "MalariaMech",
                "MalariaMechanismDS",
                "Malaria Mechanism DS",
                periodType="Quarterly",
                sharing=PUBLIC,
                categoryCombo={"id": "ccMechanis1"},
                dataSetElements=[
                    {"dataElement": {"id": "MalNummmmmm"}},
                    {"dataElement": {"id": "MalTexttttt"}},
                ],
            ),
        ],  # fmt: skip
    }


def adx_samples(*, disaggregated_mal04: bool, data_set_code: str, attribute_combo: bool) -> dict:
    """Metadata for the ``adx_data_sample`` files (IHE profile samples and DHIS2's copies).

    Org unit ``342``; MAL01/MAL02/MAL04 numeric, MAL03 text; MAL04 optionally disaggregated by
    ``ageGroup`` (``under5``/``5andOver``) × ``sex`` (``M``/``F``); the data set optionally has a
    ``mechanism`` attribute combo (``PEPFAR``/``OTHER``/``McDonalds``). COCs are generated, without codes.
    """

    def de(uid: str, code: str, value_type: str, combo: str = "bjDvmb4bfuf") -> dict:
        return _named(uid, code, f"Malaria {code}", valueType=value_type, aggregationType="SUM",
                      domainType="AGGREGATE", categoryCombo={"id": combo}, zeroIsSignificant=True)  # fmt: skip

    bundle: dict = {
        "organisationUnits": [
            _named("OrgUnit0342", "342", "Facility 342", openingDate="2000-01-01")
        ],
        "categoryOptions": [
            _named("CoUnder5Yrs", "under5", "Under 5", sharing=PUBLIC),
            _named("Co5AndOverY", "5andOver", "5 and over", sharing=PUBLIC),
            _named("CoSexMale01", "M", "Male", sharing=PUBLIC),
            _named("CoSexFemale", "F", "Female", sharing=PUBLIC),
            _named("CoMechPepfa", "PEPFAR", "PEPFAR", sharing=PUBLIC),
            _named("CoMechOther", "OTHER", "Other mechanism", sharing=PUBLIC),
            _named("CoMechMcDon", "McDonalds", "McDonalds", sharing=PUBLIC),
        ],
        "categories": [
            _named(
                "CatAgeGroup",
                "ageGroup",
                "Age group",
                dataDimensionType="DISAGGREGATION",
                categoryOptions=[{"id": "CoUnder5Yrs"}, {"id": "Co5AndOverY"}],
            ),
            _named(
                "CatSexSexSe",
                "sex",
                "Sex",
                dataDimensionType="DISAGGREGATION",
                categoryOptions=[{"id": "CoSexMale01"}, {"id": "CoSexFemale"}],
            ),
            _named(
                "CatMechanis",
                "mechanism",
                "Mechanism",
                dataDimensionType="ATTRIBUTE",
                categoryOptions=[
                    {"id": "CoMechPepfa"},
                    {"id": "CoMechOther"},
                    {"id": "CoMechMcDon"},
                ],
            ),
        ],  # fmt: skip
        "categoryCombos": [
            {
                "id": "CcAgeSex342",
                "code": "AGE_SEX",
                "name": "Age and sex",
                "dataDimensionType": "DISAGGREGATION",
                "categories": [{"id": "CatAgeGroup"}, {"id": "CatSexSexSe"}],
            },
            {
                "id": "CcMechanism",
                "code": "MECHANISM",
                "name": "Mechanism",
                "dataDimensionType": "ATTRIBUTE",
                "categories": [{"id": "CatMechanis"}],
            },
        ],  # fmt: skip
        "dataElements": [
            de("DeMal010001", "MAL01", "INTEGER"),
            de("DeMal020002", "MAL02", "INTEGER"),
            de("DeMal030003", "MAL03", "TEXT"),
            de(
                "DeMal040004",
                "MAL04",
                "INTEGER",
                "CcAgeSex342" if disaggregated_mal04 else "bjDvmb4bfuf",
            ),
        ],
        "dataSets": [
            _named(
                "DsMalaria42",
                data_set_code,
                "Malaria",
                periodType="Monthly",
                sharing=PUBLIC,
                categoryCombo={"id": "CcMechanism" if attribute_combo else "bjDvmb4bfuf"},
                organisationUnits=[{"id": "OrgUnit0342"}],
                dataSetElements=[
                    {"dataElement": {"id": u}}
                    for u in ("DeMal010001", "DeMal020002", "DeMal030003", "DeMal040004")
                ],
            ),
        ],  # fmt: skip
    }
    return bundle
