"""ADX XML (IHE ``urn:ihe:qrph:adx:2015``) writer and safe streaming reader.

Writer: lxml's incremental writer (``etree.xmlfile``) emits the document, the ``<adx>`` root and
each ``<group>``. ``<dataValue>`` start tags are serialised by lxml once per distinct
(data element, category options) and cached; per value only the (checked) ``value`` is appended.
That keeps memory independent of the number of values and runs several times faster than one
lxml element per value (see ``bench/serialize.py``).

Reader: ``etree.iterparse`` with entity resolution, DTD loading and network access off, a DTD
refused outright (XXE, billion laughs), and a byte cap; elements are freed as soon as read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from adx.model import DataSetDefinition, DataValue, is_xml_name
from adx.periods import PeriodError, from_adx, to_adx
from adx.values import XS_DECIMAL, is_numeric_type

NAMESPACE = "urn:ihe:qrph:adx:2015"
DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB; a month of a national scheme is far below

# Attributes with a DHIS2 meaning, which a category code must not shadow.
VALUE_ATTRIBUTES = frozenset(
    {"dataElement", "value", "comment", "storedBy", "followUp", "deleted", "created", "lastUpdated"}
)
GROUP_ATTRIBUTES = frozenset({"dataSet", "orgUnit", "period", "completeDate", "comment"})
# Explicit combo ids ride in category_options / attribute_options under these names (they are
# attributes in ADX too); see docs/adx.md.
COC_ATTRIBUTE = "categoryOptionCombo"
AOC_ATTRIBUTE = "attributeOptionCombo"
# Read but not represented in DataValue (DHIS2 bookkeeping; ignored by DHIS2's ADX import too).
_IGNORED_VALUE_ATTRIBUTES = frozenset({"storedBy", "followUp", "deleted", "created", "lastUpdated"})
_IGNORED_GROUP_ATTRIBUTES = frozenset({"completeDate", "dataSetComplete"})


class AdxWriteError(ValueError):
    """A data value cannot be written as valid ADX."""


class AdxReadError(ValueError):
    """An ADX document is unsafe, too large or not ADX."""


class AdxSchemaError(AdxReadError):
    """Schema validation failed while parsing (``safe_iterparse(..., schema=...)``)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def group_key(v: DataValue) -> tuple:
    """The ADX group a value belongs to: data set, org unit, period, attribute options."""
    return (v.data_set, v.org_unit, v.period, v.attribute_options)


def sort_values(values: Iterable[DataValue]) -> list[DataValue]:
    """Values sorted so each ADX group is written once (materialises the values: O(n) memory).

    ``write_adx`` starts a new ``<group>`` whenever the group key changes, so unsorted input is
    still valid ADX, only with repeated groups. Producers that already emit values grouped by
    data set, org unit and period (the aggregation pipeline does) need not sort.
    """
    return sorted(values, key=lambda v: (*group_key(v), v.data_element, v.category_options))


def _exported_text(exported: datetime | None) -> str:
    when = exported or datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds") + "Z"


def _check_names(
    pairs: tuple[tuple[str, str], ...], reserved: frozenset[str], allowed: str, where: str
) -> None:
    for cat, _opt in pairs:
        if cat == allowed:
            continue
        if not is_xml_name(cat):
            raise AdxWriteError(
                f"category code {cat!r} ({where}) is not a valid XML name; ADX writes category codes "
                "as attribute names: use letters, digits, '_', '-', '.', not starting with a digit"
            )
        if cat in reserved:
            raise AdxWriteError(
                f"category code {cat!r} ({where}) clashes with the ADX attribute {cat!r}"
            )


def _attr(name: str, value: str, where: str) -> bytes:
    """``name="value"`` escaped by lxml (refuses characters XML cannot carry)."""
    try:
        return etree.tostring(etree.Element("x", {name: value}))[3:-2]
    except ValueError as exc:
        raise AdxWriteError(
            f"{where}: attribute {name}={value!r} cannot be written in XML: {exc}"
        ) from None


