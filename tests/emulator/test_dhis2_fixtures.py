"""DHIS2's own ADX fixtures (dhis2-core 2.41.9) and the IHE samples, imported into the emulator.

Expected values are those of ``AdxDataServiceIntegrationTest.testImport`` (written out here by hand) or
traced by hand through CONTRACT.md §1 for the sample files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.emulator.bundles import adx_integration_test, adx_samples

ADX_CT = {"Content-Type": "application/adx+xml"}
NS = {"a": "urn:ihe:qrph:adx:2015"}
DEFAULT = "HllvX50cXC0"


@pytest.fixture
def samples(shared: Path) -> Path:
    return shared / "dhis2" / "adx-samples"


def post_adx(emulator, path: Path, **params) -> requests.Response:
    return requests.post(emulator.url + "/api/dataValueSets", params=params, data=path.read_bytes(), headers=ADX_CT,
                         auth=emulator.admin_auth)  # fmt: skip


def stored(emulator) -> set[tuple]:
    return {(v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"], v["attributeOptionCombo"],
             v["value"]) for v in emulator.data_values()}  # fmt: skip


# AdxDataServiceIntegrationTest.testImport: the same nine values for importA, importB and importC.
EXPECTED_IMPORT = {
    ("MalNummmmmm", "202001", "P1233333333", "FUnder55555", DEFAULT, "1"),
    ("MalNummmmmm", "202001", "P1233333333", "MUnder55555", DEFAULT, "2"),
    ("MalNummmmmm", "202001", "P1233333333", "FOver555555", DEFAULT, "3"),
    ("MalNummmmmm", "202001", "P1233333333", "MOver555555", DEFAULT, "4"),
    ("MalTexttttt", "202001", "P1233333333", DEFAULT, DEFAULT, "Text data value"),
    ("MalNummmmmm", "202002", "D4566666666", "FUnder55555", DEFAULT, "6"),
    ("MalNummmmmm", "2021Q1", "D4566666666", "FUnder55555", "cocPEPFARRR", "10"),
    ("MalNummmmmm", "2021Q1", "D4566666666", "FOver555555", "cocMcDonald", "20"),
    ("MalNummmmmm", "2021Q1", "D4566666666", "MUnder55555", "cocMcDonald", "30"),
}


@pytest.mark.parametrize(
    ("fixture", "schemes"),
    [
        ("importA.adx.xml", {"dataElementIdScheme": "NAME", "categoryIdScheme": "NAME",
                             "categoryOptionIdScheme": "UID", "categoryOptionComboIdScheme": "UID"}),
        ("importB.adx.xml", {"dataSetIdScheme": "NAME", "orgUnitIdScheme": "UID", "dataElementIdScheme": "UID",
                             "categoryOptionComboIdScheme": "NAME"}),
        ("importC.adx.xml", {"dataSetIdScheme": "UID", "orgUnitIdScheme": "NAME", "categoryIdScheme": "UID",
                             "categoryOptionIdScheme": "NAME"}),
    ],
)  # fmt: skip
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dhis2_import_fixtures(dhis2_emulator, samples, fixture, schemes):
    dhis2_emulator.load_metadata(adx_integration_test(), generate_option_combos=False)
    r = post_adx(dhis2_emulator, samples / "dhis2-core-2.41.9" / fixture, **schemes)
    assert r.status_code == 200, r.text
    summary = r.json()["response"]
    assert summary["status"] == "SUCCESS" and summary["conflicts"] == []
    assert summary["importCount"] == {"imported": 9, "updated": 0, "ignored": 0, "deleted": 0}
    assert stored(dhis2_emulator) == EXPECTED_IMPORT


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dhis2_import_fixture_without_matching_schemes_fails_at_group_level(
    dhis2_emulator, samples
):
    # importB names its data set by NAME; with the ADX default (CODE) the first group aborts the import.
    dhis2_emulator.load_metadata(adx_integration_test(), generate_option_combos=False)
    r = post_adx(dhis2_emulator, samples / "dhis2-core-2.41.9" / "importB.adx.xml")
    assert r.status_code == 409
    summary = r.json()["response"]
    assert summary["status"] == "ERROR"
    assert summary["description"] == "Data set import failed within group number: 0"
    assert summary["conflicts"] == [
        {"object": "ADX Error", "value": "No data set matching code 'Malaria DS'"}
    ]
    assert dhis2_emulator.data_values() == []


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dhis2_import_dates_fixture_ignores_created_and_last_updated(dhis2_emulator, samples):
    dhis2_emulator.load_metadata(adx_integration_test(), generate_option_combos=False)
    path = samples / "dhis2-core-2.41.9" / "importDates.adx.xml"
    r = post_adx(dhis2_emulator, path, idScheme="UID")
    assert r.status_code == 200
    assert r.json()["response"]["importCount"] == {
        "imported": 1,
        "updated": 0,
        "ignored": 0,
        "deleted": 0,
    }
    assert stored(dhis2_emulator) == {
        ("MalNummmmmm", "202001", "P1233333333", "MOver555555", DEFAULT, "33")
    }
    (value,) = dhis2_emulator.data_values()
    assert value["created"].year >= 2024  # not 1987 from the document
    r = post_adx(dhis2_emulator, path, idScheme="UID")
    assert r.json()["response"]["importCount"] == {
        "imported": 0,
        "updated": 0,
        "ignored": 1,
        "deleted": 0,
    }


def _groups(xml: bytes) -> set:
    root = etree.fromstring(xml)
    out = set()
    for group in root.findall("a:group", NS):
        values = []
        for dv in group.findall("a:dataValue", NS):
            annotation = dv.find("a:annotation", NS)
            values.append(
                (
                    tuple(sorted(dv.attrib.items())),
                    annotation.text if annotation is not None else None,
                )
            )
        out.add((tuple(sorted(group.attrib.items())), tuple(sorted(values))))
    return out


@pytest.mark.parametrize(
    ("fixture", "params"),
    [
        ("exportA.adx.xml", {"idScheme": "CODE", "dataElementIdScheme": "NAME", "categoryIdScheme": "NAME",
                             "categoryOptionIdScheme": "UID"}),
        ("exportC.adx.xml", {"idScheme": "CODE", "dataSetIdScheme": "UID", "orgUnitIdScheme": "NAME",
                             "categoryIdScheme": "UID", "categoryOptionIdScheme": "NAME", "children": "true"}),
        ("exportD.adx.xml", {"idScheme": "CODE", "dataSetIdScheme": "UID", "orgUnitIdScheme": "NAME",
                             "categoryIdScheme": "UID", "categoryOptionIdScheme": "NAME", "children": "true",
                             "attributeOptionCombo": "cocMcDonald"}),
    ],
)  # fmt: skip
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_adx_read_back_matches_dhis2_export_fixtures(dhis2_emulator, samples, fixture, params):
    """``AdxDataServiceIntegrationTest.testExport``: same four values, same export parameters, same groups."""
    dhis2_emulator.load_metadata(adx_integration_test(), generate_option_combos=False)
    payload = {"dataValues": [
        {"dataElement": "MalNummmmmm", "period": "202001", "orgUnit": "P1233333333",
         "categoryOptionCombo": "FUnder55555", "value": "1"},
        {"dataElement": "MalTexttttt", "period": "202002", "orgUnit": "P1233333333", "value": "Some text"},
        {"dataElement": "MalNummmmmm", "period": "202001", "orgUnit": "D4566666666",
         "categoryOptionCombo": "MOver555555", "attributeOptionCombo": "cocMcDonald", "value": "2"},
        {"dataElement": "MalNummmmmm", "period": "202001", "orgUnit": "D4566666666",
         "categoryOptionCombo": "FOver555555", "attributeOptionCombo": "cocPEPFARRR", "value": "3"},
    ]}  # fmt: skip
    r = requests.post(
        dhis2_emulator.url + "/api/dataValueSets", json=payload, auth=dhis2_emulator.admin_auth
    )
    assert r.json()["response"]["importCount"]["imported"] == 4
    query = {"orgUnit": "P1233333333", "period": ["202001", "202002"], "dataSet": ["MalariaDSSS", "MalariaMech"],
             **params}  # fmt: skip
    r = requests.get(dhis2_emulator.url + "/api/dataValueSets", params=query, auth=dhis2_emulator.admin_auth,
                     headers={"Accept": "application/adx+xml"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert _groups(r.content) == _groups((samples / "dhis2-core-2.41.9" / fixture).read_bytes())


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dhis2_adx_data_sample1(dhis2_emulator, samples):
    """Group AOC by COC code, duplicate values, a COC given explicitly, completeDate ignored."""
    dhis2_emulator.load_metadata(
        adx_samples(disaggregated_mal04=False, data_set_code="Malaria", attribute_combo=False)
    )
    store = dhis2_emulator.store
    (mcdonalds,) = [c for c in store.objects["categoryOptionCombos"].values()
                    if [r["id"] for r in c["categoryOptions"]] == ["CoMechMcDon"]]  # fmt: skip
    dhis2_emulator.set_option_combo_codes({mcdonalds["id"]: "McDonalds"})
    r = post_adx(dhis2_emulator, samples / "dhis2-core-2.41.9" / "adx_data_sample1.xml")
    assert r.status_code == 200
    summary = r.json()["response"]
    # Group 1 (AOC McDonalds): MAL01, MAL02, MAL04 imported, two identical MAL04 ignored, MAL04 on COC
    # McDonalds imported. Group 2 (default AOC): MAL01, MAL02, MAL03, MAL04 imported, three MAL04 ignored.
    assert summary["importCount"] == {"imported": 8, "updated": 0, "ignored": 5, "deleted": 0}
    m = mcdonalds["id"]
    assert stored(dhis2_emulator) == {
        ("DeMal010001", "201501", "OrgUnit0342", DEFAULT, m, "32"),
        ("DeMal020002", "201501", "OrgUnit0342", DEFAULT, m, "20"),
        ("DeMal040004", "201501", "OrgUnit0342", DEFAULT, m, "10"),
        ("DeMal040004", "201501", "OrgUnit0342", m, m, "10"),
        ("DeMal010001", "201501", "OrgUnit0342", DEFAULT, DEFAULT, "32"),
        ("DeMal020002", "201501", "OrgUnit0342", DEFAULT, DEFAULT, "20"),
        (
            "DeMal030003",
            "201501",
            "OrgUnit0342",
            DEFAULT,
            DEFAULT,
            "Some qualifying text here on the datavalue",
        ),
        ("DeMal040004", "201501", "OrgUnit0342", DEFAULT, DEFAULT, "10"),
    }
    assert store.completions == {}  # ADX completeDate is ignored in 2.38–2.42


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_dhis2_adx_data_sample2_without_data_set_drops_mechanism(dhis2_emulator, samples):
    """No ``dataSet`` on the groups: ``mechanism`` is dropped, everything lands on the default AOC, and the
    second group's ``comment`` turns the first group's values into updates."""
    dhis2_emulator.load_metadata(
        adx_samples(disaggregated_mal04=True, data_set_code="Malaria", attribute_combo=True)
    )
    r = post_adx(dhis2_emulator, samples / "dhis2-core-2.41.9" / "adx_data_sample2.xml",
                 categoryOptionComboIdScheme="UID")  # fmt: skip
    assert r.status_code == 200
    assert r.json()["response"]["importCount"] == {
        "imported": 7,
        "updated": 6,
        "ignored": 0,
        "deleted": 0,
    }
    values = dhis2_emulator.data_values()
    assert len(values) == 7
    assert {v["attributeOptionCombo"] for v in values} == {DEFAULT}
    assert {v["comment"] for v in values} == {"Imported from facility system"}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
@pytest.mark.parametrize("name", ["adx_data_sample1.xml", "adx_data_sample2.xml"])
def test_ihe_samples(dhis2_emulator, samples, name):
    dhis2_emulator.load_metadata(
        adx_samples(disaggregated_mal04=True, data_set_code="MALARIA", attribute_combo=True)
    )
    r = post_adx(dhis2_emulator, samples / "ihe" / name, categoryOptionComboIdScheme="UID")
    assert r.status_code == 200, r.text
    assert r.json()["response"]["importCount"] == {
        "imported": 13,
        "updated": 0,
        "ignored": 0,
        "deleted": 0,
    }
    store = dhis2_emulator.store
    aoc = {c["id"]: store.objects["categoryOptions"][c["categoryOptions"][0]["id"]]["code"]
           for c in store.option_combos("CcMechanism")}  # fmt: skip
    by_mechanism: dict[str, int] = {}
    for v in dhis2_emulator.data_values():
        by_mechanism[aoc[v["attributeOptionCombo"]]] = (
            by_mechanism.get(aoc[v["attributeOptionCombo"]], 0) + 1
        )
        if aoc[v["attributeOptionCombo"]] == "OTHER":
            assert v["comment"] == "Imported from facility system"
        else:
            assert v["comment"] is None
    assert by_mechanism == {"PEPFAR": 6, "OTHER": 7}
    # Re-posting the same document: everything identical, counted as ignored.
    r = post_adx(dhis2_emulator, samples / "ihe" / name, categoryOptionComboIdScheme="UID")
    assert r.json()["response"]["importCount"] == {
        "imported": 0,
        "updated": 0,
        "ignored": 13,
        "deleted": 0,
    }
