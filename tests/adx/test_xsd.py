"""The vendored schema and the validator."""

from __future__ import annotations

import pytest

from adx.xsd import SCHEMA_DIR, AdxValidationError, assert_valid_adx, validate_adx

VALID = (
    b'<adx xmlns="urn:ihe:qrph:adx:2015" exported="2024-02-01T10:00:00Z">'
    b'<group dataSet="DS" orgUnit="OU" period="2024-01-01/P1M">'
    b'<dataValue dataElement="DE" SEX="F" value="12"/>'
    b'<dataValue dataElement="TXT" value="0"><annotation>text</annotation></dataValue>'
    b"</group></adx>"
)


def test_vendored_schema_is_byte_identical_to_shared(shared):
    src = shared / "dhis2" / "adx-schema"
    names = ["adx_loose.xsd", *(f"sdmx/{p.name}" for p in sorted((src / "sdmx").glob("*.xsd")))]
    assert len(names) == 4
    for name in names:
        assert (SCHEMA_DIR / name).read_bytes() == (src / name).read_bytes(), name
    vendored = {p.relative_to(SCHEMA_DIR).as_posix() for p in SCHEMA_DIR.rglob("*.xsd")}
    assert vendored == set(names)


def test_valid_document():
    assert validate_adx(VALID) == []
    assert_valid_adx(VALID)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.replace(b' exported="2024-02-01T10:00:00Z"', b""), "exported"),
        (lambda d: d.replace(b"2024-02-01T10:00:00Z", b"yesterday"), "exported"),
        (lambda d: d.replace(b'value="12"', b'value="twelve"'), "decimal"),
        (lambda d: d.replace(b' value="12"', b""), "value"),
        (lambda d: d.replace(b' orgUnit="OU"', b""), "orgUnit"),
        (lambda d: d.replace(b"2024-01-01/P1M", b"202401"), "period"),
        (lambda d: d.replace(b'xmlns="urn:ihe:qrph:adx:2015"', b'xmlns="urn:other"'), "adx"),
        (lambda d: d.split(b"<group")[0] + b"</adx>", "group"),
        (
            lambda d: d.replace(
                b"<annotation>text</annotation>",
                b"<annotation>a</annotation><annotation>b</annotation>",
            ),
            "annotation",
        ),
        (lambda d: d[:-10], "well-formed"),
    ],
)
def test_invalid_documents_rejected(mutate, fragment):
    doc = mutate(VALID)
    errors = validate_adx(doc)
    assert errors, doc
    assert any(fragment in e for e in errors), errors
    with pytest.raises(AdxValidationError):
        assert_valid_adx(doc)


def test_dhis2_own_export_is_not_schema_valid(shared):
    # CONTRACT.md §6.18: DHIS2 omits `exported`; the validator must say so.
    errors = validate_adx(
        shared / "dhis2" / "adx-samples" / "dhis2-core-2.41.9" / "exportA.adx.xml"
    )
    assert any("exported" in e for e in errors)


def test_validator_refuses_dtd():
    doc = b'<!DOCTYPE adx [<!ENTITY e "x">]>' + VALID
    assert any("DTD" in e for e in validate_adx(doc))


def test_errors_do_not_leak_between_calls():
    assert validate_adx(VALID.replace(b'value="12"', b'value="x"'))
    assert validate_adx(VALID) == []
    errors = validate_adx(VALID.replace(b' orgUnit="OU"', b""))
    assert not any("decimal" in e for e in errors), errors


def test_small_documents_report_every_error_with_its_line(tmp_path):
    doc = VALID.replace(b'value="12"', b'value="x"').replace(b"<annotation>", b"\n<annotation>")
    doc = doc.replace(b' exported="2024-02-01T10:00:00Z"', b"").replace(b"<group", b"\n<group")
    errors = validate_adx(doc)
    assert len(errors) == 2, errors
    assert errors[0].startswith("line 1:") and "exported" in errors[0]
    assert errors[1].startswith("line 2:") and "'x'" in errors[1]
    path = tmp_path / "bad.adx.xml"
    path.write_bytes(doc)
    assert validate_adx(path) == errors
    # A stream cannot be read twice: what the streaming pass saw, without line numbers.
    import io

    streamed = validate_adx(io.BytesIO(doc))
    assert streamed and any("exported" in e for e in streamed)
    assert not any(e.startswith("line ") for e in streamed)