def write_adx(
    values: Iterable[DataValue],
    out: BinaryIO,
    *,
    exported: datetime | None = None,
    data_sets: Mapping[str, DataSetDefinition] | None = None,
) -> int:
    """Stream ``values`` as one ADX document to ``out``; returns the number of values written.

    Consecutive values with the same :func:`group_key` share a ``<group>`` (see
    :func:`sort_values`). ``exported`` defaults to now (UTC). With ``data_sets`` (by code),
    values of non-numeric data elements are written as ``value="0"`` + ``<annotation>``, and a
    value whose data element is not in its data set is refused. Without it every value must be
    an ``xs:decimal``. Raises AdxWriteError naming the offending value.
    """
    templates: dict[tuple, tuple[bytes, bool]] = {}
    periods: dict[str, str] = {}
    count = 0
    with etree.xmlfile(out, encoding="utf-8", buffered=False) as xf:
        xf.write_declaration()
        with xf.element("adx", {"xmlns": NAMESPACE, "exported": _exported_text(exported)}):
            for key, group in groupby(values, key=group_key):
                data_set, org_unit, period, attribute_options = key
                where = f"group dataSet={data_set!r} orgUnit={org_unit!r} period={period!r}"
                adx_period = periods.get(period)
                if adx_period is None:
                    try:
                        adx_period = periods[period] = to_adx(period)
                    except PeriodError as exc:
                        raise AdxWriteError(f"{where}: {exc}") from None
                _check_names(attribute_options, GROUP_ATTRIBUTES, "attributeOptionCombo", where)
                attrib = {"dataSet": data_set} if data_set else {}
                attrib["orgUnit"] = org_unit
                attrib["period"] = adx_period
                attrib.update(attribute_options)
                try:
                    group_el = xf.element("group", attrib)
                except ValueError as exc:
                    raise AdxWriteError(f"{where}: cannot be written in XML: {exc}") from None
                with group_el:
                    count += _write_group_values(group, out, templates, data_sets, data_set, where)
    return count


def _write_group_values(
    group: Iterable[DataValue],
    out: BinaryIO,
    templates: dict[tuple, tuple[bytes, bool]],
    data_sets: Mapping[str, DataSetDefinition] | None,
    data_set: str,
    where: str,
) -> int:
    buf: list[bytes] = []
    n = 0
    decimal = XS_DECIMAL.fullmatch
    for v in group:
        tkey = (data_set, v.data_element, v.category_options)
        tmpl = templates.get(tkey)
        if tmpl is None:
            tmpl = templates[tkey] = _template(v, data_sets, data_set, where)
        prefix, numeric = tmpl
        value = v.value
        if numeric and v.comment is None:
            if decimal(value) is None:
                raise AdxWriteError(
                    f"{where}: value {value!r} of data element {v.data_element!r} "
                    f"{dict(v.category_options)} is not a decimal number; ADX requires one (pass "
                    "data_sets so non-numeric elements are written as annotations)"
                )
            buf += (prefix, b' value="', value.encode(), b'"/>')
        else:
            buf.append(_slow_value(v, prefix, numeric, where))
        n += 1
        if len(buf) >= 4096:
            out.write(b"".join(buf))
            buf.clear()
    if buf:
        out.write(b"".join(buf))
    return n


def _template(
    v: DataValue, data_sets: Mapping[str, DataSetDefinition] | None, data_set: str, where: str
) -> tuple[bytes, bool]:
    """Serialised ``<dataValue dataElement=.. cat=opt..`` (no value, unclosed) and numeric flag."""
    what = f"{where}, data element {v.data_element!r}"
    _check_names(v.category_options, VALUE_ATTRIBUTES, COC_ATTRIBUTE, what)
    numeric = True
    if data_sets is not None:
        ds = data_sets.get(data_set)
        if ds is None:
            raise AdxWriteError(
                f"{where}: data set {data_set!r} is not among the given definitions"
            )
        try:
            numeric = is_numeric_type(ds.element(v.data_element).value_type)
        except KeyError as exc:
            raise AdxWriteError(f"{where}: {exc.args[0]}") from None
    try:
        tag = etree.tostring(
            etree.Element("dataValue", {"dataElement": v.data_element, **dict(v.category_options)})
        )
    except ValueError as exc:
        raise AdxWriteError(f"{what}: cannot be written in XML: {exc}") from None
    return tag[:-2].rstrip(), numeric


