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
from pathlib import Path
from typing import Any, BinaryIO, TypedDict, cast

from lxml import etree

from adx.model import DataElement, DataSetDefinition, DataValue, is_xml_name
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


GroupKey = tuple[str, str, str, tuple[tuple[str, str], ...]]


def group_key(v: DataValue) -> GroupKey:
    """The ADX group a value belongs to: data set, org unit, period, attribute options.

    The one group key of the project: ``write_adx`` groups by it and push chunks never split it.
    """
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


def _attr(name: str, value: str, where: str) -> str:
    """``name="value"`` escaped by lxml (refuses characters XML cannot carry)."""
    try:
        return etree.tostring(etree.Element("x", {name: value}), encoding="unicode")[3:-2]
    except ValueError as exc:
        raise AdxWriteError(
            f"{where}: attribute {name}={value!r} cannot be written in XML: {exc}"
        ) from None


_FLUSH_PARTS = 8192  # parts per write to ``out``: bounded memory, few write calls
_VALUE_CACHE = 4096  # distinct checked values remembered (small counts repeat a lot)


def write_adx(
    values: Iterable[DataValue],
    out: BinaryIO,
    *,
    exported: datetime | None = None,
    data_sets: Mapping[str, DataSetDefinition] | None = None,
) -> int:
    """Stream ``values`` as one ADX document to ``out``; returns the number of values written.

    Consecutive values with the same :func:`group_key` share a ``<group>`` (see
    :func:`sort_values`). ``exported`` defaults to now (a naive datetime is taken as UTC).
    With ``data_sets`` (by code), values of non-numeric data elements are written as
    ``value="0"`` + ``<annotation>``, and a value whose data element is not in its data set is
    refused. Without it every value must be an ``xs:decimal``. Raises AdxWriteError naming the
    offending value.
    """
    with etree.xmlfile(out, encoding="utf-8", buffered=False) as xf:
        xf.write_declaration()
        with xf.element("adx", {"xmlns": NAMESPACE, "exported": _exported_text(exported)}):
            stream = _AdxStream(xf, out, data_sets)
            try:
                return stream.write_values(values)
            finally:
                stream.close_group()


# category options -> (``<dataValue`` start-tag prefix, numeric)
_Templates = dict[tuple[tuple[str, str], ...], tuple[str, bool]]


class _AdxStream:
    """The state of one :func:`write_adx` call: the open group, cached tags, pending text."""

    def __init__(
        self, xf: Any, out: BinaryIO, data_sets: Mapping[str, DataSetDefinition] | None
    ) -> None:
        self.xf, self.out, self.data_sets = xf, out, data_sets
        # (data set, data element) -> its templates
        self.templates: dict[tuple[str, str], _Templates] = {}
        self.checked: dict[str, str] = {}  # value -> 'value"/>' tail, for values known decimal
        self.periods: dict[str, str] = {}  # DHIS2 period id -> ADX period
        self.parts: list[str] = []
        self.group_cm: Any = None  # lxml's context of the open <group>
        self.where = ""

    def write_values(self, values: Iterable[DataValue]) -> int:
        """The hot loop: per value a template lookup and, for known decimals, two appends."""
        templates, checked, parts = self.templates, self.checked, self.parts
        # the first value always opens a group: no attribute_options tuple equals None
        ds = ou = pe = ""
        ao: tuple[tuple[str, str], ...] | None = None
        cur_de: str | None = None
        tdict: _Templates = {}
        count = 0
        for v in values:
            if v.org_unit != ou or v.period != pe or v.data_set != ds or v.attribute_options != ao:
                ds, ou, pe, ao = v.data_set, v.org_unit, v.period, v.attribute_options
                self.open_group(v)
                cur_de = None
            if v.data_element != cur_de:
                cur_de = v.data_element
                tdict = templates.setdefault((ds, cur_de), {})
            tmpl = tdict.get(v.category_options)
            if tmpl is None:
                tmpl = tdict[v.category_options] = _template(v, self.data_sets, ds, self.where)
            prefix, numeric = tmpl
            if numeric and v.comment is None:
                parts.append(prefix)
                parts.append(checked.get(v.value) or self.decimal_tail(v))
            else:
                parts.append(_slow_value(v, prefix, numeric, self.where))
            count += 1
            if len(parts) >= _FLUSH_PARTS:
                self.flush()
        self.flush()
        return count

    def decimal_tail(self, v: DataValue) -> str:
        """``value"/>`` for a value not yet seen, once checked to be an ``xs:decimal``."""
        if XS_DECIMAL.fullmatch(v.value) is None:
            raise AdxWriteError(
                f"{self.where}: value {v.value!r} of data element {v.data_element!r} "
                f"{dict(v.category_options)} is not a decimal number; ADX requires "
                "one (pass data_sets so non-numeric elements are written as "
                "annotations)"
            )
        tail = v.value + '"/>'
        if len(self.checked) < _VALUE_CACHE:
            self.checked[v.value] = tail
        return tail

    def flush(self) -> None:
        """Write the pending text (before lxml writes a tag of its own, and every few values)."""
        if self.parts:
            self.out.write("".join(self.parts).encode())
            self.parts.clear()

    def open_group(self, v: DataValue) -> None:
        """Close the open ``<group>`` and open ``v``'s."""
        self.flush()
        self.close_group()
        self.where = f"group dataSet={v.data_set!r} orgUnit={v.org_unit!r} period={v.period!r}"
        self.group_cm = _open_group(self.xf, v, self.periods, self.where)

    def close_group(self) -> None:
        if self.group_cm is not None:
            self.group_cm.__exit__(None, None, None)
            self.group_cm = None


