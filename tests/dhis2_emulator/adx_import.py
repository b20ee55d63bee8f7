"""ADX import as DHIS2 2.38–2.41 does it: each group/dataValue becomes one flat DXF value (§1.3–§1.9).

Follows ``DefaultAdxDataService.parseAdxGroupToDxf`` / ``parseAdxDataValueToDxf`` / ``convertAttributesToDxf``:
attribute maps keep document order (staxwax ``LinkedHashMap``), resolved option combos are appended last, and
an attribute whose resolved value is null aborts the value *after* the DXF element was opened, so the partly
written element (everything before the null attribute) still reaches the DXF importer.
"""

from __future__ import annotations

import io
import re

from lxml import etree

from . import periods
from .dxf_import import DxfImporter
from .options import ImportOptions
from .responses import ImportSummary
from .schema import DEFAULT_CATEGORY_COMBO
from .store import Store, User, property_value
from .valuetypes import is_numeric

ADX_ERROR = "ADX Error"
_XML_NAME = re.compile(r"^[^\W\d.\-][\w.\-:·]*$", re.UNICODE)
_DXF_KEYS = {"followUp": "followup"}


class AdxError(Exception):
    def __init__(self, message: str, obj: str | None = ADX_ERROR):
        super().__init__(message)
        self.message = message
        self.object = obj


def _scheme_name(scheme: str) -> str:
    """``IdScheme.name()``: UID, CODE, NAME or ATTRIBUTE."""
    return "ATTRIBUTE" if scheme.startswith("ATTRIBUTE:") else scheme


def java_hash_order(keys: list[str]) -> list[str]:
    """Iteration order of a ``java.util.HashMap`` filled with ``keys`` (DHIS2 builds some maps that way)."""

    def java_hash(text: str) -> int:  # String.hashCode over UTF-16 code units, 32-bit unsigned
        data = text.encode("utf-16-be")
        h = 0
        for i in range(0, len(data), 2):
            h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
        return h

    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(k: str) -> int:
        h = java_hash(k)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(dict.fromkeys(keys), key=bucket)  # stable: insertion order within a bucket


def _java_map_str(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={mapping[k]}" for k in java_hash_order(list(mapping))) + "}"


