"""ADX writer and reader: validity, round trip, grouping, refusals, DHIS2/IHE fixtures."""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from adx.adx_xml import AdxReadError, AdxWriteError, read_adx, sort_values, write_adx
from adx.model import Category, CategoryOption, DataElement, DataSetDefinition, DataValue
from adx.xsd import validate_adx

from .helpers import write_valid_adx

NS = "{urn:ihe:qrph:adx:2015}"
SEX = Category("SEX", "Sex", (CategoryOption("SEX_F", "Female"), CategoryOption("SEX_M", "Male")))
AGE = Category("AGE", "Age", (CategoryOption("AGE_0_5", "0-5"), CategoryOption("AGE_6P", "6+")))
DS = DataSetDefinition(
    "DS_A",
    "Data set A",
    "Monthly",
    (
        DataElement("CASES", "Cases", (SEX, AGE)),
        DataElement("NOTE", "Note", (), value_type="TEXT", aggregation_type="NONE"),
        DataElement("AMOUNT", "Amount", (), value_type="NUMBER"),
    ),
)


def _values() -> list[DataValue]:
    out = []
    for ou in ("OU_1", "OU_2"):
        for pe in ("202401", "202402"):
            for sex in ("SEX_F", "SEX_M"):
                for age in ("AGE_0_5", "AGE_6P"):
                    n = len(out)
                    out.append(
                        DataValue("DS_A", pe, ou, "CASES", str(n), (("SEX", sex), ("AGE", age)))
                    )
            out.append(DataValue("DS_A", pe, ou, "AMOUNT", "12.50"))
            out.append(DataValue("DS_A", pe, ou, "NOTE", f'stock-out <week 2> & "late" {ou}'))
    return out


def test_round_trip_with_definitions():
    values = _values()
    doc = write_valid_adx(values, data_sets={"DS_A": DS})
    assert list(read_adx(doc, data_sets={"DS_A": DS})) == values
    # Without definitions the reader takes the annotation as the value (DHIS2 export convention).
    assert list(read_adx(doc)) == values


def test_document_shape_checked_with_plain_lxml():
    values = _values()
    when = datetime(2024, 3, 1, 12, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    doc = write_valid_adx(values, data_sets={"DS_A": DS}, exported=when)
    root = etree.fromstring(doc)
    assert root.tag == NS + "adx"
    assert root.get("exported") == "2024-03-01T10:30:05Z"
    groups = root.findall(NS + "group")
    # one group per org unit x period (the values are already grouped)
    assert [(g.get("dataSet"), g.get("orgUnit"), g.get("period")) for g in groups] == [
        ("DS_A", ou, f"2024-0{m}-01/P1M") for ou in ("OU_1", "OU_2") for m in (1, 2)
    ]
    first = groups[0].findall(NS + "dataValue")
    assert len(first) == 6
    assert dict(first[0].attrib) == {
        "dataElement": "CASES",
        "SEX": "SEX_F",
        "AGE": "AGE_0_5",
        "value": "0",
    }
    note = first[5]
    assert note.get("value") == "0"
    assert note.findtext(NS + "annotation") == 'stock-out <week 2> & "late" OU_1'


def test_default_exported_is_now_utc():
    before = datetime.now(UTC).replace(microsecond=0)
    doc = write_valid_adx(_values()[:1])
    stamp = etree.fromstring(doc).get("exported")
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp[:-1]).replace(tzinfo=UTC)
    assert before <= parsed <= datetime.now(UTC)


def test_consecutive_values_share_a_group_and_sort_values_merges():
    a = DataValue("DS_A", "202401", "OU_1", "AMOUNT", "1")
    b = DataValue("DS_A", "202401", "OU_2", "AMOUNT", "2")
    c = DataValue("DS_A", "202401", "OU_1", "AMOUNT", "3")
    unsorted = etree.fromstring(write_valid_adx([a, b, c]))
    assert [g.get("orgUnit") for g in unsorted] == ["OU_1", "OU_2", "OU_1"]
    merged = etree.fromstring(write_valid_adx(sort_values([a, b, c])))
    assert [(g.get("orgUnit"), len(g)) for g in merged] == [("OU_1", 2), ("OU_2", 1)]


