"""dataValueSets JSON writer and streaming reader."""

from __future__ import annotations

import io
import json

import pytest

from adx.dhis2.metadata import build_bundle, options_resolver
from adx.dvs_json import DvsJsonError, read_json, write_json
from adx.model import DataValue

from .catalogue import CATALOGUE


def _values():
    out = []
    for ou in ("OU_W1", "OU_W2"):
        for sex in ("SEX_F", "SEX_M"):
            for age in ("AGE_0_5", "AGE_76P"):
                out.append(DataValue("OI_ENROLMENT", "202401", ou, "OI_INSUREES_COVERED", str(len(out)),
                                     (("SEX", sex), ("AGE", age))))  # fmt: skip
        out.append(DataValue("OI_ENROLMENT", "202401", ou, "OI_FAMILIES_COVERED", "0"))
        out.append(
            DataValue("OI_ENROLMENT", "202401", ou, "OI_NOTE", 'quote " \\ é \n', comment="c")
        )
    return out


class Trickle(io.RawIOBase):
    """A stream that returns at most 7 bytes per read (exercises buffer refills)."""

    def __init__(self, data: bytes):
        self._b = io.BytesIO(data)

    def readable(self):
        return True

    def read(self, size=-1):
        return self._b.read(7)


def test_written_json_matches_dhis2_shape_and_bundle_uids():
    bundle = build_bundle(CATALOGUE)
    coc_by_code = {c["code"]: c["id"] for c in bundle["categoryOptionCombos"]}
    out = io.BytesIO()
    assert write_json(_values(), out, data_set="OI_ENROLMENT") == 12
    doc = json.loads(out.getvalue())
    assert doc["dataSet"] == "OI_ENROLMENT"
    assert doc["dataElementIdScheme"] == "CODE" and doc["categoryOptionComboIdScheme"] == "UID"
    first = doc["dataValues"][0]
    assert first == {"dataElement": "OI_INSUREES_COVERED", "period": "202401", "orgUnit": "OU_W1",
                     "categoryOptionCombo": coc_by_code["SEX_F__AGE_0_5"], "value": "0"}  # fmt: skip
    assert doc["dataValues"][4]["categoryOptionCombo"] == "HllvX50cXC0"
    assert (
        doc["dataValues"][5]["value"] == 'quote " \\ é \n'
        and doc["dataValues"][5]["comment"] == "c"
    )
    assert all(isinstance(v["value"], str) for v in doc["dataValues"])


def test_round_trip_streaming_reader():
    bundle = build_bundle(CATALOGUE)
    values = _values()
    out = io.BytesIO()
    write_json(values, out, data_set="OI_ENROLMENT")
    data = out.getvalue()
    resolve = options_resolver(bundle)
    for source in (data, Trickle(data), data.decode()):
        assert list(read_json(source, options_for=resolve)) == values
    assert [d["value"] for d in read_json(data)] == [v.value for v in values]


def test_text_output_and_many_values(tmp_path):
    n = 10_000  # spans several internal write batches
    values = (
        DataValue("OI_ENROLMENT", "2024-01", f"OU_{i}", "OI_FAMILIES_COVERED", str(i))
        for i in range(n)
    )
    path = tmp_path / "v.json"
    with open(path, "w", encoding="utf-8") as fh:
        assert write_json(values, fh) == n
    doc = json.loads(path.read_text())
    assert len(doc["dataValues"]) == n and doc["dataValues"][-1]["orgUnit"] == f"OU_{n - 1}"
    assert doc["dataValues"][0]["period"] == "202401"  # canonical DHIS2 id
    assert sum(1 for _ in read_json(path)) == n


def test_custom_resolvers():
    v = DataValue("OI_ENROLMENT", "202401", "OU", "OI_INSUREES_COVERED", "1", (("SEX", "SEX_F"), ("AGE", "AGE_0_5")),
                  attribute_options=(("FUNDER", "FUNDER_A"),))  # fmt: skip
    out = io.StringIO()
    write_json([v], out, coc_for=lambda owner, opts: f"{owner}|{'+'.join(o for _, o in opts)}")
    dv = json.loads(out.getvalue())["dataValues"][0]
    assert dv["categoryOptionCombo"] == "OI_INSUREES_COVERED|SEX_F+AGE_0_5"
    assert dv["attributeOptionCombo"] == "OI_ENROLMENT|FUNDER_A"
    one = io.StringIO()
    write_json(
        [DataValue("D", "202401", "OU", "E", "1")], one, coc_for=lambda value: value.org_unit + "C"
    )
    assert json.loads(one.getvalue())["dataValues"][0]["categoryOptionCombo"] == "OUC"
    with pytest.raises(DvsJsonError, match="two-argument"):
        write_json([v], io.StringIO(), coc_for=lambda value: "x")


def test_header_overrides_like_dhis2():
    doc = {"dataSet": "DS", "period": "202402", "orgUnit": "OU_H", "attributeOptionCombo": "AOC",
           "dataValues": [{"dataElement": "E", "period": "202401", "orgUnit": "OU_1", "value": "1"},
                          {"dataElement": "F", "value": "2", "dataSet": "OTHER"}]}  # fmt: skip
    got = list(read_json(json.dumps(doc).encode()))
    assert got[0] == {"dataElement": "E", "period": "202402", "orgUnit": "OU_H", "value": "1",
                      "attributeOptionCombo": "AOC", "dataSet": "DS"}  # fmt: skip
    assert got[1]["dataSet"] == "OTHER" and got[1]["period"] == "202402"
    assert list(read_json(b"{}")) == [] and list(read_json(b'{"dataValues": []}')) == []


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (b'{"dataValues": [1]}', "not an object"),
        (b'{"dataValues": [{"a": 1}', "expected"),
        (b'{"dataValues": [{"a": }]}', "invalid"),
        (b"[]", "expected"),
    ],
)
def test_broken_json(doc, match):
    with pytest.raises(DvsJsonError, match=match):
        list(read_json(doc))


def test_size_cap_and_wrong_data_set():
    out = io.BytesIO()
    write_json(_values(), out)
    with pytest.raises(DvsJsonError, match="limit"):
        list(read_json(out.getvalue(), max_bytes=100))
    with pytest.raises(DvsJsonError, match="OI_ENROLMENT"):
        write_json(_values(), io.BytesIO(), data_set="OI_CLAIMS")


def test_multibyte_characters_split_across_reads_and_gzip_output(tmp_path):
    import gzip

    values = [DataValue("OI_ENROLMENT", "202401", "OU", "OI_NOTE", "ééé€€€" * 3, comment="ü")]
    path = tmp_path / "v.json.gz"
    with gzip.open(path, "wb") as fh:  # GzipFile: binary, with an integer ``mode``
        write_json(values, fh)
    data = gzip.decompress(path.read_bytes())
    for chunk in (1, 2, 3, 5):
        stream = Trickle(data)
        stream.read = lambda size=-1, s=stream, c=chunk: s._b.read(c)
        got = list(read_json(stream))
        assert got[0]["value"] == values[0].value and got[0]["comment"] == "ü"


def test_header_after_values_refused():
    doc = b'{"dataValues": [{"dataElement": "E", "value": "1"}], "period": "202401"}'
    with pytest.raises(DvsJsonError, match="after dataValues"):
        list(read_json(doc))
