"""``GET /api/dataValueSets`` parameters, errors and id schemes (CONTRACT.md §3.4)."""

from __future__ import annotations

import re

import pytest
import requests
from lxml import etree

from tests.emulator.bundles import coc_uid, give_coc_codes, malaria
from tests.emulator.helpers import post_json

NS = {"a": "urn:ihe:qrph:adx:2015"}


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    values = [
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": "OuFacil0001", "value": "1"},
        {"dataElement": "DeMalDeath1", "period": "202302", "orgUnit": "OuFacil0001", "value": "2"},
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": "OuFacil0002", "value": "3"},
        {"dataElement": "DeMalDeath1", "period": "2023Q1", "orgUnit": "OuFacil0002", "value": "4"},
        {"dataElement": "DeMalCase01", "period": "202301", "orgUnit": "OuFacil0001", "value": "5",
         "categoryOptionCombo": coc_uid(dhis2_emulator, "M", "GE5")},
    ]  # fmt: skip
    assert post_json(dhis2_emulator, {"dataValues": values}).status_code == 200
    return dhis2_emulator


_UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")


def read(emu, accept: str = "application/json", **params) -> requests.Response:
    """GET /api/dataValueSets; a JSON read by code names its input scheme, as real DHIS2 requires."""
    if accept == "application/json":
        for name, scheme in (("dataSet", "inputDataSetIdScheme"), ("orgUnit", "inputOrgUnitIdScheme"),
                             ("dataElement", "inputDataElementIdScheme")):  # fmt: skip
            if name in params and not _UID.match(params[name]) and scheme not in params:
                params[scheme] = "CODE"
    return requests.get(emu.url + "/api/dataValueSets", params=params, headers={"Accept": accept},
                        auth=emu.admin_auth)  # fmt: skip