class AdxConverter:
    """Turns ADX elements into DXF raw values, collecting ADX-level conflicts."""

    def __init__(self, store: Store, options: ImportOptions):
        self.store = store
        self.options = options
        self.ds_scheme = options.scheme("dataSetIdScheme")
        self.de_scheme = options.scheme("dataElementIdScheme")
        self.cat_scheme = options.scheme("categoryIdScheme")
        self.opt_scheme = options.scheme("categoryOptionIdScheme")
        self.coc_scheme = options.scheme("categoryOptionComboIdScheme")

    # ---- category attributes → option combo (§1.6) ------------------------------------------------
    def convert_attributes(self, attrs: dict, name: str, combo: dict | None) -> None:
        if combo is None or combo["id"] == DEFAULT_CATEGORY_COMBO or combo.get("name") == "default":
            return
        categories = [
            self.store.get("categories", r["id"]) or {} for r in combo.get("categories", [])
        ]
        category_map: dict[str, dict] = {}
        for category in categories:
            cid = property_value(category, self.cat_scheme)
            if cid is None or not _XML_NAME.match(cid):
                raise AdxError(f"Category {_scheme_name(self.cat_scheme)} for {category.get('name')} is missing or "
                               f"invalid: {cid if cid is not None else 'null'}")  # fmt: skip
            category_map[cid] = category
        chosen: dict[str, str] = {}
        for cid in java_hash_order(list(category_map)):
            if cid in attrs:
                chosen[cid] = attrs.pop(cid)
            else:
                raise AdxError(
                    f"Category combo {combo.get('name')} must have {category_map[cid].get('name')}"
                )
        coc = self._combo_from_attributes(chosen, combo, categories)
        attrs[name] = property_value(coc, self.coc_scheme)

    def _combo_from_attributes(
        self, chosen: dict[str, str], combo: dict, categories: list[dict]
    ) -> dict:
        keyed: dict[str, dict] = {}
        for coc in self.store.option_combos(combo["id"]):
            option_ids = {r["id"] for r in coc.get("categoryOptions", [])}
            key = ""
            for category in categories:
                option_uid = next(
                    (r["id"] for r in category.get("categoryOptions", []) if r["id"] in option_ids),
                    None,
                )
                option = self.store.get("categoryOptions", option_uid) or {}
                ident = property_value(option, self.opt_scheme)
                if ident is None:
                    raise AdxError(f"No {_scheme_name(self.opt_scheme)} identifier for CategoryOption: "
                                   f"{option.get('name')}")  # fmt: skip
                key += f'"{ident.strip()}"'
            keyed[key] = coc
        wanted = "".join(f'"{chosen[property_value(c, self.cat_scheme)]}"' for c in categories)
        coc = keyed.get(wanted)
        if coc is None:
            raise AdxError(f"Invalid attributes: {_java_map_str(chosen)}")
        return coc

    # ---- groups and values ----------------------------------------------------------------------
    def group_attributes(self, element) -> dict:
        attrs = {etree.QName(k).localname: v for k, v in element.attrib.items()}
        if "period" not in attrs:
            raise AdxError("period attribute is required on 'group'")
        if "orgUnit" not in attrs:
            raise AdxError("orgUnit attribute is required on 'group'")
        period_text = attrs.pop("period")
        try:
            period = periods.parse_adx(period_text)
        except periods.AdxPeriodError as exc:
            raise AdxError(str(exc)) from None
        attrs["period"] = period.iso
        if "attributeOptionCombo" not in attrs and "dataSet" in attrs:
            ident = (attrs["dataSet"] or "").strip() or None
            data_set = self.store.lookup("dataSets", self.ds_scheme, ident)
            if data_set is None:
                raise AdxError(
                    f"No data set matching {_scheme_name(self.ds_scheme).lower()} '{attrs['dataSet']}'"
                )
            attrs["dataSet"] = data_set["id"]
            combo = self.store.get(
                "categoryCombos", (data_set.get("categoryCombo") or {}).get("id")
            )
            self.convert_attributes(attrs, "attributeOptionCombo", combo)
        return attrs

    def data_value(self, element, group_attrs: dict, stream: list[dict]) -> None:
        """Append the DXF value(s) for one ``<dataValue>`` to ``stream``; raise AdxError for a conflict."""
        attrs = {etree.QName(k).localname: v for k, v in element.attrib.items()}
        if "dataElement" not in attrs:
            raise AdxError("dataElement attribute is required on 'dataValue'")
        if "value" not in attrs:
            raise AdxError("value attribute is required on 'dataValue'")
        ident = (attrs["dataElement"] or "").strip() or None
        de = self.store.lookup("dataElements", self.de_scheme, ident)
        if de is None:
            raise AdxError(
                f"No data element matching {_scheme_name(self.de_scheme).lower()} '{ident}'"
            )
        if "categoryOptionCombo" not in attrs:
            combo = self.store.get("categoryCombos", (de.get("categoryCombo") or {}).get("id"))
            self.convert_attributes(attrs, "categoryOptionCombo", combo)
        if not is_numeric(de["valueType"]):
            annotation = next((c for c in element.iter() if c is not element and etree.QName(c).localname == "annotation"), None)  # fmt: skip
            if annotation is None:
                raise AdxError("DataElement expects text annotation", attrs["dataElement"])
            attrs["value"] = "".join(annotation.itertext())
        written: dict = {}
        for key, value in list(group_attrs.items()) + list(attrs.items()):
            if value is None:
                # The DXF <dataValue> is already open: what was written so far is still imported.
                stream.append(_to_dxf(written))
                raise AdxError(f"Value for {key} is null")
            written[key] = value
        stream.append(_to_dxf(written))


def _to_dxf(attrs: dict) -> dict:
    return {_DXF_KEYS.get(k, k): v for k, v in attrs.items()}


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class UnhandledAdxError(Exception):
    """Malformed ADX in 2.39.0-2.39.4.1 / 2.40.0-2.40.2.1: ``XMLException`` not caught, no summary (HTTP 500)."""


def import_adx(store: Store, user: User, options: ImportOptions, body: bytes) -> ImportSummary:
    """Import an ADX document; group-level problems abort with ERROR, value-level ones are ADX conflicts.

    2.42 (``adx_errors == "fatal"``): any ADX-level problem, malformed XML included, fails the whole request
    (``DefaultDataValueSetService.importDataValueSet`` catches the ``IllegalArgumentException`` thrown by
    ``DefaultAdxDataService`` / ``AdxDataValueSetReader``: "The import process failed: <message>").
    """
    profile = options.profile
    options.default_scheme = "CODE"
    try:
        summary = _import_adx(store, user, options, body)
    except _FatalError as exc:
        return ImportSummary(status="ERROR", description=f"The import process failed: {exc}",
                             data_set_complete=None, import_options=None)  # fmt: skip
    if (
        (
            summary.status == "ERROR"
            and summary.description
            and summary.description.startswith("Data set import failed")
        )
        and profile.malformed_adx_unhandled
        and not summary.conflicts
    ):
        raise UnhandledAdxError("XMLException")
    return summary


