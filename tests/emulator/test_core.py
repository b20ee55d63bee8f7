"""Core behaviour over HTTP: metadata bootstrap, JSON and ADX import, read-back, auth."""

from __future__ import annotations

import json

import pytest
import requests

from tests.emulator.bundles import coc_uid, give_coc_codes, malaria

ADX_CT = {"Content-Type": "application/adx+xml"}


def session(emulator) -> requests.Session:
    s = requests.Session()
    s.auth = emulator.admin_auth
    return s


def bootstrap(emulator, s: requests.Session) -> None:
    r = s.post(emulator.url + "/api/metadata", json=malaria())
    assert r.status_code == 200, r.text
    r = s.post(
        emulator.url + "/api/maintenance/categoryOptionComboUpdate/categoryCombo/CcSexAge001"
    )
    assert r.status_code == 200  # WebMessageUtils.importSummaries: "Import was successful."


def test_metadata_import_report_and_option_combo_generation(dhis2_emulator):
    s = session(dhis2_emulator)
    r = s.post(dhis2_emulator.url + "/api/metadata", json=malaria())
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "OK" and body["httpStatusCode"] == 200
    # 3 OUs + 4 options + 2 categories + 1 combo + 3 DEs + 1 DS
    assert body["response"]["stats"] == {
        "created": 14,
        "updated": 0,
        "deleted": 0,
        "ignored": 0,
        "total": 14,
    }
    # /api/metadata does not generate COCs (2.41): only the default COC exists.
    r = s.get(
        dhis2_emulator.url + "/api/categoryOptionCombos", params={"paging": "false", "fields": "id"}
    )
    assert [c["id"] for c in r.json()["categoryOptionCombos"]] == ["HllvX50cXC0"]
    r = s.post(
        dhis2_emulator.url + "/api/maintenance/categoryOptionComboUpdate/categoryCombo/CcSexAge001"
    )
    assert (r.status_code, r.json()["message"]) == (
        200,
        "Import was successful.",
    )  # MaintenanceControllerTest
    r = s.get(dhis2_emulator.url + "/api/categoryOptionCombos",
              params={"filter": "categoryCombo.id:eq:CcSexAge001", "fields": "id,name,categoryOptions[code]",
                      "paging": "false"})  # fmt: skip
    combos = r.json()["categoryOptionCombos"]
    assert sorted(tuple(o["code"] for o in c["categoryOptions"]) for c in combos) == [
        ("F", "GE5"), ("F", "LT5"), ("M", "GE5"), ("M", "LT5")]  # fmt: skip
    assert {c["name"] for c in combos} == {
        "Female, Under 5",
        "Female, 5 and over",
        "Male, Under 5",
        "Male, 5 and over",
    }
    # Re-running the maintenance keeps existing COCs (same UIDs).
    before = {c["id"] for c in combos}
    s.post(dhis2_emulator.url + "/api/maintenance/categoryOptionComboUpdate")
    r = s.get(dhis2_emulator.url + "/api/categoryOptionCombos",
              params={"filter": "categoryCombo.id:eq:CcSexAge001", "paging": "false"})  # fmt: skip
    assert {c["id"] for c in r.json()["categoryOptionCombos"]} == before
    # Re-import of the same bundle: everything updated, nothing created.
    r = s.post(dhis2_emulator.url + "/api/metadata", json=malaria())
    assert r.json()["response"]["stats"]["updated"] == 14


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_json_import_and_read_back(dhis2_emulator):
    s = session(dhis2_emulator)
    bootstrap(dhis2_emulator, s)
    f_lt5 = coc_uid(dhis2_emulator, "F", "LT5")
    payload = {"dataSet": "DsMalaria01", "period": "202301", "orgUnit": "OuFacil0001", "dataValues": [
        {"dataElement": "DeMalCase01", "categoryOptionCombo": f_lt5, "value": 12, "comment": "c1"},
        {"dataElement": "DeMalNote01", "value": "a note"},
    ]}  # fmt: skip
    r = s.post(dhis2_emulator.url + "/api/dataValueSets", json=payload)
    assert r.status_code == 200, r.text
    assert r.json()["response"]["importCount"] == {
        "imported": 2,
        "updated": 0,
        "ignored": 0,
        "deleted": 0,
    }
    r = s.get(dhis2_emulator.url + "/api/dataValueSets",
              params={"dataSet": "DsMalaria01", "period": "202301", "orgUnit": "OuFacil0001"})  # fmt: skip
    values = {(v["dataElement"], v["categoryOptionCombo"]): v for v in r.json()["dataValues"]}
    assert values[("DeMalCase01", f_lt5)]["value"] == "12"
    assert values[("DeMalCase01", f_lt5)]["comment"] == "c1"
    assert values[("DeMalCase01", f_lt5)]["attributeOptionCombo"] == "HllvX50cXC0"
    assert values[("DeMalNote01", "HllvX50cXC0")]["value"] == "a note"
    assert values[("DeMalNote01", "HllvX50cXC0")]["storedBy"] == "admin"
    assert len(values) == 2


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_adx_import_with_coc_codes_and_adx_read_back(dhis2_emulator):
    s = session(dhis2_emulator)
    bootstrap(dhis2_emulator, s)
    give_coc_codes(dhis2_emulator)
    adx = b"""<adx xmlns="urn:ihe:qrph:adx:2015" exported="2023-02-01T10:00:00Z">
      <group dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M">
        <dataValue dataElement="MAL_CASES" SEX="F" AGE_GROUP="LT5" value="12"/>
        <dataValue dataElement="MAL_CASES" SEX="M" AGE_GROUP="LT5" value="9"/>
        <dataValue dataElement="MAL_NOTE" value="0"><annotation>stock-out week 2</annotation></dataValue>
      </group></adx>"""
    r = s.post(dhis2_emulator.url + "/api/dataValueSets", data=adx, headers=ADX_CT)
    assert r.status_code == 200
    assert r.json()["response"]["importCount"] == {
        "imported": 3,
        "updated": 0,
        "ignored": 0,
        "deleted": 0,
    }
    stored = {
        (v["dataElement"], v["categoryOptionCombo"]): v["value"]
        for v in dhis2_emulator.data_values()
    }
    assert stored == {
        ("DeMalCase01", coc_uid(dhis2_emulator, "F", "LT5")): "12",
        ("DeMalCase01", coc_uid(dhis2_emulator, "M", "LT5")): "9",
        ("DeMalNote01", "HllvX50cXC0"): "stock-out week 2",
    }
    r = s.get(dhis2_emulator.url + "/api/dataValueSets", headers={"Accept": "application/adx+xml"},
              params={"dataSet": "DS_MAL", "period": "202301", "orgUnit": "OU_123"})  # fmt: skip
    assert r.headers["Content-Type"].startswith("application/adx+xml")
    from lxml import etree

    root = etree.fromstring(r.content)
    assert root.get("exported") is None  # DHIS2's export omits it
    ns = {"a": "urn:ihe:qrph:adx:2015"}
    (group,) = root.findall("a:group", ns)
    assert dict(group.attrib) == {
        "dataSet": "DS_MAL",
        "period": "2023-01-01/P1M",
        "orgUnit": "OU_123",
    }
    got = set()
    for dv in group.findall("a:dataValue", ns):
        annotation = dv.find("a:annotation", ns)
        got.add(
            (tuple(sorted(dv.attrib.items())), annotation.text if annotation is not None else None)
        )
    assert got == {
        ((("AGE_GROUP", "LT5"), ("SEX", "F"), ("dataElement", "MAL_CASES"), ("value", "12")), None),
        ((("AGE_GROUP", "LT5"), ("SEX", "M"), ("dataElement", "MAL_CASES"), ("value", "9")), None),
        ((("dataElement", "MAL_NOTE"), ("value", "0")), "stock-out week 2"),
    }


def test_auth_basic_token_and_redirect(dhis2_emulator):
    url = dhis2_emulator.url + "/api/system/info"
    assert requests.get(url, auth=("admin", "district")).json()["version"] == dhis2_emulator.version
    r = requests.get(url, auth=("admin", "wrong"))
    assert r.status_code == 401
    assert r.json() == {"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR",
                        "message": "Unauthorized"}  # fmt: skip
    r = requests.get(url, allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/dhis-web-commons/security/login.action")
    assert (
        requests.get(
            url, headers={"Authorization": f"ApiToken {dhis2_emulator.admin_token}"}
        ).status_code
        == 200
    )
    assert requests.get(url, headers={"Authorization": "ApiToken d2pat_nope"}).status_code == 401
    # The request log never keeps credentials.
    assert all("district" not in json.dumps(rec.headers) for rec in dhis2_emulator.requests)
    assert all(
        dhis2_emulator.admin_token not in json.dumps(rec.headers) for rec in dhis2_emulator.requests
    )