def test_attribute_options_and_explicit_combos_go_on_the_right_elements():
    v = DataValue(
        "DS_A", "2024Q1", "OU_1", "CASES", "5",
        category_options=(("categoryOptionCombo", "COC_X"),),
        attribute_options=(("MECH", "PEPFAR"),),
        comment="checked",
    )  # fmt: skip
    w = DataValue(
        "DS_A",
        "2024Q1",
        "OU_1",
        "CASES",
        "6",
        attribute_options=(("attributeOptionCombo", "AOC_1"),),
    )
    root = etree.fromstring(write_valid_adx([v, w]))
    g1, g2 = root
    assert dict(g1.attrib) == {
        "dataSet": "DS_A",
        "orgUnit": "OU_1",
        "period": "2024-01-01/P3M",
        "MECH": "PEPFAR",
    }
    assert dict(g1[0].attrib) == {
        "dataElement": "CASES",
        "categoryOptionCombo": "COC_X",
        "comment": "checked",
        "value": "5",
    }
    assert g2.get("attributeOptionCombo") == "AOC_1"
    assert list(read_adx(etree.tostring(root))) == [v, w]


@pytest.mark.parametrize("code", ["1AGE", "AGE GROUP", "sex:f", "âge", ""])
def test_category_code_that_is_not_an_xml_name_is_refused(code):
    v = DataValue("DS_A", "202401", "OU_1", "CASES", "1", ((code, "X"),))
    with pytest.raises(AdxWriteError, match="not a valid XML name") as exc:
        write_adx([v], io.BytesIO())
    assert repr(code) in str(exc.value)


def test_attribute_category_code_checked_too_and_reserved_names_refused():
    with pytest.raises(AdxWriteError, match="not a valid XML name"):
        write_adx(
            [DataValue("DS_A", "202401", "OU_1", "CASES", "1", attribute_options=(("9x", "A"),))],
            io.BytesIO(),
        )
    with pytest.raises(AdxWriteError, match="clashes"):
        write_adx(
            [DataValue("DS_A", "202401", "OU_1", "CASES", "1", (("value", "A"),))], io.BytesIO()
        )
    with pytest.raises(AdxWriteError, match="clashes"):
        write_adx(
            [
                DataValue(
                    "DS_A", "202401", "OU_1", "CASES", "1", attribute_options=(("period", "A"),)
                )
            ],
            io.BytesIO(),
        )


@pytest.mark.parametrize("value", ["1e5", "abc", "", "1,5", "NaN"])
def test_non_decimal_value_refused_without_definitions(value):
    with pytest.raises(AdxWriteError, match="not a decimal"):
        write_adx([DataValue("DS_A", "202401", "OU_1", "AMOUNT", value)], io.BytesIO())


def test_unknown_element_or_data_set_refused_with_definitions():
    with pytest.raises(AdxWriteError, match="NOPE"):
        write_adx(
            [DataValue("DS_A", "202401", "OU_1", "NOPE", "1")], io.BytesIO(), data_sets={"DS_A": DS}
        )
    with pytest.raises(AdxWriteError, match="DS_B"):
        write_adx(
            [DataValue("DS_B", "202401", "OU_1", "CASES", "1")],
            io.BytesIO(),
            data_sets={"DS_A": DS},
        )


def test_bad_period_and_unencodable_text_refused():
    with pytest.raises(AdxWriteError, match="2024M1"):
        write_adx([DataValue("DS_A", "2024M1", "OU_1", "AMOUNT", "1")], io.BytesIO())
    with pytest.raises(AdxWriteError, match="NOTE"):
        write_adx(
            [DataValue("DS_A", "202401", "OU_1", "NOTE", "bell \x07")],
            io.BytesIO(),
            data_sets={"DS_A": DS},
        )


def test_all_period_types_write_valid_adx():
    ids = ["20240105", "2024W1", "2024SunW2", "2024BiW3", "202401", "202402B", "2024Q3", "2024S2",
           "2024AprilS1", "2024NovS2", "2024", "2024April", "2024July", "2024Oct", "2024Nov"]  # fmt: skip
    values = [DataValue("DS_A", pid, "OU_1", "AMOUNT", "1") for pid in ids]
    doc = write_valid_adx(values)
    assert [v.period for v in read_adx(doc)] == ids


