"""Strict/require options, expiry days, force, completeDate and attributeCategoryOptions (§2.1, §3.1, §3.5)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.emulator.bundles import PUBLIC, coc_uid, malaria
from tests.emulator.helpers import count, counts, post_adx, post_json, stored

OU = "OuFacil0001"
D = "HllvX50cXC0"


def with_funder(bundle: dict) -> dict:
    bundle["categoryOptions"] += [
        {
            "id": "CoFundA0001",
            "code": "FUND_A",
            "name": "Fund A",
            "shortName": "Fund A",
            "sharing": PUBLIC,
        },
        {
            "id": "CoFundB0001",
            "code": "FUND_B",
            "name": "Fund B",
            "shortName": "Fund B",
            "sharing": PUBLIC,
        },
    ]
    bundle["categories"].append({"id": "CatFunder01", "code": "FUNDER", "name": "Funder", "shortName": "Funder",
                                 "dataDimensionType": "ATTRIBUTE",
                                 "categoryOptions": [{"id": "CoFundA0001"}, {"id": "CoFundB0001"}]})  # fmt: skip
    bundle["categoryCombos"].append({"id": "CcFunder001", "code": "FUNDER", "name": "Funder",
                                     "dataDimensionType": "ATTRIBUTE", "categories": [{"id": "CatFunder01"}]})  # fmt: skip
    bundle["dataSets"][0]["categoryCombo"] = {"id": "CcFunder001"}
    return bundle


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(with_funder(malaria()))
    return dhis2_emulator


def value(**fields) -> dict:
    return {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU, "value": "1", **fields}


def error_code(r) -> str:
    (conflict,) = r.json()["response"]["conflicts"]
    return conflict["errorCode"]


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_require_option_combos(emu):
    assert (
        error_code(post_json(emu, {"dataValues": [value()]}, requireCategoryOptionCombo="true"))
        == "E7630"
    )
    assert (
        error_code(post_json(emu, {"dataValues": [value()]}, requireAttributeOptionCombo="true"))
        == "E7631"
    )
    r = post_json(emu, {"dataValues": [value(categoryOptionCombo=D, attributeOptionCombo=coc_uid(emu, "FUND_A"))]},
                  requireCategoryOptionCombo="true", requireAttributeOptionCombo="true")  # fmt: skip
    assert counts(r) == count(imported=1)


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_strict_options(emu):
    f_lt5 = coc_uid(emu, "F", "LT5")
    fund_a = coc_uid(emu, "FUND_A")
    # Period type must be one of the element's data sets' (Monthly).
    assert (
        error_code(post_json(emu, {"dataValues": [value(period="2023Q1")]}, strictPeriods="true"))
        == "E7632"
    )
    # COC must belong to the element's combo (default here).
    r = post_json(
        emu, {"dataValues": [value(categoryOptionCombo=f_lt5)]}, strictCategoryOptionCombos="true"
    )
    assert error_code(r) == "E7634"
    # AOC must belong to the attribute combo of the element's data sets (Funder; default is not in it).
    assert (
        error_code(post_json(emu, {"dataValues": [value()]}, strictAttributeOptionCombos="true"))
        == "E7635"
    )
    r = post_json(
        emu,
        {"dataValues": [value(attributeOptionCombo=fund_a)]},
        strictAttributeOptionCombos="true",
    )
    assert counts(r) == count(imported=1)
    # Org unit must be assigned to a data set of the element (the root is not).
    r = post_json(
        emu, {"dataValues": [value(orgUnit="OuRoot00001")]}, strictOrganisationUnits="true"
    )
    assert error_code(r) == "E7636"
    # strictDataElements needs a data set header (E7602), then the element must be in it (E7633).
    r = post_json(emu, {"dataValues": [value()]}, strictDataElements="true")
    assert (r.status_code, r.json()["response"]["status"], error_code(r)) == (409, "ERROR", "E7602")
    emu.load_metadata({"dataElements": [{"id": "DeLoose0001", "code": "LOOSE", "name": "Loose", "shortName": "Loose",
                                         "valueType": "INTEGER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]},
                      generate_option_combos=False)  # fmt: skip
    r = post_json(emu, {"dataSet": "DsMalaria01", "dataValues": [value(dataElement="DeLoose0001")]},
                  strictDataElements="true")  # fmt: skip
    assert error_code(r) == "E7633"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_expiry_days_and_force(dhis2_emulator):
    bundle = malaria()
    bundle["dataSets"][0]["expiryDays"] = 10
    dhis2_emulator.load_metadata(bundle)
    old = {"dataValues": [value(period="202001")]}
    r = post_json(dhis2_emulator, old)
    assert error_code(r) == "E7640"
    assert r.json()["response"]["conflicts"][0]["value"] == (
        "Current date is past expiry days for period: `202001`  and data set: `DsMalaria01`")  # fmt: skip
    # force=true lets a superuser bypass locking and future-period checks.
    assert counts(post_json(dhis2_emulator, old, force="true")) == count(imported=1)
    # A period that ended less than expiryDays ago is still open.
    recent = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y%m")
    if dt.date.today().day <= 10:
        assert counts(post_json(dhis2_emulator, {"dataValues": [value(period=recent)]})) == count(
            imported=1
        )
    else:
        assert (
            error_code(post_json(dhis2_emulator, {"dataValues": [value(period=recent)]})) == "E7640"
        )


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_complete_date(emu):
    fund_a = coc_uid(emu, "FUND_A")
    payload = {"dataSet": "DsMalaria01", "period": "202301", "orgUnit": OU, "completeDate": "2023-02-03",
               "attributeOptionCombo": fund_a, "dataValues": [value()]}  # fmt: skip
    r = post_json(emu, payload)
    assert r.status_code == 200 and r.json()["response"]["dataSetComplete"] == "2023-02-03"
    # 2.41 registers the completion on the default AOC.
    assert emu.store.completions == {("DsMalaria01", "202301", OU, D): "2023-02-03"}
    del payload["period"]
    r = post_json(emu, payload)
    assert r.status_code == 409
    assert r.json()["response"]["conflicts"] == [
        {"object": "Period", "value": "Must be provided to complete data set"}
    ]


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_attribute_category_options_header(emu):
    payload = {
        "dataSet": "DsMalaria01",
        "attributeCategoryOptions": ["CoFundB0001"],
        "dataValues": [value()],
    }
    assert counts(post_json(emu, payload)) == count(imported=1)
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, coc_uid(emu, "FUND_B")): "1"}
    payload["attributeCategoryOptions"] = ["CoFemale001"]
    r = post_json(emu, payload)
    assert (r.status_code, r.json()["response"]["status"], error_code(r)) == (409, "ERROR", "E7604")


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_adx_attribute_combo_without_codes_null_aoc(emu):
    """Group-level variant of the COC-without-code quirk: the AOC resolves to null, each value becomes an ADX
    conflict *and* a half-written DXF value without data element (E7610 on ``null``) → 409 WARNING."""
    doc = ('<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M" '
           'FUNDER="FUND_A"><dataValue dataElement="MAL_DEATHS" value="3"/>'
           '<dataValue dataElement="MAL_NOTE" value="0"><annotation>n</annotation></dataValue></group></adx>')  # fmt: skip
    r = post_adx(emu, doc)
    assert r.status_code == 409
    summary = r.json()["response"]
    assert summary["conflicts"] == [
        {"objects": {"dataElement": None}, "value": "Data element not found or not accessible: `null`",
         "errorCode": "E7610", "property": "dataElement", "indexes": [0, 1]},
        {"object": "ADX Error", "value": "Value for attributeOptionCombo is null"},  # two merged into one
    ]  # fmt: skip
    assert summary["importCount"] == count(ignored=4)
    assert stored(emu) == {}
