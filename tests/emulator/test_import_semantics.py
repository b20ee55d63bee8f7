"""Import strategies, identical re-posts, zero significance, deletion and dry runs (CONTRACT.md §3.1)."""

from __future__ import annotations

import pytest

from tests.emulator.bundles import coc_uid, malaria
from tests.emulator.helpers import count, counts, post_json, stored

D = "HllvX50cXC0"
OU = "OuFacil0001"


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    return dhis2_emulator


def one(de: str, value, period: str = "202301", **extra) -> dict:
    return {
        "dataValues": [
            {"dataElement": de, "period": period, "orgUnit": OU, "value": value, **extra}
        ]
    }


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_identical_repost_is_ignored_and_changes_are_updates(emu):
    f_lt5 = coc_uid(emu, "F", "LT5")
    payload = {"dataValues": [
        {"dataElement": "DeMalCase01", "period": "202301", "orgUnit": OU, "categoryOptionCombo": f_lt5, "value": "7"},
        {"dataElement": "DeMalNote01", "period": "202301", "orgUnit": OU, "value": "note"},
    ]}  # fmt: skip
    r = post_json(emu, payload)
    assert (r.status_code, counts(r)) == (200, count(imported=2))
    r = post_json(emu, payload)
    assert (r.status_code, counts(r)) == (200, count(ignored=2))
    assert r.json()["response"]["conflicts"] == [] and r.json()["response"]["rejectedIndexes"] == []
    payload["dataValues"][0]["value"] = "8"
    r = post_json(emu, payload)
    assert counts(r) == count(updated=1, ignored=1)
    payload["dataValues"][1]["comment"] = "now with a comment"
    r = post_json(emu, payload)
    assert counts(r) == count(updated=1, ignored=1)
    assert stored(emu) == {
        ("DeMalCase01", "202301", OU, f_lt5, D): "8",
        ("DeMalNote01", "202301", OU, D, D): "note",
    }


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_zero_of_insignificant_element_is_skipped_on_create_and_deletes_on_update(emu):
    r = post_json(emu, one("DeMalDeath1", "0"))
    assert (r.status_code, counts(r)) == (200, count())  # skipped: in no counter
    assert stored(emu) == {}
    assert counts(post_json(emu, one("DeMalDeath1", "5"))) == count(imported=1)
    r = post_json(emu, one("DeMalDeath1", "0"))
    assert counts(r) == count(deleted=1)
    assert stored(emu) == {}
    assert stored(emu, include_deleted=True) == {("DeMalDeath1", "202301", OU, D, D): "5"}
    # zeroIsSignificant=true: zero is a value like any other.
    f_lt5 = coc_uid(emu, "F", "LT5")
    r = post_json(emu, {"dataValues": [{"dataElement": "DeMalCase01", "period": "202301", "orgUnit": OU,
                                        "categoryOptionCombo": f_lt5, "value": 0}]})  # fmt: skip
    assert counts(r) == count(imported=1)
    assert stored(emu)[("DeMalCase01", "202301", OU, f_lt5, D)] == "0"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_create_and_update_strategies_reject_without_conflicts(emu):
    assert counts(post_json(emu, one("DeMalDeath1", "3"))) == count(imported=1)
    r = post_json(emu, one("DeMalDeath1", "4"), importStrategy="CREATE")
    assert r.status_code == 200
    assert counts(r) == count(ignored=1)
    assert (
        r.json()["response"]["rejectedIndexes"] == [0] and r.json()["response"]["conflicts"] == []
    )
    r = post_json(emu, one("DeMalDeath1", "4", period="202302"), importStrategy="UPDATE")
    assert counts(r) == count(ignored=1) and r.json()["response"]["rejectedIndexes"] == [0]
    r = post_json(emu, one("DeMalDeath1", "4"), importStrategy="UPDATE")
    assert counts(r) == count(updated=1)
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "4"}
    # Legacy alias and the payload's own strategy (payload overrides the query).
    r = post_json(emu, {**one("DeMalDeath1", "9"), "strategy": "NEW"}, importStrategy="UPDATE")
    assert counts(r) == count(ignored=1)


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_delete_strategy_and_deleted_flag(emu):
    post_json(emu, one("DeMalDeath1", "3"))
    post_json(emu, one("DeMalDeath1", "4", period="202302"))
    # DELETE needs no value (E7618 does not apply); a missing value is ignored.
    payload = {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU},
                              {"dataElement": "DeMalDeath1", "period": "202305", "orgUnit": OU}]}  # fmt: skip
    r = post_json(emu, payload, importStrategy="DELETE")
    assert (r.status_code, counts(r)) == (200, count(deleted=1, ignored=1))
    # "deleted": true with CREATE_AND_UPDATE: existing → deleted, missing → ignored.
    r = post_json(emu, {"dataValues": [
        {"dataElement": "DeMalDeath1", "period": "202302", "orgUnit": OU, "value": "4", "deleted": True},
        {"dataElement": "DeMalDeath1", "period": "202306", "orgUnit": OU, "value": "4", "deleted": True}]})  # fmt: skip
    assert counts(r) == count(deleted=1, ignored=1)
    assert stored(emu) == {}
    assert len(stored(emu, include_deleted=True)) == 2
    # A soft-deleted value posted again is re-created: imported.
    assert counts(post_json(emu, one("DeMalDeath1", "6"))) == count(imported=1)
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "6"}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dry_run_validates_and_counts_but_stores_nothing(emu):
    post_json(emu, one("DeMalDeath1", "3"))
    payload = {"dataValues": [
        {"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU, "value": "4"},
        {"dataElement": "DeMalDeath1", "period": "202302", "orgUnit": OU, "value": "5"},
        {"dataElement": "NoSuchDe001", "period": "202302", "orgUnit": OU, "value": "5"}]}  # fmt: skip
    r = post_json(emu, payload, dryRun="true")
    assert r.status_code == 409
    assert counts(r) == count(imported=1, updated=1, ignored=1)
    assert r.json()["response"]["importOptions"]["dryRun"] is True
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "3"}
    r = post_json(
        emu, {**payload, "dryRun": True}
    )  # payload flag overrides the (absent) query flag
    assert counts(r) == count(imported=1, updated=1, ignored=1)
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "3"}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_value_or_comment_required_and_comment_only_values(emu):
    r = post_json(emu, {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU},
                                       {"dataElement": "DeMalDeath1", "period": "202302", "orgUnit": OU,
                                        "value": "", "comment": "checked, no deaths recorded"}]})  # fmt: skip
    assert r.status_code == 409
    body = r.json()["response"]
    assert body["conflicts"] == [{"object": "DeMalDeath1", "objects": {"dataElement": "DeMalDeath1"},
                                  "value": "Data value or comment not specified for data element: `DeMalDeath1`",
                                  "errorCode": "E7618", "property": "value", "indexes": [0]}]  # fmt: skip
    assert counts(r) == count(imported=1, ignored=1)
    (value,) = emu.data_values()
    assert value["value"] is None and value["comment"] == "checked, no deaths recorded"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_header_period_org_unit_and_id_schemes(emu):
    payload = {"period": "202303", "orgUnit": "OU_456", "orgUnitIdScheme": "CODE", "dataElementIdScheme": "CODE",
               "dataValues": [{"dataElement": "MAL_DEATHS", "period": "202301", "orgUnit": "ignored", "value": 2}]}  # fmt: skip
    r = post_json(emu, payload)
    assert counts(r) == count(imported=1)
    assert stored(emu) == {("DeMalDeath1", "202303", "OuFacil0002", D, D): "2"}
    # idScheme=CODE in the query applies to every identifier; a specific scheme overrides it.
    r = post_json(emu, {"dataValues": [{"dataElement": "MAL_DEATHS", "period": "202304", "orgUnit": "OuFacil0002",
                                        "value": 3}]}, idScheme="CODE", orgUnitIdScheme="UID")  # fmt: skip
    assert counts(r) == count(imported=1)
    r = post_json(emu, {"dataValues": [{"dataElement": "MAL_DEATHS", "period": "202305", "orgUnit": OU,
                                        "value": 3}]})  # fmt: skip
    assert (
        r.json()["response"]["conflicts"][0]["errorCode"] == "E7610"
    )  # JSON default scheme is UID


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_xml_dxf_payload(emu):
    body = b"""<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" period="202301" orgUnit="OuFacil0001">
      <dataValue dataElement="DeMalDeath1" value="4" comment="xml" followUp="true"/>
    </dataValueSet>"""
    import requests

    r = requests.post(emu.url + "/api/dataValueSets", data=body, headers={"Content-Type": "application/xml"},
                      auth=emu.admin_auth)  # fmt: skip
    assert (r.status_code, counts(r)) == (200, count(imported=1))
    (value,) = emu.data_values()
    assert (value["value"], value["comment"], value["followup"]) == ("4", "xml", True)