def test_writer_memory_does_not_grow_with_size(tmp_path):
    def lazy(n):
        for i in range(n):
            yield DataValue(
                "DS_A",
                "202401",
                f"OU_{i // 500}",
                "CASES",
                str(i),
                (("SEX", "SEX_F"), ("AGE", "AGE_6P")),
            )

    peaks = []
    for n in (2_000, 20_000):
        path = tmp_path / f"{n}.adx.xml"
        with open(path, "wb") as out:
            tracemalloc.start()
            assert write_adx(lazy(n), out) == n
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        assert validate_adx(path) == []
    # ten times the values, (almost) the same peak: nothing grows with the number of values
    assert peaks[1] < peaks[0] + 500_000, peaks


# --- reading DHIS2's and IHE's own files -------------------------------------------------------


def _expected_from_file(path: Path):
    """Independent oracle: plain lxml tree walk of the fixture, DHIS2's rules applied by hand."""
    ignored = {
        "dataElement",
        "value",
        "comment",
        "created",
        "lastUpdated",
        "storedBy",
        "followUp",
        "deleted",
    }
    out = []
    for g in etree.parse(str(path)).getroot():
        if not isinstance(g.tag, str) or not g.tag.endswith("group"):
            continue
        group_attrs = {k: v for k, v in g.attrib.items()
                       if k not in ("dataSet", "orgUnit", "period", "completeDate", "comment", "dataSetComplete")}  # fmt: skip
        for dv in g:
            if not isinstance(dv.tag, str) or not dv.tag.endswith("dataValue"):
                continue
            note = dv.find(NS + "annotation")
            out.append(
                (
                    g.get("dataSet", ""), g.get("orgUnit"), g.get("period"), dv.get("dataElement"),
                    note.text if note is not None else dv.get("value"),
                    tuple((k, v) for k, v in dv.attrib.items() if k not in ignored),
                    tuple(group_attrs.items()),
                    dv.get("comment", g.get("comment")),
                )
            )  # fmt: skip
    return out


FIXTURES = sorted(
    p for d in ("dhis2-core-2.41.9", "ihe") for p in (Path("/work/shared/dhis2/adx-samples") / d).glob("*.xml")
    if p.name != "adx_sample_dsd.xml"
)  # fmt: skip


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_reads_dhis2_and_ihe_fixtures(path, shared):
    path = shared / "dhis2" / "adx-samples" / path.parent.name / path.name
    got = list(read_adx(path))
    expected = _expected_from_file(path)
    assert len(got) == len(expected) > 0
    adx_periods = {"2015-01-01/P1M": "201501", "2020-01-01/P1M": "202001", "2020-02-01/P1M": "202002",
                   "2021-01-01/P3M": "2021Q1"}  # fmt: skip
    for v, (ds, ou, pe, de, value, cos, aos, comment) in zip(got, expected, strict=True):
        assert (v.data_set, v.org_unit, v.period, v.data_element) == (ds, ou, adx_periods[pe], de)
        assert (v.value, v.category_options, v.attribute_options, v.comment) == (
            value,
            cos,
            aos,
            comment,
        )


def test_specific_fixture_values(shared):
    base = shared / "dhis2" / "adx-samples"
    a = list(read_adx(base / "dhis2-core-2.41.9" / "exportA.adx.xml"))
    assert a[0] == DataValue("MalariaDS", "202001", "123", "Malaria numeric", "1",
                             (("Age_category", "under555555"), ("Sex_category", "FFFFFFFFFFF")))  # fmt: skip
    assert a[1] == DataValue("MalariaDS", "202002", "123", "Malaria text", "Some text")
    imp = list(read_adx(base / "dhis2-core-2.41.9" / "importA.adx.xml"))
    assert imp[2].category_options == (("categoryOptionCombo", "FOver555555"),)
    assert imp[6].attribute_options == (("Mechanism_category", "PEPFARRRRRR"),)
    assert imp[8].attribute_options == (("attributeOptionCombo", "cocMcDonald"),)
    assert imp[8].period == "2021Q1"
    ihe = list(read_adx(base / "ihe" / "adx_data_sample1.xml"))
    assert ihe[6].comment == "Imported from facility system"
    assert ihe[8].value == "Some qualifying text here on the datavalue"
    dates = list(read_adx(base / "dhis2-core-2.41.9" / "importDates.adx.xml"))
    assert dates[0].category_options == (
        ("ageeeeeeeee", "over5555555"),
        ("sexxxxxxxxx", "MMMMMMMMMMM"),
    )