def _slow_value(v: DataValue, prefix: bytes, numeric: bool, where: str) -> bytes:
    """A value with a comment or a non-numeric value (annotation), escaped by lxml."""
    what = f"{where}, data element {v.data_element!r}"
    parts = [prefix]
    if v.comment is not None:
        parts.append(b" " + _attr("comment", v.comment, what))
    if numeric:
        if XS_DECIMAL.fullmatch(v.value) is None:
            raise AdxWriteError(
                f"{what}: value {v.value!r} is not a decimal number; ADX requires one"
            )
        parts += (b' value="', v.value.encode(), b'"/>')
    else:
        try:
            note = etree.Element("annotation")
            note.text = v.value
        except ValueError as exc:
            raise AdxWriteError(
                f"{what}: value {v.value!r} cannot be written in XML: {exc}"
            ) from None
        parts += (b' value="0">', etree.tostring(note), b"</dataValue>")
    return b"".join(parts)


# --- reader ---------------------------------------------------------------------------------


class _CappedReader(io.RawIOBase):
    """A read-only stream that fails once more than ``limit`` bytes were read."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw, self._limit, self._seen = raw, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size and size > 0 else 65536)
        self._seen += len(data)
        if self._seen > self._limit:
            raise AdxReadError(
                f"ADX document is larger than the {self._limit}-byte limit (max_bytes)"
            )
        return data


def _open(source: bytes | str | Path | BinaryIO) -> tuple[BinaryIO, bool]:
    """A binary stream for ``source`` and whether we opened it (and must close it)."""
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source), True
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return io.BytesIO(source.encode()), True
    if isinstance(source, str | Path):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False


def safe_iterparse(source: bytes | str | Path | BinaryIO, *, max_bytes: int, **kwargs) -> Iterator:
    """``etree.iterparse`` hardened for untrusted input; yields (event, element)."""
    stream, close = _open(source)
    if kwargs.get("schema") is not None:
        etree.clear_error_log()  # the per-thread log would otherwise carry earlier errors
    seen = 0
    try:
        parser = etree.iterparse(
            _CappedReader(stream, max_bytes),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            **kwargs,
        )
        checked = False
        root_closed = False
        try:
            for event, el in parser:
                if not checked:
                    checked = True
                    docinfo = el.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise AdxReadError(
                            "ADX document has a DTD (<!DOCTYPE>); refused: DTDs and entities are not allowed"
                        )
                seen += 1
                if event == "end" and el.getparent() is None:
                    root_closed = True
                yield event, el
        except etree.XMLSyntaxError as exc:
            schema_errors = [
                f"{e.message} (after {seen} elements)"
                for e in exc.error_log
                if e.domain_name == "SCHEMASV"
            ]
            if schema_errors:
                raise AdxSchemaError(schema_errors) from None
            raise AdxReadError(f"ADX document is not well-formed XML: {exc}") from None
        # lxml 6 + schema + resolve_entities=False can stop at a syntax error without raising:
        # a document whose root never closed is truncated or malformed.
        if not root_closed:
            raise AdxReadError(
                f"ADX document is not well-formed XML: it ends before the root element is closed "
                f"(after {seen} elements)"
            )
    finally:
        if close:
            stream.close()


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def read_adx(
    source: bytes | str | Path | BinaryIO,
    *,
    data_sets: Mapping[str, DataSetDefinition] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[DataValue]:
    """Stream the data values of an ADX document (ours, DHIS2's exports, IHE samples).

    ``source``: bytes, a path (``str`` starting with ``<`` is taken as XML text), or a binary
    stream. Elements are matched by local name, as DHIS2 does. Periods become DHIS2 ids. Category
    attributes become ``category_options`` (document order, or the element's category order
    when ``data_sets`` has the element); an explicit ``categoryOptionCombo`` /
    ``attributeOptionCombo`` is kept as such a pair. Non-numeric values come from
    ``<annotation>``: per the element's value type with ``data_sets``, else whenever an
    annotation is present (DHIS2's export convention). A group ``comment`` becomes each value's
    comment (DHIS2 2.38-2.41 behaviour). ``completeDate`` and DHIS2 bookkeeping attributes
    (``created``, ``lastUpdated``, ``storedBy``, ``followUp``, ``deleted``) are not kept.
    """
    group_n = -1
    group: dict | None = None
    root_seen = False
    for event, el in safe_iterparse(source, max_bytes=max_bytes, events=("start", "end")):
        name = _local(el.tag)
        if event == "start":
            if not root_seen:
                if name != "adx":
                    raise AdxReadError(
                        f"not an ADX document: root element is <{name}>, expected <adx>"
                    )
                root_seen = True
            elif name == "group":
                group_n += 1
                group = _read_group(el, group_n)
            continue
        if name == "dataValue" and group is not None and _local(el.getparent().tag) == "group":
            yield _read_value(el, group, group_n, data_sets)
            el.clear(keep_tail=False)
        elif name == "group":
            group = None
            el.clear(keep_tail=False)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]


def _read_group(el, n: int) -> dict:
    attrs = {k: v for k, v in el.attrib.items() if not k.startswith("{")}
    for required in ("orgUnit", "period"):
        if required not in attrs:
            raise AdxReadError(
                f"group {n} (line {el.sourceline}): {required} attribute is required on 'group'"
            )
    try:
        period = from_adx(attrs["period"]).id
    except PeriodError as exc:
        raise AdxReadError(f"group {n} (line {el.sourceline}): {exc}") from None
    options = tuple(
        (k, v)
        for k, v in attrs.items()
        if k not in GROUP_ATTRIBUTES and k not in _IGNORED_GROUP_ATTRIBUTES
    )
    return {
        "data_set": attrs.get("dataSet", ""),
        "org_unit": attrs["orgUnit"],
        "period": period,
        "attribute_options": options,
        "comment": attrs.get("comment"),
    }


def _read_value(
    el, group: dict, n: int, data_sets: Mapping[str, DataSetDefinition] | None
) -> DataValue:
    attrs = {k: v for k, v in el.attrib.items() if not k.startswith("{")}
    where = f"group {n}, dataValue on line {el.sourceline}"
    if "dataElement" not in attrs:
        raise AdxReadError(f"{where}: dataElement attribute is required on 'dataValue'")
    if "value" not in attrs:
        raise AdxReadError(f"{where}: value attribute is required on 'dataValue'")
    de_code = attrs["dataElement"]
    options = tuple(
        (k, v)
        for k, v in attrs.items()
        if k not in VALUE_ATTRIBUTES and k not in _IGNORED_VALUE_ATTRIBUTES
    )
    annotation = None
    for child in el:
        if _local(child.tag) == "annotation":
            annotation = "".join(child.itertext())
            break
    element = None
    if data_sets is not None and group["data_set"] in data_sets:
        try:
            element = data_sets[group["data_set"]].element(de_code)
        except KeyError:
            element = None
    if element is not None:
        numeric = is_numeric_type(element.value_type)
        order = {c.code: i for i, c in enumerate(element.categories)}
        options = tuple(sorted(options, key=lambda p: order.get(p[0], len(order))))
    else:
        numeric = annotation is None
    if numeric:
        value = attrs["value"]
    elif annotation is None:
        raise AdxReadError(f"{where}: data element {de_code!r} expects a text <annotation>")
    else:
        value = annotation
    return DataValue(
        data_set=group["data_set"],
        period=group["period"],
        org_unit=group["org_unit"],
        data_element=de_code,
        value=value,
        category_options=options,
        attribute_options=group["attribute_options"],
        comment=attrs.get("comment", group["comment"]),
    )
