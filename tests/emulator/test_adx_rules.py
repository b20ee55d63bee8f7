"""ADX-specific rules of DHIS2 2.38–2.41 (CONTRACT.md §1): group/value errors, categories, id schemes, quirks."""

from __future__ import annotations

import gzip

import pytest

from tests.emulator.bundles import coc_uid, give_coc_codes, malaria
from tests.emulator.helpers import count, counts, post_adx, stored

D = "HllvX50cXC0"
OU = "OuFacil0001"


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    return dhis2_emulator


def adx(*groups: str, ns: str = ' xmlns="urn:ihe:qrph:adx:2015"') -> str:
    return f'<adx{ns} exported="2023-02-01T10:00:00Z">' + "".join(groups) + "</adx>"


def group(
    values: str, attrs: str = 'dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M"'
) -> str:
    return f"<group {attrs}>{values}</group>"


DEATHS = '<dataValue dataElement="MAL_DEATHS" value="3"/>'


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2023-01-01", "2023-01-01 not in valid <date>/<duration> format"),
        ("2023-01-01/P1M/x", "2023-01-01/P1M/x not in valid <date>/<duration> format"),
        ("2023-01-01T00:00:00/P1M", "P1M is not a supported duration type"),
        ("2023-01-01/P1W", "P1W is not a supported duration type"),
        ("2023-01-01/P12M", "P12M is not a supported duration type"),
        ("2023-01-01/p1m", "p1m is not a supported duration type"),
        ("2023-01-03/P7D", "2023-01-03/P7D is invalid weekly type"),
        ("2023-03-01/P6M", "2023-03-01/P6M is invalid sixmonthly type"),
        ("2023-02-01/P1Y", "2023-02-01/P1Y is invalid yearly type"),
    ],
)
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_bad_periods_abort_the_import(emu, period, message):
    r = post_adx(emu, adx(group(DEATHS, f'dataSet="DS_MAL" orgUnit="OU_123" period="{period}"')))
    assert r.status_code == 409
    summary = r.json()["response"]
    assert (summary["status"], summary["description"]) == (
        "ERROR",
        "Data set import failed within group number: 0",
    )
    assert summary["conflicts"] == [{"object": "ADX Error", "value": message}]
    assert summary["importCount"] == count()


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_start_inside_the_period_is_snapped_to_the_containing_period(emu):
    r = post_adx(
        emu, adx(group(DEATHS, 'dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-15/P1M"'))
    )
    assert counts(r) == count(imported=1)
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "3"}


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('dataSet="DS_MAL" orgUnit="OU_123"', "period attribute is required on 'group'"),
        ('dataSet="DS_MAL" period="2023-01-01/P1M"', "orgUnit attribute is required on 'group'"),
        (
            'dataSet="NOPE" orgUnit="OU_123" period="2023-01-01/P1M"',
            "No data set matching code 'NOPE'",
        ),
    ],
)
@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_group_level_errors_abort_everything_including_earlier_groups(emu, attrs, message):
    r = post_adx(emu, adx(group(DEATHS), group(DEATHS, attrs)))
    assert r.status_code == 409
    summary = r.json()["response"]
    assert summary["description"] == "Data set import failed within group number: 1"
    assert summary["conflicts"] == [{"object": "ADX Error", "value": message}]
    assert stored(emu) == {}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_value_level_adx_conflicts(emu):
    give_coc_codes(emu)
    values = "".join([
        '<dataValue value="1"/>',
        '<dataValue dataElement="MAL_DEATHS"/>',
        '<dataValue dataElement="MAL_NOTE" value="0"/>',
        '<dataValue dataElement="MAL_CASES" SEX="F" value="5"/>',
        '<dataValue dataElement="MAL_CASES" value="5"/>',
        '<dataValue dataElement="MAL_CASES" SEX="X" AGE_GROUP="LT5" value="5"/>',
        '<dataValue dataElement="MAL_CASES" SEX="F" AGE_GROUP="LT5" value="6"/>',
    ])  # fmt: skip
    r = post_adx(emu, adx(group(values)))
    assert r.status_code == 200
    summary = r.json()["response"]
    assert summary["status"] == "SUCCESS"
    assert summary["conflicts"] == [
        {"object": "ADX Error", "value": "dataElement attribute is required on 'dataValue'"},
        {"object": "ADX Error", "value": "value attribute is required on 'dataValue'"},
        {"object": "MAL_NOTE", "value": "DataElement expects text annotation"},
        # Both categories missing: the first in java.util.HashMap order of the codes (AGE_GROUP) is reported;
        # the two identical (object, message) conflicts are merged into one, without indexes.
        {"object": "ADX Error", "value": "Category combo Sex and age must have Age group"},
        {"object": "ADX Error", "value": "Invalid attributes: {AGE_GROUP=LT5, SEX=X}"},
    ]
    assert summary["importCount"] == count(imported=1, ignored=6)
    assert stored(emu) == {("DeMalCase01", "202301", OU, coc_uid(emu, "F", "LT5"), D): "6"}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_coc_without_code_quirk_and_the_uid_workaround(emu):
    """Default schemes + generated COCs without codes: ``Value for categoryOptionCombo is null`` for every
    disaggregated value, yet the half-written DXF value (without COC) is imported on the default COC."""
    values = ('<dataValue dataElement="MAL_CASES" SEX="F" AGE_GROUP="LT5" value="12"/>'
              '<dataValue dataElement="MAL_CASES" SEX="M" AGE_GROUP="LT5" value="9"/>' + DEATHS)  # fmt: skip
    r = post_adx(emu, adx(group(values)))
    assert r.status_code == 200
    summary = r.json()["response"]
    assert summary["status"] == "SUCCESS"
    assert (
        summary["conflicts"]
        == [{"object": "ADX Error", "value": "Value for categoryOptionCombo is null"}]  # merged
    )
    # Orphan 12 imported on the default COC, orphan 9 updates it, deaths imported; 2 ADX conflicts ignored.
    assert summary["importCount"] == count(imported=2, updated=1, ignored=2)
    assert stored(emu) == {
        ("DeMalCase01", "202301", OU, D, D): "9",
        ("DeMalDeath1", "202301", OU, D, D): "3",
    }
    # The workaround: categoryOptionComboIdScheme=UID (categories and options stay CODE).
    emu.store.values.clear()
    r = post_adx(emu, adx(group(values)), categoryOptionComboIdScheme="UID")
    assert (r.status_code, r.json()["response"]["conflicts"]) == (200, [])
    assert stored(emu) == {("DeMalCase01", "202301", OU, coc_uid(emu, "F", "LT5"), D): "12",
                           ("DeMalCase01", "202301", OU, coc_uid(emu, "M", "LT5"), D): "9",
                           ("DeMalDeath1", "202301", OU, D, D): "3"}  # fmt: skip


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_attribute_categories_need_the_data_set(dhis2_emulator):
    bundle = malaria()
    bundle["categoryOptions"] += [
        {"id": "CoFundA0001", "code": "FUND_A", "name": "Fund A", "shortName": "Fund A", "sharing": {"public": "rwrw----"}},
        {"id": "CoFundB0001", "code": "FUND_B", "name": "Fund B", "shortName": "Fund B", "sharing": {"public": "rwrw----"}},
    ]  # fmt: skip
    bundle["categories"].append({"id": "CatFunder01", "code": "FUNDER", "name": "Funder", "shortName": "Funder",
                                 "dataDimensionType": "ATTRIBUTE",
                                 "categoryOptions": [{"id": "CoFundA0001"}, {"id": "CoFundB0001"}]})  # fmt: skip
    bundle["categoryCombos"].append({"id": "CcFunder001", "code": "FUNDER", "name": "Funder",
                                     "dataDimensionType": "ATTRIBUTE", "categories": [{"id": "CatFunder01"}]})  # fmt: skip
    bundle["dataSets"][0]["categoryCombo"] = {"id": "CcFunder001"}
    dhis2_emulator.load_metadata(bundle)
    fund_a = coc_uid(dhis2_emulator, "FUND_A")
    r = post_adx(dhis2_emulator, adx(group(DEATHS, 'dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M" '
                                                   'FUNDER="FUND_A"')), categoryOptionComboIdScheme="UID")  # fmt: skip
    assert counts(r) == count(imported=1)
    assert stored(dhis2_emulator) == {("DeMalDeath1", "202301", OU, D, fund_a): "3"}
    # Missing attribute category with a data set whose combo needs it: group-level error.
    r = post_adx(dhis2_emulator, adx(group(DEATHS)), categoryOptionComboIdScheme="UID")
    assert r.status_code == 409
    assert r.json()["response"]["conflicts"] == [{"object": "ADX Error",
                                                  "value": "Category combo Funder must have Funder"}]  # fmt: skip
    # Without dataSet the attribute is silently dropped and the value goes to the default AOC.
    r = post_adx(dhis2_emulator, adx(group(DEATHS.replace("3", "4"), 'orgUnit="OU_123" period="2023-01-01/P1M" '
                                                                     'FUNDER="FUND_A"')))  # fmt: skip
    assert counts(r) == count(imported=1)
    assert stored(dhis2_emulator)[("DeMalDeath1", "202301", OU, D, D)] == "4"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_default_combo_element_ignores_category_attributes(emu):
    r = post_adx(emu, adx(group('<dataValue dataElement="MAL_DEATHS" SEX="F" value="3"/>')))
    assert (r.status_code, counts(r)) == (200, count(imported=1))
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "3"}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
@pytest.mark.parametrize("ns", ["", ' xmlns="urn:example:wrong"'])
def test_namespace_is_not_enforced(emu, ns):
    r = post_adx(emu, adx(group(DEATHS), ns=ns))
    assert (r.status_code, counts(r)) == (200, count(imported=1))


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_empty_and_malformed_documents(emu):
    r = post_adx(emu, '<adx xmlns="urn:ihe:qrph:adx:2015"></adx>')
    assert (r.status_code, r.json()["response"]["status"], counts(r)) == (200, "SUCCESS", count())
    r = post_adx(emu, adx(group(DEATHS)).replace("</adx>", "<group"))
    assert r.status_code == 409
    summary = r.json()["response"]
    assert (summary["status"], summary["conflicts"]) == ("ERROR", [])
    assert summary["description"] == "Data set import failed within group number: 1"
    assert stored(emu) == {}


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_gzip_body_comment_fan_out_and_complete_date_ignored(emu):
    doc = adx(group(DEATHS + '<dataValue dataElement="MAL_NOTE" value="0"><annotation>n</annotation></dataValue>',
                    'dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M" comment="from HMIS" '
                    'completeDate="2023-02-03"'))  # fmt: skip
    r = post_adx(emu, gzip.compress(doc.encode()))
    assert counts(r) == count(imported=2)
    assert {v["comment"] for v in emu.data_values()} == {"from HMIS"}
    assert emu.store.completions == {}
    assert r.json()["response"]["dataSetComplete"] == "false"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_uid_schemes_for_everything(emu):
    f_lt5 = coc_uid(emu, "F", "LT5")
    doc = adx(group('<dataValue dataElement="DeMalCase01" CatSex00001="CoFemale001" CatAge00001="CoAgeLt5001" '
                    'value="4"/>', f'dataSet="DsMalaria01" orgUnit="{OU}" period="2023-01-01/P1M"'))  # fmt: skip
    r = post_adx(emu, doc, idScheme="UID")
    assert counts(r) == count(imported=1)
    assert stored(emu) == {("DeMalCase01", "202301", OU, f_lt5, D): "4"}
