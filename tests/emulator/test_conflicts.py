"""Conflicts, their grouping and the HTTP status mapping; value types; future periods; access (§3.2, §3.5)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.emulator.bundles import coc_uid, malaria
from tests.emulator.helpers import count, counts, post_adx, post_json, stored

OU = "OuFacil0001"
WARNING_MESSAGE = "One more conflicts encountered, please check import summary."


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    return dhis2_emulator


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_value_conflicts_are_grouped_with_indexes_and_give_409_warning(emu):
    values = [
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU, "value": "1"},
        {"dataElement": "INVALID_1", "period": "202301", "orgUnit": OU, "value": "1"},
        {"dataElement": "INVALID_2", "period": "202301", "orgUnit": OU, "value": "1"},
        {"dataElement": "INVALID_1", "period": "202302", "orgUnit": OU, "value": "1"},
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": "INVALID_1_OU", "value": "1"},
    ]
    r = post_json(emu, {"dataValues": values})
    assert r.status_code == 409
    body = r.json()
    assert (body["httpStatus"], body["httpStatusCode"], body["status"], body["message"]) == (
        "Conflict", 409, "WARNING", WARNING_MESSAGE)  # fmt: skip
    summary = body["response"]
    assert summary["status"] == "WARNING"
    assert summary["description"] == "Import process completed successfully"
    assert summary["importCount"] == count(imported=1, ignored=4)
    assert summary["rejectedIndexes"] == [1, 2, 3, 4]
    assert summary["conflicts"] == [
        {"object": "INVALID_1", "objects": {"dataElement": "INVALID_1"},
         "value": "Data element not found or not accessible: `INVALID_1`", "errorCode": "E7610",
         "property": "dataElement", "indexes": [1, 3]},
        {"object": "INVALID_2", "objects": {"dataElement": "INVALID_2"},
         "value": "Data element not found or not accessible: `INVALID_2`", "errorCode": "E7610",
         "property": "dataElement", "indexes": [2]},
        {"object": "INVALID_1_OU", "objects": {"organisationUnit": "INVALID_1_OU"},
         "value": "Organisation unit not found or not accessible: `INVALID_1_OU`", "errorCode": "E7612",
         "property": "orgUnit", "indexes": [4]},
    ]  # fmt: skip


def test_success_envelope(emu):
    r = post_json(emu, {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU,
                                        "value": "1"}]})  # fmt: skip
    body = r.json()
    assert r.status_code == 200
    assert list(body)[:4] == ["httpStatus", "httpStatusCode", "status", "message"]
    assert (body["httpStatus"], body["status"], body["message"]) == (
        "OK",
        "OK",
        "Import was successful.",
    )
    assert (
        body["response"]["responseType"] == "ImportSummary"
        and body["response"]["dataSetComplete"] == "false"
    )


@pytest.mark.parametrize(
    ("header", "code", "message", "objects", "prop"),
    [
        ({"dataSet": "NOPE"}, "E7600", "Data set not found or not accessible: `NOPE`", {"dataSet": "NOPE"},
         "dataSet"),
        ({"orgUnit": "NOPE"}, "E7603", "Org unit not found or not accessible: `NOPE`", {"organisationUnit": "NOPE"},
         "orgUnit"),
        ({"attributeOptionCombo": "NOPE"}, "E7604", "Attribute option combo not found or not accessible: `NOPE`",
         {"attributeOptionCombo": "NOPE"}, "attributeOptionCombo"),
    ],
)  # fmt: skip
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_data_set_level_errors_abort_with_409_error(emu, header, code, message, objects, prop):
    r = post_json(emu, {**header, "dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU,
                                                  "value": "1"}]})  # fmt: skip
    assert r.status_code == 409
    body = r.json()
    assert (body["status"], body["message"]) == (
        "ERROR",
        "An error occurred, please check import summary.",
    )
    summary = body["response"]
    assert (summary["status"], summary["description"]) == ("ERROR", "Import process was aborted")
    assert summary["importCount"] == count()
    assert summary["conflicts"] == [{"object": "NOPE", "objects": objects, "value": message, "errorCode": code,
                                     "property": prop}]  # fmt: skip
    assert stored(emu) == {}


@pytest.mark.parametrize(
    ("field", "bad", "code", "message"),
    [
        ("period", "2023M1", "E7611", "Period not valid: `2023M1`"),
        ("period", "202313", "E7611", "Period not valid: `202313`"),
        ("categoryOptionCombo", "NoSuchCoc01", "E7613",
         "Category option combo not found or not accessible for writing data: `NoSuchCoc01`"),
        ("attributeOptionCombo", "NoSuchAoc01", "E7615",
         "Attribute option combo not found or not accessible for writing data: `NoSuchAoc01`"),
    ],
)  # fmt: skip
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_value_level_identifier_conflicts(emu, field, bad, code, message):
    value = {
        "dataElement": "DeMalDeath1",
        "period": "202301",
        "orgUnit": OU,
        "value": "1",
        field: bad,
    }
    r = post_json(emu, {"dataValues": [value]})
    assert r.status_code == 409
    (conflict,) = r.json()["response"]["conflicts"]
    assert (conflict["errorCode"], conflict["value"], conflict["object"], conflict["indexes"]) == (code, message, bad,
                                                                                                   [0])  # fmt: skip


def _value_type_bundle() -> dict:
    types = ["INTEGER", "INTEGER_POSITIVE", "INTEGER_ZERO_OR_POSITIVE", "INTEGER_NEGATIVE", "NUMBER", "PERCENTAGE",
             "UNIT_INTERVAL", "BOOLEAN", "TRUE_ONLY", "TEXT", "DATE"]  # fmt: skip
    des = [{"id": f"DeVt{i:07d}", "code": t, "name": t, "shortName": t, "valueType": t, "aggregationType": "SUM",
            "domainType": "AGGREGATE", "zeroIsSignificant": True} for i, t in enumerate(types)]  # fmt: skip
    bundle = malaria()
    bundle["dataElements"] += des
    return bundle


@pytest.mark.parametrize(
    ("value_type", "value", "ok"),
    [
        ("INTEGER", "-5", True), ("INTEGER", "0", True), ("INTEGER", "01", False), ("INTEGER", "1.0", False),
        ("INTEGER", "+1", False), ("INTEGER_POSITIVE", "0", False), ("INTEGER_POSITIVE", "3", True),
        ("INTEGER_ZERO_OR_POSITIVE", "0", True), ("INTEGER_ZERO_OR_POSITIVE", "-1", False),
        ("INTEGER_NEGATIVE", "-2", True), ("INTEGER_NEGATIVE", "0", False),
        ("NUMBER", "-0.5", True), ("NUMBER", "12", True), ("NUMBER", "1e5", False), ("NUMBER", ".5", False),
        ("NUMBER", "1.", False), ("PERCENTAGE", "100", True), ("PERCENTAGE", "100.5", False),
        ("UNIT_INTERVAL", "0.25", True), ("UNIT_INTERVAL", "2", False), ("BOOLEAN", "T", True),
        ("BOOLEAN", "yes", False), ("TRUE_ONLY", "true", True), ("TRUE_ONLY", "false", False),
        ("TEXT", "anything at all", True), ("DATE", "2023-02-30", False), ("DATE", "2023-02-28", True),
    ],
)  # fmt: skip
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_value_type_rules(dhis2_emulator, value_type, value, ok):
    dhis2_emulator.load_metadata(_value_type_bundle())
    de = dhis2_emulator.store.lookup("dataElements", "CODE", value_type)["id"]
    r = post_json(dhis2_emulator, {"dataValues": [{"dataElement": de, "period": "202301", "orgUnit": OU,
                                                   "value": value}]})  # fmt: skip
    if ok:
        assert (r.status_code, counts(r)) == (200, count(imported=1))
    else:
        assert r.status_code == 409
        (conflict,) = r.json()["response"]["conflicts"]
        assert conflict["errorCode"] == "E7619" and conflict["objects"] == {"dataElement": de}
        assert conflict["value"].startswith(
            f"Value must match value type of data element `{de}`: `"
        )


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_boolean_values_are_normalised(dhis2_emulator):
    dhis2_emulator.load_metadata(_value_type_bundle())
    de = dhis2_emulator.store.lookup("dataElements", "CODE", "BOOLEAN")["id"]
    post_json(
        dhis2_emulator,
        {"dataValues": [{"dataElement": de, "period": "202301", "orgUnit": OU, "value": "T"}]},
    )
    assert [v["value"] for v in dhis2_emulator.data_values()] == ["true"]


def _months_from_today(offset: int) -> str:
    today = dt.date.today()
    total = today.year * 12 + today.month - 1 + offset
    return f"{total // 12}{total % 12 + 1:02d}"


@pytest.mark.parametrize(
    ("open_future", "offset", "ok"),
    [(0, -1, True), (0, 0, False), (1, 0, True), (1, 1, False), (3, 2, True), (3, 3, False)],
)
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_future_periods_e7641(dhis2_emulator, open_future, offset, ok):
    bundle = malaria()
    bundle["dataSets"][0]["openFuturePeriods"] = open_future
    dhis2_emulator.load_metadata(bundle)
    period = _months_from_today(offset)
    r = post_json(dhis2_emulator, {"dataValues": [{"dataElement": "DeMalDeath1", "period": period, "orgUnit": OU,
                                                   "value": "1"}]})  # fmt: skip
    if ok:
        assert counts(r) == count(imported=1)
        return
    latest = _months_from_today(open_future - 1)
    (conflict,) = r.json()["response"]["conflicts"]
    assert conflict["errorCode"] == "E7641"
    assert conflict["value"] == (f"Period: `{period}` is after latest open future period: `{latest}` for data "
                                 f"element: `DeMalDeath1` and data set: `DsMalaria01`")  # fmt: skip


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_org_unit_outside_user_hierarchy_e7617_and_missing_authority_403(emu):
    emu.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",), org_units=["OuFacil0002"])
    r = post_json(emu, {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU,
                                        "value": "1"}, {"dataElement": "DeMalDeath1", "period": "202301",
                                                        "orgUnit": "OuFacil0002", "value": "1"}]},
                  auth=("clerk", "Clerk123!"))  # fmt: skip
    assert r.status_code == 409
    (conflict,) = r.json()["response"]["conflicts"]
    assert conflict["errorCode"] == "E7617"
    assert (
        conflict["value"]
        == "Organisation unit: `OuFacil0001` not in hierarchy of current user: `clerk`"
    )
    assert counts(r) == count(imported=1, ignored=1)
    emu.add_user("viewer", "Viewer123!", ("F_VIEW_DATA",))
    r = post_json(emu, {"dataValues": []}, auth=("viewer", "Viewer123!"))
    assert r.status_code == 403
    assert r.json()["httpStatus"] == "Forbidden"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_sharing_e7601_and_e7614_for_non_superusers(dhis2_emulator):
    bundle = malaria()
    bundle["dataSets"][0]["sharing"] = {"public": "rw------"}  # metadata only, no data write
    bundle["categoryOptions"][0]["sharing"] = {"public": "r-------"}  # Female: not data-writable
    dhis2_emulator.load_metadata(bundle)
    dhis2_emulator.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",))
    auth = ("clerk", "Clerk123!")
    r = post_json(dhis2_emulator, {"dataSet": "DsMalaria01", "dataValues": []}, auth=auth)
    assert r.status_code == 409
    assert r.json()["response"]["conflicts"][0]["errorCode"] == "E7601"
    f_lt5 = coc_uid(dhis2_emulator, "F", "LT5")
    r = post_json(dhis2_emulator, {"dataValues": [{"dataElement": "DeMalCase01", "period": "202301", "orgUnit": OU,
                                                   "categoryOptionCombo": f_lt5, "value": "1"}]}, auth=auth)  # fmt: skip
    (conflict,) = r.json()["response"]["conflicts"]
    assert conflict["errorCode"] == "E7614"
    assert (
        conflict["value"]
        == f"Category option combo: `{f_lt5}` option not accessible: `CoFemale001`"
    )
    # The superuser bypasses sharing.
    r = post_json(dhis2_emulator, {"dataSet": "DsMalaria01", "dataValues": [
        {"dataElement": "DeMalCase01", "period": "202301", "orgUnit": OU, "categoryOptionCombo": f_lt5,
         "value": "1"}]})  # fmt: skip
    assert counts(r) == count(imported=1)


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_adx_conflicts_keep_http_200_success_but_dxf_conflicts_make_409(emu):
    adx = """<adx xmlns="urn:ihe:qrph:adx:2015">
      <group dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M">
        <dataValue dataElement="MAL_DEATHS" value="3"/>
        <dataValue dataElement="DE_X" value="4"/>
      </group></adx>"""
    r = post_adx(emu, adx)
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["response"]["status"]) == ("OK", "SUCCESS")
    assert body["response"]["conflicts"] == [
        {"object": "ADX Error", "value": "No data element matching code 'DE_X'"}
    ]
    assert body["response"]["importCount"] == count(imported=1, ignored=1)
    # A value failing DXF validation (not an integer) turns it into 409 WARNING; both conflicts are listed.
    r = post_adx(emu, adx.replace('value="3"', 'value="3.5"'))
    assert r.status_code == 409
    conflicts = r.json()["response"]["conflicts"]
    assert [c.get("errorCode") for c in conflicts] == ["E7619", None]
    assert conflicts[0]["indexes"] == [
        0
    ]  # DXF indexes count only values that reached the DXF stream
    assert r.json()["response"]["importCount"] == count(ignored=2)


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_versioned_paths(emu):
    payload = {
        "dataValues": [
            {"dataElement": "NoSuchDe001", "period": "202301", "orgUnit": OU, "value": "1"}
        ]
    }
    r41 = requests.post(emu.url + "/api/41/dataValueSets", json=payload, auth=emu.admin_auth)
    assert r41.status_code == 409 and r41.json()["response"]["status"] == "WARNING"
    r37 = requests.post(emu.url + "/api/37/dataValueSets", json=payload, auth=emu.admin_auth)
    assert r37.status_code == 200  # before 2.38: the bare ImportSummary, always 200
    assert r37.json()["responseType"] == "ImportSummary" and r37.json()["status"] == "WARNING"


@pytest.mark.dhis2_profiles("2.43")  # DefaultDataEntryService.validateUserAccess (2.43.1)
def test_org_unit_outside_user_hierarchy_e8011_rejects_the_group(emu):
    """2.43 checks the user's hierarchy per group, before any value: one org unit outside it
    rejects the whole group (E8011, every index of the group), nothing of it is stored."""
    emu.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",), org_units=["OuFacil0002"])
    values = [
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU, "value": "1"},
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": "OuFacil0002", "value": "1"},
    ]
    r = post_json(emu, {"dataValues": values}, auth=("clerk", "Clerk123!"))
    assert r.status_code == 409
    summary = r.json()["response"]
    assert summary["status"] == "ERROR"
    (conflict,) = summary["conflicts"]
    assert conflict["errorCode"] == "E8011"
    assert conflict["value"] == f"Current user cannot enter data for org unit(s): `[{OU}]`"
    assert conflict["indexes"] == [0, 1] and summary["rejectedIndexes"] == [0, 1]
    # DataEntryPipeline.importGroups: a group's ConflictException adds no count, only the conflict.
    assert counts(r) == count()
    assert stored(emu) == {}