def _open_group(xf: Any, v: DataValue, periods: dict[str, str], where: str) -> Any:
    """Write a ``<group>`` start tag with lxml's incremental writer; returns its context."""
    adx_period = periods.get(v.period)
    if adx_period is None:
        try:
            adx_period = periods[v.period] = to_adx(v.period)
        except PeriodError as exc:
            raise AdxWriteError(f"{where}: {exc}") from None
    _check_names(v.attribute_options, GROUP_ATTRIBUTES, AOC_ATTRIBUTE, where)
    attrib = {"dataSet": v.data_set} if v.data_set else {}
    attrib["orgUnit"] = v.org_unit
    attrib["period"] = adx_period
    attrib.update(v.attribute_options)
    if len(attrib) != len(v.attribute_options) + 2 + bool(v.data_set):
        raise AdxWriteError(f"{where}: a category appears twice in {v.attribute_options}")
    try:
        cm = xf.element("group", attrib)
        cm.__enter__()
    except ValueError as exc:
        raise AdxWriteError(f"{where}: cannot be written in XML: {exc}") from None
    return cm


def _template(
    v: DataValue, data_sets: Mapping[str, DataSetDefinition] | None, data_set: str, where: str
) -> tuple[str, bool]:
    """``<dataValue dataElement=".." cat="opt".. value="`` serialised by lxml, and numeric flag."""
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
    attrib = {"dataElement": v.data_element, **dict(v.category_options)}
    if len(attrib) != len(v.category_options) + 1:
        raise AdxWriteError(f"{what}: a category appears twice in {v.category_options}")
    try:
        tag = etree.tostring(etree.Element("dataValue", attrib), encoding="unicode")
    except ValueError as exc:
        raise AdxWriteError(f"{what}: cannot be written in XML: {exc}") from None
    return tag[:-2].rstrip() + ' value="', numeric


def _slow_value(v: DataValue, prefix: str, numeric: bool, where: str) -> str:
    """A value with a comment or a non-numeric value (annotation), escaped by lxml."""
    what = f"{where}, data element {v.data_element!r}"
    head = prefix[: -len(' value="')]
    if v.comment is not None:
        head += " " + _attr("comment", v.comment, what)
    if numeric:
        if XS_DECIMAL.fullmatch(v.value) is None:
            raise AdxWriteError(
                f"{what}: value {v.value!r} is not a decimal number; ADX requires one"
            )
        return f'{head} value="{v.value}"/>'
    try:
        note = etree.Element("annotation")
        note.text = v.value
    except ValueError as exc:
        raise AdxWriteError(f"{what}: value {v.value!r} cannot be written in XML: {exc}") from None
    return f'{head} value="0">{etree.tostring(note, encoding="unicode")}</dataValue>'


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