def test_reader_uses_value_types_and_category_order_from_definitions():
    doc = (
        b'<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_A" orgUnit="O" period="2024-01-01/P1M">'
        b'<dataValue dataElement="CASES" AGE="AGE_6P" SEX="SEX_M" value="4"><annotation>note</annotation></dataValue>'
        b'<dataValue dataElement="NOTE" value="0"><annotation>text</annotation></dataValue>'
        b"</group></adx>"
    )
    got = list(read_adx(doc, data_sets={"DS_A": DS}))
    assert got[0].category_options == (("SEX", "SEX_M"), ("AGE", "AGE_6P"))
    assert got[0].value == "4"  # numeric: annotation ignored, as DHIS2 does
    assert got[1].value == "text"
    with pytest.raises(AdxReadError, match="annotation"):
        list(read_adx(doc.replace(b"<annotation>text</annotation>", b""), data_sets={"DS_A": DS}))


# --- hostile and broken input ----------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE adx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2024-01-01T00:00:00Z">
<group orgUnit="O" period="2024-01-01/P1M"><dataValue dataElement="&xxe;" value="1"/></group></adx>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="O" period="2024-01-01/P1M">
<dataValue dataElement="&lol3;" value="1"/></group></adx>"""


@pytest.mark.parametrize("doc", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_refused(doc):
    with pytest.raises(AdxReadError, match="DTD"):
        list(read_adx(doc))


def test_undeclared_entity_and_network_are_not_resolved(tmp_path):
    doc = b'<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="O" period="2024-01-01/P1M"><dataValue dataElement="&ext;" value="1"/></group></adx>'
    with pytest.raises(AdxReadError):
        list(read_adx(doc))
    xi = (
        b'<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="/etc/passwd" parse="text"/><group orgUnit="O" period="2024-01-01/P1M">'
        b'<dataValue dataElement="D" value="1"/></group></adx>'
    )
    assert [v.data_element for v in read_adx(xi)] == ["D"]  # XInclude is never processed


def test_size_cap():
    doc = write_valid_adx(_values(), data_sets={"DS_A": DS})
    assert len(list(read_adx(doc, max_bytes=len(doc)))) == len(_values())
    with pytest.raises(AdxReadError, match="limit"):
        list(read_adx(doc, max_bytes=len(doc) // 2))


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (b"<notadx/>", "root element"),
        (
            b"<adx><group period='2024-01-01/P1M'><dataValue dataElement='D' value='1'/></group></adx>",
            "orgUnit",
        ),
        (b"<adx><group orgUnit='O'><dataValue dataElement='D' value='1'/></group></adx>", "period"),
        (
            b"<adx><group orgUnit='O' period='2024-01-01/P1W'><dataValue dataElement='D' value='1'/></group></adx>",
            "P1W",
        ),
        (
            b"<adx><group orgUnit='O' period='2024-01-01/P1M'><dataValue value='1'/></group></adx>",
            "dataElement",
        ),
        (
            b"<adx><group orgUnit='O' period='2024-01-01/P1M'><dataValue dataElement='D'/></group></adx>",
            "value",
        ),
        (b"<adx><group orgUnit='O' period='2024-01-01/P1M'>", "well-formed"),
    ],
)
def test_broken_documents(doc, match):
    with pytest.raises(AdxReadError, match=match):
        list(read_adx(doc))


def test_reader_streams_from_file_object(tmp_path):
    values = _values()
    path = tmp_path / "a.adx.xml"
    path.write_bytes(write_valid_adx(values, data_sets={"DS_A": DS}))
    with open(path, "rb") as fh:
        assert list(read_adx(fh, data_sets={"DS_A": DS})) == values
    assert list(read_adx(str(path), data_sets={"DS_A": DS})) == values


def test_category_repeated_in_one_value_refused():
    with pytest.raises(AdxWriteError, match="twice"):
        write_adx(
            [
                DataValue(
                    "DS_A", "202401", "OU_1", "CASES", "1", (("SEX", "SEX_F"), ("SEX", "SEX_M"))
                )
            ],
            io.BytesIO(),
        )
    with pytest.raises(AdxWriteError, match="twice"):
        write_adx(
            [
                DataValue(
                    "DS_A",
                    "202401",
                    "OU_1",
                    "CASES",
                    "1",
                    attribute_options=(("M", "A"), ("M", "B")),
                )
            ],
            io.BytesIO(),
        )
