"""Readers for DXF2 data value payloads: JSON (Jackson coercions, §2.1) and XML (``dataValueSet``)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

from lxml import etree

HEADER_FIELDS = ("dataSet", "completeDate", "period", "orgUnit", "attributeOptionCombo", "attributeCategoryOptions",
                 "idScheme", "dataElementIdScheme", "orgUnitIdScheme", "categoryOptionComboIdScheme",
                 "dataSetIdScheme", "dryRun", "strategy")  # fmt: skip


class PayloadError(ValueError):
    """A body DHIS2 cannot parse (HTTP 400 / 409 depending on format)."""


def decompress(body: bytes) -> bytes:
    """``StreamUtils.wrapAndCheckCompressionFormat``: gzip and zip bodies are detected by magic bytes."""
    if body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            return archive.read(names[0]) if names else b""
    return body


def _coerce(value):
    """Jackson: numbers and booleans become their text; ``""`` becomes null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    text = str(value)
    return text if text != "" else None


def read_json(body: bytes) -> tuple[dict, list[dict]]:
    try:
        doc = json.loads(body, parse_float=str, parse_int=str)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"JSON parse error: {exc}") from None
    if not isinstance(doc, dict):
        raise PayloadError("JSON parse error: expected a dataValueSet object")
    header = {}
    for key in HEADER_FIELDS:
        if key in doc:
            header[key] = doc[key] if key == "attributeCategoryOptions" else _coerce(doc[key])
    values = []
    for item in doc.get("dataValues") or []:
        if not isinstance(item, dict):
            raise PayloadError("JSON parse error: dataValues must hold objects")
        raw = {k: _coerce(v) for k, v in item.items() if k not in ("deleted", "followup")}
        raw["deleted"] = item.get("deleted")
        raw["followup"] = item.get("followup")
        values.append(raw)
    return header, values


def read_xml(body: bytes) -> tuple[dict, list[dict]]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise PayloadError(f"XML parse error: {exc}") from None
    header = {
        k: v
        for k, v in ((etree.QName(a).localname, v) for a, v in root.attrib.items())
        if k in HEADER_FIELDS
    }
    values = []
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).localname != "dataValue":
            continue
        raw = {
            etree.QName(a).localname: (v if v != "" else None) for a, v in element.attrib.items()
        }
        if "followUp" in raw:
            raw["followup"] = raw.pop("followUp")
        values.append(raw)
    return header, values