def safe_iterparse(
    source: bytes | str | Path | BinaryIO,
    *,
    max_bytes: int,
    events: tuple[str, ...] = ("end",),
    schema: etree.XMLSchema | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """``etree.iterparse`` hardened for untrusted input; yields (event, element)."""
    stream, close = _open(source)
    kwargs: dict[str, Any] = {"events": events}
    if schema is not None:
        kwargs["schema"] = schema
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
                # lxml's stubs omit that an error log iterates over its entries
                for e in cast("Iterable[Any]", exc.error_log)
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


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: object) -> str:
    """Local name of an element tag (namespace dropped, as DHIS2 matches); cached."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) < 1024:
            _LOCAL_NAMES[tag] = name
    return name


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
    group: _Group | None = None
    group_el: etree._Element | None = None
    root_seen = False
    elements: dict[tuple[str, str], DataElement | None] = {}
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
                group_el = el
            continue
        if name == "dataValue":
            if group is not None and el.getparent() is group_el:
                yield _read_value(el, group, group_n, data_sets, elements)
            el.clear()  # keep_tail=False, the default: the text after it goes too
        elif name == "group":
            group = group_el = None
            el.clear()  # keep_tail=False, the default: the text after it goes too
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]


def _attributes(el: etree._Element) -> Iterable[tuple[str, str]]:
    """An element's attributes: str under Python 3 (lxml's stubs also allow bytes, for Python 2)."""
    return cast("Iterable[tuple[str, str]]", el.attrib.items())


class _Group(TypedDict):
    """What a ``<group>`` gives each of its values."""

    data_set: str
    org_unit: str
    period: str
    attribute_options: tuple[tuple[str, str], ...]
    comment: str | None


def _read_group(el: etree._Element, n: int) -> _Group:
    attrs = {k: v for k, v in _attributes(el) if not k.startswith("{")}
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
    el: etree._Element,
    group: _Group,
    n: int,
    data_sets: Mapping[str, DataSetDefinition] | None,
    elements: dict[tuple[str, str], DataElement | None],
) -> DataValue:
    de_code, value, comment, options = _value_attributes(el, n)
    annotation = _annotation(el)
    element = None
    if data_sets is not None:
        element = _element_of(group["data_set"], de_code, data_sets, elements)
    if element is not None:
        numeric = is_numeric_type(element.value_type)
        if len(options) > 1:
            order = {c.code: i for i, c in enumerate(element.categories)}
            options.sort(key=lambda p: order.get(p[0], len(order)))
    else:
        numeric = annotation is None
    if not numeric:
        if annotation is None:
            raise AdxReadError(
                f"group {n}, dataValue on line {el.sourceline}: data element {de_code!r} expects "
                "a text <annotation>"
            )
        value = annotation
    return DataValue(
        group["data_set"],
        group["period"],
        group["org_unit"],
        de_code,
        value,
        tuple(options),
        group["attribute_options"],
        group["comment"] if comment is None else comment,
    )


def _value_attributes(
    el: etree._Element, n: int
) -> tuple[str, str, str | None, list[tuple[str, str]]]:
    """A ``<dataValue>``'s data element, value, comment and category options (document order)."""
    de_code = value = comment = None
    options = []
    for k, v in _attributes(el):
        if k == "dataElement":
            de_code = v
        elif k == "value":
            value = v
        elif k == "comment":
            comment = v
        elif k not in _IGNORED_VALUE_ATTRIBUTES and k[0] != "{":
            options.append((k, v))
    if de_code is None or value is None:
        missing = "dataElement" if de_code is None else "value"
        raise AdxReadError(
            f"group {n}, dataValue on line {el.sourceline}: {missing} attribute is required on "
            "'dataValue'"
        )
    return de_code, value, comment, options


def _annotation(el: etree._Element) -> str | None:
    """The text of a ``<dataValue>``'s ``<annotation>`` child, if it has one."""
    if len(el):
        for child in el:
            if _local(child.tag) == "annotation":
                return "".join(cast("Iterator[str]", child.itertext()))
    return None


def _element_of(
    data_set: str,
    de_code: str,
    data_sets: Mapping[str, DataSetDefinition],
    elements: dict[tuple[str, str], DataElement | None],
) -> DataElement | None:
    """The definition of ``de_code`` in ``data_set`` (None when unknown); cached in ``elements``."""
    key = (data_set, de_code)
    if key not in elements:
        ds = data_sets.get(data_set)
        try:
            elements[key] = ds.element(de_code) if ds is not None else None
        except KeyError:
            elements[key] = None
    return elements[key]