def values_of(r) -> set[tuple]:
    return {
        (v["dataElement"], v["period"], v["orgUnit"], v["value"]) for v in r.json()["dataValues"]
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"period": "202301", "orgUnit": "OuFacil0001"}, "E2001"),
        (
            {"dataSet": "NoSuchDs001", "period": "202301", "orgUnit": "OuFacil0001"},
            "E2001",
        ),  # unknown: dropped
        ({"dataSet": "DsMalaria01", "orgUnit": "OuFacil0001"}, "E2002"),
        ({"dataSet": "DsMalaria01", "period": "202301"}, "E2006"),
        ({"dataSet": "DsMalaria01", "period": "202301", "orgUnit": "OU_TYPO"}, "E2006"),
    ],
)
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_required_parameters(emu, params, code):
    for accept in ("application/json", "application/adx+xml"):
        r = read(emu, accept, **params)
        assert r.status_code == 409
        assert r.json()["errorCode"] == code and r.json()["status"] == "ERROR"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_period_org_unit_children_and_dates(emu):
    assert values_of(read(emu, dataSet="DsMalaria01", period="202301", orgUnit="OuFacil0001")) == {
        ("DeMalDeath1", "202301", "OuFacil0001", "1"), ("DeMalCase01", "202301", "OuFacil0001", "5")}  # fmt: skip
    # Data set and org unit by code; children of the root.
    assert values_of(read(emu, dataSet="DS_MAL", period="202301", orgUnit="OU_ROOT", children="true")) == {
        ("DeMalDeath1", "202301", "OuFacil0001", "1"), ("DeMalCase01", "202301", "OuFacil0001", "5"),
        ("DeMalDeath1", "202301", "OuFacil0002", "3")}  # fmt: skip
    assert values_of(read(emu, dataSet="DS_MAL", period="202301", orgUnit="OU_ROOT")) == set()
    # startDate/endDate: every period lying inside the range, of any type.
    assert values_of(read(emu, dataSet="DS_MAL", startDate="2023-01-01", endDate="2023-03-31", orgUnit="OU_456")) == {
        ("DeMalDeath1", "202301", "OuFacil0002", "3"), ("DeMalDeath1", "2023Q1", "OuFacil0002", "4")}  # fmt: skip
    assert values_of(read(emu, dataSet="DS_MAL", startDate="2023-01-01", endDate="2023-02-28", orgUnit="OU_456")) == {
        ("DeMalDeath1", "202301", "OuFacil0002", "3")}  # fmt: skip
    assert read(emu, dataSet="DS_MAL", period="202301", startDate="2023-01-01", endDate="2023-01-31",
                orgUnit="OU_456").json()["errorCode"] == "E2003"  # fmt: skip


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_include_deleted_and_code_scheme(emu):
    post_json(emu, {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202302", "orgUnit": "OuFacil0001"}]},
              importStrategy="DELETE")  # fmt: skip
    assert values_of(read(emu, dataSet="DS_MAL", period="202302", orgUnit="OU_123")) == set()
    r = read(emu, dataSet="DS_MAL", period="202302", orgUnit="OU_123", includeDeleted="true")
    (value,) = r.json()["dataValues"]
    assert value["deleted"] is True and value["value"] == "2"
    give_coc_codes(emu)
    r = read(emu, dataSet="DS_MAL", period="202301", orgUnit="OU_123", idScheme="CODE")
    got = {(v["dataElement"], v["orgUnit"], v["categoryOptionCombo"], v["attributeOptionCombo"], v["value"])
           for v in r.json()["dataValues"]}  # fmt: skip
    assert got == {("MAL_DEATHS", "OU_123", "default", "default", "1"),
                   ("MAL_CASES", "OU_123", "SEX_M__AGE_GE5", "default", "5")}  # fmt: skip


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_adx_read_back_explodes_categories_and_rejects_options_without_codes(emu):
    r = read(emu, "application/adx+xml", dataSet="DS_MAL", period="202301", orgUnit="OU_123")
    root = etree.fromstring(r.content)
    values = {(dv.get("dataElement"), dv.get("SEX"), dv.get("AGE_GROUP"), dv.get("value"))
              for dv in root.iterfind("a:group/a:dataValue", NS)}  # fmt: skip
    assert values == {("MAL_DEATHS", None, None, "1"), ("MAL_CASES", "M", "GE5", "5")}
    emu.store.objects["categoryOptions"]["CoMale00001"].pop("code")
    emu.store.changed()
    r = read(emu, "application/adx+xml", dataSet="DS_MAL", period="202301", orgUnit="OU_123")
    assert r.status_code == 409 and r.json()["message"] == "CategoryOption CODE for Male is missing"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_read_access(emu):
    emu.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",), org_units=["OuFacil0002"])
    r = requests.get(emu.url + "/api/dataValueSets", auth=("clerk", "Clerk123!"),
                     params={"dataSet": "DS_MAL", "period": "202301", "orgUnit": "OU_123", "inputIdScheme": "CODE"})  # fmt: skip
    assert (r.status_code, r.json()["errorCode"]) == (409, "E2012")


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_last_updated_filters(emu):
    base = {"dataSet": "DS_MAL", "orgUnit": "OU_123"}
    assert len(read(emu, **base, lastUpdatedDuration="1d").json()["dataValues"]) == 3
    assert read(emu, **base, lastUpdated="2999-01-01").json()["dataValues"] == []
    assert len(read(emu, **base, lastUpdated="2000-01-01").json()["dataValues"]) == 3
    r = read(emu, **base, lastUpdatedDuration="soon")
    assert (r.status_code, r.json()["errorCode"]) == (409, "E2005")


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_json_read_back_by_code_needs_the_input_scheme(emu):
    """Codes under the default input scheme (UID) are dropped → E2001 (DataValueSetQueryParams.getInputIdSchemes,
    2.39-2.42; 2.43 DefaultDataExportService.decodeParams fails UID.of); with inputIdScheme=CODE they resolve,
    and the default attribute option combo comes back as the code ``default`` under idScheme=CODE."""
    params = {"dataSet": "DS_MAL", "period": "202301", "orgUnit": "OU_123", "idScheme": "CODE"}
    r = requests.get(emu.url + "/api/dataValueSets", params=params, auth=emu.admin_auth)
    assert r.status_code == 409
    if emu.profile.pipeline == "dxf":
        assert r.json()["errorCode"] == "E2001"
    r = requests.get(emu.url + "/api/dataValueSets", params={**params, "inputIdScheme": "CODE",
                     "categoryOptionComboIdScheme": "UID"}, auth=emu.admin_auth)  # fmt: skip
    assert r.status_code == 200
    assert {v["attributeOptionCombo"] for v in r.json()["dataValues"]} == {"default"}