class _FatalError(Exception):
    pass


def _import_adx(store: Store, user: User, options: ImportOptions, body: bytes) -> ImportSummary:
    """``DefaultAdxDataService.saveDataValueSetInternal``: the ADX groups are converted to one DXF stream
    (``_AdxReader``), which the DXF importer then imports; ADX errors of single values are appended."""
    fatal = options.profile.adx_errors == "fatal"
    # DHIS2 reads with StAX and fails at the first malformed token; find where that is (number of groups
    # completed before it), so that lxml's look-ahead cannot report a half-read group as an ADX error.
    reader = _AdxReader(AdxConverter(store, options), options, _groups_before_syntax_error(body))
    try:
        with store.lock:
            failed = reader.read(body)
            if failed is not None:
                return failed
            importer = DxfImporter(store, user, options, None)
            if importer.check_data_set():
                for index, raw in enumerate(reader.values):
                    importer.import_value(index, raw)
            summary = importer.finish()
    except AdxError as exc:
        if fatal:
            raise _FatalError(exc.message) from None
        return _failed(reader.groups_done, exc)
    except etree.XMLSyntaxError as exc:
        if fatal:
            raise _FatalError(f"XMLStreamException: {exc}") from None
        return _failed(reader.groups_done, None)
    for exc in reader.conflicts:
        summary.add_legacy(exc.object, exc.message)
    summary.ignored += len(reader.conflicts)
    return summary


class _AdxReader:
    """One pass over the ADX document like DHIS2's StAX reader: each group's data values become DXF values
    (``values``), ADX errors of single values are kept (``conflicts``) unless fatal, and the groups
    completed are counted (``groups_done``, the number in "failed within group number")."""

    def __init__(self, converter: AdxConverter, options: ImportOptions, malformed_at: int | None):
        self.converter = converter
        self.fatal = options.profile.adx_errors == "fatal"
        self.fanout = options.profile.adx_group_comment_fanout
        self.malformed_at = malformed_at
        self.values: list[dict] = []
        self.conflicts: list[AdxError] = []
        self.groups_done = 0
        self._in_adx = False
        self._group: dict | None = None

    def read(self, body: bytes) -> ImportSummary | None:
        """Read the whole document; a failed summary if a group starts where the XML is malformed."""
        for event, element in _iterparse(body):
            if event == "start":
                failed = self._start(element)
                if failed is not None:
                    return failed
            else:
                self._end(element)
        return None

    def _start(self, element) -> ImportSummary | None:
        name = _local(element)
        if name == "adx":
            self._in_adx = True
        elif self._in_adx and name == "group":
            if self.malformed_at is not None and self.groups_done >= self.malformed_at:
                if self.fatal:
                    raise _FatalError("XMLStreamException: malformed XML")
                return _failed(self.groups_done, None)
            self._group = self.converter.group_attributes(element)
            if not self.fanout:
                self._group.pop("comment", None)
        return None

    def _end(self, element) -> None:
        name = _local(element)
        if name == "dataValue" and self._group is not None and _inside_group(element):
            try:
                self.converter.data_value(element, self._group, self.values)
            except AdxError as exc:
                if self.fatal:
                    raise _FatalError(exc.message) from None
                self.conflicts.append(exc)
        elif name == "group" and self._group is not None:
            self._group = None
            self.groups_done += 1
            element.clear()


def _iterparse(body: bytes):
    return etree.iterparse(io.BytesIO(body), events=("start", "end"), resolve_entities=False, no_network=True,
                           load_dtd=False, huge_tree=False, remove_comments=True)  # fmt: skip


def _groups_before_syntax_error(body: bytes) -> int | None:
    """None if ``body`` is well-formed, else how many ``group`` elements were closed before the error."""
    done = 0
    try:
        for event, element in _iterparse(body):
            if event == "end":
                if _local(element) == "group":
                    done += 1
                element.clear()
    except etree.XMLSyntaxError:
        return done
    return None


def _inside_group(element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if _local(parent) == "group":
            return True
        parent = parent.getparent()
    return False


def _failed(groups_done: int, exc: AdxError | None) -> ImportSummary:
    summary = ImportSummary(status="ERROR", description=f"Data set import failed within group number: {groups_done}",
                            data_set_complete=None)  # fmt: skip
    if exc is not None:
        summary.add_legacy(exc.object, exc.message)
    return summary
