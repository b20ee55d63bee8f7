"""``POST /api/metadata`` validation (§4), COC PATCH, and the metadata list endpoints (§3.6)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.emulator.bundles import coc_uid, malaria

ERRORS_MESSAGE = "One or more errors occurred, please see full details in import report."


def post_metadata(emu, bundle, **params) -> requests.Response:
    return requests.post(emu.url + "/api/metadata", json=bundle, params=params, auth=emu.admin_auth)


def error_codes(response) -> list[tuple[str, str, str]]:
    return [(t["klass"].rsplit(".", 1)[1], o["uid"], e["errorCode"]) for t in response.json()["response"]["typeReports"]
            for o in t["objectReports"] for e in o["errorReports"]]  # fmt: skip


def broken_bundle() -> dict:
    bundle = malaria()
    del bundle["categories"][0]["shortName"]  # NOT NULL in 2.41
    bundle["dataElements"][0]["id"] = "1nvalidUid"  # must start with a letter, 11 chars
    bundle["dataElements"][1]["code"] = "X" * 51  # codes are at most 50 characters
    bundle["dataElements"][2]["code"] = "MAL_CASES"  # duplicate within the payload
    bundle["dataSets"][0]["organisationUnits"].append({"id": "NoSuchOu001"})  # unknown reference
    return bundle


def test_errors_are_reported_per_object_and_nothing_is_stored(dhis2_emulator):
    r = post_metadata(dhis2_emulator, broken_bundle())
    assert r.status_code == 409
    body = r.json()
    assert (body["status"], body["message"]) == ("WARNING", ERRORS_MESSAGE)
    assert body["response"]["status"] == "ERROR"
    assert sorted(error_codes(r)) == sorted([
        ("Category", "CatSex00001", "E4000"),
        ("DataElement", "1nvalidUid", "E4014"),
        ("DataElement", "DeMalNote01", "E4001"),
        ("DataElement", "1nvalidUid", "E5005"),
        ("DataElement", "DeMalDeath1", "E5005"),
        ("DataSet", "DsMalaria01", "E5002"),  # unknown org unit
        ("DataSet", "DsMalaria01", "E5002"),  # its data element DeMalCase01 was renamed above
    ])  # fmt: skip
    stats = body["response"]["stats"]
    assert stats["created"] == 0 and stats["ignored"] == stats["total"] == 14  # atomicMode ALL
    assert dhis2_emulator.store.objects["dataElements"] == {}
    message = next(e["message"] for t in body["response"]["typeReports"] for o in t["objectReports"]
                   for e in o["errorReports"] if e["errorCode"] == "E4000")  # fmt: skip
    assert message == "Missing required property `shortName`."


def test_code_clash_with_existing_object_and_validate_mode(dhis2_emulator):
    assert post_metadata(dhis2_emulator, malaria()).status_code == 200
    clash = {"dataElements": [{"id": "DeOther0001", "code": "MAL_CASES", "name": "Other", "shortName": "Other",
                               "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}]}  # fmt: skip
    r = post_metadata(dhis2_emulator, clash)
    assert r.status_code == 409 and error_codes(r) == [("DataElement", "DeOther0001", "E5003")]
    clash["dataElements"][0]["code"] = "OTHER"
    r = post_metadata(dhis2_emulator, clash, importMode="VALIDATE")
    assert r.status_code == 200 and r.json()["response"]["stats"]["created"] == 1
    assert "DeOther0001" not in dhis2_emulator.store.objects["dataElements"]
    r = post_metadata(dhis2_emulator, clash)
    assert r.status_code == 200
    stored = dhis2_emulator.store.objects["dataElements"]["DeOther0001"]
    assert stored["categoryCombo"] == {"id": "bjDvmb4bfuf"}  # default combo filled in
    assert stored["zeroIsSignificant"] is False


def test_unknown_enum_value_is_a_bad_request(dhis2_emulator):
    bundle = malaria()
    bundle["dataElements"][0]["valueType"] = "INTEGRAL"
    assert post_metadata(dhis2_emulator, bundle).status_code == 400


def test_explicit_option_combos_are_accepted(dhis2_emulator):
    bundle = malaria()
    bundle["categoryOptionCombos"] = [{"id": "CocFLt50001", "code": "F_LT5", "categoryCombo": {"id": "CcSexAge001"},
                                       "categoryOptions": [{"id": "CoFemale001"}, {"id": "CoAgeLt5001"}]}]  # fmt: skip
    r = post_metadata(dhis2_emulator, bundle)
    assert r.status_code == 200
    assert (
        dhis2_emulator.store.objects["categoryOptionCombos"]["CocFLt50001"]["name"]
        == "Female, Under 5"
    )
    # The maintenance call keeps it and adds the three missing ones.
    assert dhis2_emulator.generate_option_combos("CcSexAge001") == 3
    assert coc_uid(dhis2_emulator, "F", "LT5") == "CocFLt50001"


def test_patch_option_combo_code(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    uid = coc_uid(dhis2_emulator, "M", "GE5")
    url = f"{dhis2_emulator.url}/api/categoryOptionCombos/{uid}"
    patch = json.dumps([{"op": "add", "path": "/code", "value": "SEX_M__AGE_GE5"}])
    r = requests.patch(
        url,
        data=patch,
        headers={"Content-Type": "application/json"},
        auth=dhis2_emulator.admin_auth,
    )
    assert r.status_code == 415
    r = requests.patch(url, data=patch, headers={"Content-Type": "application/json-patch+json"},
                       auth=dhis2_emulator.admin_auth)  # fmt: skip
    assert r.status_code == 200
    r = requests.get(url, params={"fields": "id,code"}, auth=dhis2_emulator.admin_auth)
    assert r.json() == {"id": uid, "code": "SEX_M__AGE_GE5"}
    # A second COC may not take the same code.
    other = coc_uid(dhis2_emulator, "F", "GE5")
    r = requests.patch(f"{dhis2_emulator.url}/api/categoryOptionCombos/{other}", data=patch,
                       headers={"Content-Type": "application/json-patch+json"}, auth=dhis2_emulator.admin_auth)  # fmt: skip
    assert r.status_code == 409


def get(emu, path, **params):
    r = requests.get(emu.url + path, params=params, auth=emu.admin_auth)
    assert r.status_code == 200, r.text
    return r.json()


def test_fields_filters_and_paging(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    emu = dhis2_emulator
    body = get(emu, "/api/dataElements")
    assert body["pager"] == {"page": 1, "total": 3, "pageSize": 50, "pageCount": 1}
    assert body["dataElements"][0] == {"id": "DeMalCase01", "displayName": "Malaria cases"}
    body = get(emu, "/api/dataElements", pageSize=2, page=1, fields="id")
    assert body["pager"]["pageCount"] == 2 and body["pager"]["nextPage"].endswith("page=2")
    assert [d["id"] for d in body["dataElements"]] == ["DeMalCase01", "DeMalDeath1"]
    body = get(emu, "/api/dataElements", pageSize=2, page=2, fields="id")
    assert [d["id"] for d in body["dataElements"]] == ["DeMalNote01"] and "nextPage" not in body[
        "pager"
    ]
    body = get(
        emu,
        "/api/dataElements",
        filter="code:in:[MAL_CASES,MAL_NOTE]",
        fields="code",
        paging="false",
    )
    assert body == {"dataElements": [{"code": "MAL_CASES"}, {"code": "MAL_NOTE"}]}
    body = get(emu, "/api/dataElements", filter=["name:ilike:MALARIA", "valueType:eq:TEXT"], fields="id",
               paging="false")  # fmt: skip
    assert body["dataElements"] == [{"id": "DeMalNote01"}]
    body = get(emu, "/api/dataElements", filter=["code:eq:MAL_NOTE", "code:eq:MAL_DEATHS"], rootJunction="OR",
               fields="id", paging="false")  # fmt: skip
    assert {d["id"] for d in body["dataElements"]} == {"DeMalNote01", "DeMalDeath1"}
    body = get(emu, "/api/dataElements", filter="name:like:malaria", fields="id", paging="false")
    assert body["dataElements"] == []  # like is case-sensitive
    body = get(
        emu,
        "/api/dataElements",
        filter="categoryCombo.code:eq:SEX_AGE",
        fields="id",
        paging="false",
    )
    assert body["dataElements"] == [{"id": "DeMalCase01"}]
    body = get(emu, "/api/dataSets", filter="code:eq:DS_MAL", paging="false",
               fields="id,dataSetElements[dataElement[id,categoryCombo[id,categories[code]]]],organisationUnits[code]")  # fmt: skip
    (ds,) = body["dataSets"]
    assert ds["organisationUnits"] == [{"code": "OU_123"}, {"code": "OU_456"}]
    assert ds["dataSetElements"][0] == {"dataElement": {"id": "DeMalCase01", "categoryCombo": {
        "id": "CcSexAge001", "categories": [{"code": "SEX"}, {"code": "AGE_GROUP"}]}}}  # fmt: skip
    body = get(emu, "/api/categoryCombos/CcSexAge001",
               fields="id,categoryOptionCombos[id,categoryOptions[code]],categories[id]")  # fmt: skip
    assert len(body["categoryOptionCombos"]) == 4 and body["categories"] == [
        {"id": "CatSex00001"},
        {"id": "CatAge00001"},
    ]
    body = get(
        emu,
        "/api/organisationUnits",
        filter="code:eq:OU_456",
        fields=":owner,path,level",
        paging="false",
    )
    (ou,) = body["organisationUnits"]
    assert (ou["path"], ou["level"], ou["parent"]) == (
        "/OuRoot00001/OuFacil0002",
        2,
        {"id": "OuRoot00001"},
    )
    assert ou["shortName"] == "Facility 456"


def test_list_endpoint_errors_and_authority(dhis2_emulator):
    r = requests.get(dhis2_emulator.url + "/api/dataElements", params={"filter": "code:zz:x"},
                     auth=dhis2_emulator.admin_auth)  # fmt: skip
    assert r.status_code == 400
    dhis2_emulator.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",))
    r = requests.post(
        dhis2_emulator.url + "/api/metadata", json=malaria(), auth=("clerk", "Clerk123!")
    )
    assert r.status_code == 403
    r = requests.get(
        dhis2_emulator.url + "/api/categoryCombos/NoSuchCc001", auth=dhis2_emulator.admin_auth
    )
    assert r.status_code == 404


@pytest.mark.parametrize("path", ["/api/categories", "/api/categoryOptions", "/api/indicators", "/api/indicatorTypes",
                                  "/api/organisationUnits", "/api/categoryOptionCombos", "/api/dataSets"])  # fmt: skip
def test_every_list_endpoint_answers(dhis2_emulator, path):
    bundle = malaria()
    bundle["indicatorTypes"] = [{"id": "InTypePct01", "name": "Percent", "factor": 100}]
    bundle["indicators"] = [{"id": "InCaseRate1", "code": "CASE_RATE", "name": "Case rate", "shortName": "Case rate",
                             "indicatorType": {"id": "InTypePct01"}, "numerator": "#{DeMalCase01}",
                             "denominator": "1"}]  # fmt: skip
    dhis2_emulator.load_metadata(bundle)
    body = get(dhis2_emulator, path, paging="false", fields="id")
    kind = path.rsplit("/", 1)[1]
    assert len(body[kind]) == len(dhis2_emulator.store.objects[kind]) >= 1


def test_me_with_capture_org_units(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    me = get(dhis2_emulator, "/api/me", fields="id,username,authorities,organisationUnits[id,path]")
    assert me["username"] == "admin" and me["authorities"] == ["ALL"]
    assert me["organisationUnits"] == [{"id": "OuRoot00001", "path": "/OuRoot00001"}]
    dhis2_emulator.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",), org_units=["OuFacil0002"])
    r = requests.get(dhis2_emulator.url + "/api/me", params={"fields": "organisationUnits[code]"},
                     auth=("clerk", "Clerk123!"))  # fmt: skip
    assert r.json() == {"organisationUnits": [{"code": "OU_456"}]}
