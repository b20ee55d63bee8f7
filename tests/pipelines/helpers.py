"""Independent readers for the exported files (lxml and json, not the adx package)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from lxml import etree

NS = "{urn:ihe:qrph:adx:2015}"
_SCHEMA: etree.XMLSchema | None = None


def adx_schema(shared: Path) -> etree.XMLSchema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = etree.XMLSchema(etree.parse(str(shared / "dhis2/adx-schema/adx_loose.xsd")))
    return _SCHEMA


def read_adx(path: Path, shared: Path) -> set[tuple]:
    """(data set, org unit, DHIS2 period, element, sorted options, value) of an ADX file."""
    doc = etree.parse(str(path))
    schema = adx_schema(shared)
    assert schema.validate(doc), f"{path}: {schema.error_log}"
    out = set()
    for group in doc.getroot().iter(f"{NS}group"):
        start, _, duration = group.get("period").partition("/")
        period = start[:4] + start[5:7] if duration == "P1M" else start[:4]
        for dv in group.iter(f"{NS}dataValue"):
            opts = tuple(
                sorted((k, v) for k, v in dv.attrib.items() if k not in ("dataElement", "value"))
            )
            out.add(
                (
                    group.get("dataSet"),
                    group.get("orgUnit"),
                    period,
                    dv.get("dataElement"),
                    opts,
                    dv.get("value"),
                )
            )
    return out


def read_json(path: Path) -> Counter:
    """Multiset of (element, period, org unit, value) of a dataValueSets JSON file."""
    doc = json.loads(path.read_text())
    return Counter(
        (v["dataElement"], v["period"], v["orgUnit"], v["value"]) for v in doc["dataValues"]
    )


def frame_as_adx_set(frame) -> set[tuple]:
    out = set()
    for r in frame.itertuples(index=False):
        opts = tuple(sorted(tuple(p.split("=", 1)) for p in r.category_options.split(";") if p))
        out.add((r.data_set, r.org_unit, r.period, r.data_element, opts, r.value))
    return out


def frame_as_json_counter(frame) -> Counter:
    return Counter(zip(frame.data_element, frame.period, frame.org_unit, frame.value, strict=True))
