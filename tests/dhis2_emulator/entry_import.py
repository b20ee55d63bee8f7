"""DHIS2 2.43's data entry pipeline (``DataEntryPipeline``, ``DefaultDataEntryService``, ``DataEntryInput``).

Read at dhis2-core 2.43.1 (paths under ``dhis-2/dhis-services/dhis-service-core/src/main/java/org/hisp/dhis/
datavalue/`` and ``dhis-2/dhis-api/.../feedback/{ErrorCode,DataEntrySummary}.java``):

* decoding (ids by the request's schemes; ADX no longer defaults to CODE) fails the whole request with one
  E80xx/E81xx conflict (``BadRequestException`` → ``ImportSummary(ERROR)``, indexes ``[-1]``), nothing stored;
* group checks (access E8010-E8012, data set membership E8020-E8024, timeliness E8030, duplicate keys E8128)
  reject the whole group: one conflict listing every index of the group, status ERROR, other groups go on;
* value checks (E8120-E8125) reject single values; status WARNING if any value was stored, else ERROR;
* counts: ``imported`` 0, ``updated`` = values written (new, changed *and identical*), ``ignored`` =
  attempted − written + value errors; DELETE moves ``updated`` to ``deleted``; no description;
* ``completeDate`` (ADX group or JSON header) is registered when the group had nothing ignored.

Simplifications (kept easy to change): ADX groups are not merged with their neighbours (DHIS2 merges same
data set groups, so its indexes run across groups); zeros are stored (2.43 leaves them to the trim job).
"""

from __future__ import annotations

import datetime as dt
import io

from lxml import etree

from . import periods
from .dxf_import import can_data_write, now
from .options import ImportOptions
from .responses import Conflict, ImportSummary
from .schema import DEFAULT_COC
from .store import Store, StoredValue, User, normalize_scheme
from .valuetypes import invalid_reason, is_numeric, normalize_boolean

UID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

MESSAGES = {
    "E8004": "Data set UID not valid: `{0}`",
    "E8005": "Data set not found: `{0}`",
    "E8007": "XML file error : {0}",
    "E8008": "Data set `completeDate` is not a valid date string: `{0}`",
    "E8009": "Data set `completeDate` requires data set, org unit, period and attribute option combo to be "
    "defined at the group level.",  # fmt: skip
    "E8003": "Data set detection failed, found no set for data element(s): `{0}`",
    "E8010": "Current user cannot enter data for data set: `{0}`",
    "E8011": "Current user cannot enter data for org unit(s): `{0}`",
    "E8020": "Data set {0} not usable with data element(s): `{1}`",
    "E8021": "Data set {0} not usable with period(s): `{1}`",
    "E8022": "Data set {0} not usable with org unit(s): `{1}`",
    "E8024": "Data set {0} + data element {1} not usable with category option combo(s): `{2}`",
    "E8030": "Untimely data entry for data set {0} and period(s): `{1}`",
    "E8100": "Value #{0} period not defined in group or value: `{1}`",
    "E8101": "Value #{0} data set is required to decode category options: `{1}`",
    "E8102": "Value #{0} data element not defined in group or value: `{1}`",
    "E8103": "Value #{0} data element not found: `{1}`",
    "E8104": "Value #{0} data element UID not valid: `{1}`",
    "E8105": "Value #{0} org unit not defined in group or value: `{1}`",
    "E8106": "Value #{0} org unit UID is not valid: `{1}`",
    "E8107": "Value #{0} org unit not found: `{1}`",
    "E8108": "Value #{0} category option combo not found: `{1}`",
    "E8109": "Value #{0} category option combo UID is not valid: `{1}`",
    "E8110": "Value #{0} attribute option combo not found: `{1}`",
    "E8111": "Value #{0} attribute option combo UID is not valid: `{1}`",
    "E8120": "Value #{0} value is required",
    "E8122": "Value #{0} value `{1}` is no valid {2}: {3}",
    "E8125": "Value #{0} comment too long (max {1} characters)`",
    "E8128": "Value #{0} all affect the same data value: `{1}`",
}


class EntryError(Exception):
    """``BadRequestException`` / ``ConflictException`` with an error code and its arguments."""

    def __init__(self, code: str, *args) -> None:
        super().__init__(code)
        self.code = code
        self.args_ = args


def conflict(code: str, args: tuple, indexes: list[int]) -> Conflict:
    """``DataEntrySummary.toConflict``: no object, ``objects = {"args": "a-b-c"}``, the indexes given."""
    message = MESSAGES[code].format(*[_java_str(a) for a in args])
    return Conflict(
        None, message, code, {"args": "-".join(_java_str(a) for a in args)}, None, list(indexes)
    )


def _java_str(value) -> str:
    if isinstance(value, list | tuple | set):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value)


# ---- input -----------------------------------------------------------------------------------------
def groups_from_adx(body: bytes) -> list[dict]:
    """``DataEntryInput.fromAdxXml``: one input group per ``<group>``; period by ``AdxPeriod.parse``."""
    try:
        root = etree.parse(io.BytesIO(body), etree.XMLParser(resolve_entities=False, no_network=True,
                                                             load_dtd=False)).getroot()  # fmt: skip
    except etree.XMLSyntaxError as exc:
        raise EntryError("E8007", str(exc)) from None
    out = []
    for group in root.iter("{*}group", "group"):
        attrs = {etree.QName(k).localname: v for k, v in group.attrib.items()}
        try:
            pe = periods.parse_adx(attrs.get("period") or "").iso
        except periods.AdxPeriodError as exc:
            # AdxPeriod.parse throws IllegalArgumentException outside the decode stage [inferred: ERROR]
            raise EntryError("E8007", str(exc)) from None
        aoc = attrs.get("attributeOptionCombo")
        aco = None
        if "attributeOptionCombo" not in attrs:
            aco = {
                k: v
                for k, v in attrs.items()
                if k not in ("orgUnit", "period", "dataSet", "completeDate")
            }
            aco = aco or None
        values = []
        for dv in group.iter("{*}dataValue", "dataValue"):
            a = {etree.QName(k).localname: v for k, v in dv.attrib.items()}
            co = None
            if "categoryOptionCombo" not in a:
                co = {
                    k: v
                    for k, v in a.items()
                    if k not in ("dataElement", "value", "comment", "followup", "deleted")
                }
            annotation = next((c for c in dv if isinstance(c.tag, str) and etree.QName(c).localname == "annotation"),
                              None)  # fmt: skip
            value = "".join(annotation.itertext()) if annotation is not None else a.get("value")
            values.append({"dataElement": a.get("dataElement"), "orgUnit": attrs.get("orgUnit"), "period": pe,
                           "categoryOptionCombo": a.get("categoryOptionCombo"), "co": co or None,
                           "attributeOptionCombo": None, "value": value, "comment": a.get("comment"),
                           "followup": a.get("followup"), "deleted": a.get("deleted")})  # fmt: skip
        out.append({"dataSet": attrs.get("dataSet"), "completeDate": attrs.get("completeDate"),
                    "orgUnit": attrs.get("orgUnit"), "period": pe, "attributeOptionCombo": aoc, "aco": aco,
                    "values": values})  # fmt: skip
    return out


def groups_from_dxf(header: dict, values: list[dict]) -> list[dict]:
    """``DataEntryInput.fromJson`` / ``fromDxf2Xml``: the whole payload is one group."""
    vals = []
    for raw in values:
        vals.append({"dataElement": raw.get("dataElement"), "orgUnit": header.get("orgUnit") or raw.get("orgUnit"),
                     "period": header.get("period") or raw.get("period"),
                     "categoryOptionCombo": raw.get("categoryOptionCombo"), "co": None,
                     "attributeOptionCombo": header.get("attributeOptionCombo") or raw.get("attributeOptionCombo"),
                     "value": raw.get("value"), "comment": raw.get("comment"),
                     "followup": raw.get("followup"), "deleted": raw.get("deleted")})  # fmt: skip
    return [{"dataSet": header.get("dataSet"), "completeDate": header.get("completeDate"),
             "orgUnit": header.get("orgUnit"), "period": header.get("period"),
             "attributeOptionCombo": header.get("attributeOptionCombo"), "aco": None, "values": vals,
             "schemes": {k: header[k] for k in header if k.endswith("IdScheme")}}]  # fmt: skip


# ---- the pipeline --------------------------------------------------------------------------------
class EntryImporter:
    def __init__(self, store: Store, user: User, options: ImportOptions) -> None:
        self.store, self.user, self.options = store, user, options
        self.today = dt.date.today()

    def scheme(self, group: dict, name: str) -> str:
        own = group.get("schemes") or {}
        return normalize_scheme(own.get(name) or own.get("idScheme") or self.options.scheme(name))

    def _lookup(self, group: dict, plural: str, scheme_name: str, ident: str | None, i: int | None,
                codes: tuple[str, str]) -> dict | None:  # fmt: skip
        """Resolve ``ident``; ``codes`` = (not found, UID not valid) error codes of ``decodeGroup``;
        ``i`` is the value index (None for the group's data set, whose messages have no index)."""
        if ident is None:
            return None
        args = (ident,) if i is None else (i, ident)
        scheme = self.scheme(group, scheme_name)
        if scheme == "UID":
            if len(ident) != 11 or not ident[0].isalpha() or set(ident) - UID_CHARS:
                raise EntryError(codes[1], *args)
            found = self.store.get(plural, ident)
        else:
            found = self.store.lookup(plural, scheme, ident)
        if found is None:
            raise EntryError(codes[0], *args)
        return found

    def _combo_by_options(
        self, combo: dict, chosen: dict, group: dict, i: int, what: str
    ) -> dict | None:
        cat_scheme = self.scheme(group, "categoryIdScheme")
        opt_scheme = self.scheme(group, "categoryOptionIdScheme")
        from .store import property_value

        wanted = set()
        for ref in combo.get("categories") or []:
            category = self.store.get("categories", ref["id"]) or {}
            key = property_value(category, cat_scheme)
            wanted.add(chosen.get(key) if key else None)
        for coc in self.store.objects["categoryOptionCombos"].values():
            if (coc.get("categoryCombo") or {}).get("id") != combo["id"]:
                continue
            options = {property_value(self.store.get("categoryOptions", o["id"]) or {}, opt_scheme)
                       for o in coc.get("categoryOptions") or []}  # fmt: skip
            if options == wanted:
                return coc
        raise EntryError("E8108" if what == "coc" else "E8110", i, chosen)

    def decode(self, group: dict) -> dict:
        """``decodeGroup``: the group's data set, completion date and attribute combo, then each value."""
        ds, complete_date, aoc_obj = self._decode_scope(group)
        decoded = [
            self._decode_value(group, ds, aoc_obj, i, v) for i, v in enumerate(group["values"])
        ]
        return {"ds": ds, "complete": complete_date, "ou": group.get("orgUnit"), "pe": group.get("period"),
                "values": decoded}  # fmt: skip

    def _decode_scope(self, group: dict) -> tuple[dict | None, dt.date | None, dict | None]:
        """Data set (E8004/E8005), completion date (E8008), attribute options (E8101), and a completion
        only with data set, org unit and period (E8009)."""
        ds = None
        if group.get("dataSet"):
            ds = self._lookup(group, "dataSets", "dataSetIdScheme", group["dataSet"].strip(), 0,
                              ("E8005", "E8004"))  # fmt: skip
        complete = group.get("completeDate")
        complete_date = None
        if complete:
            try:
                complete_date = (self.today if complete.lower() == "true"
                                 else dt.date.fromisoformat(complete[:10]))  # fmt: skip
            except ValueError:
                raise EntryError("E8008", complete) from None
        aoc_obj = None
        if group.get("attributeOptionCombo") is None and group.get("aco"):
            if ds is None:
                raise EntryError("E8101", "*", group["aco"])
            combo = self.store.get("categoryCombos", (ds.get("categoryCombo") or {}).get("id"))
            if combo and combo.get("name") != "default":
                aoc_obj = self._combo_by_options(combo, group["aco"], group, 0, "aoc")
        if complete_date and (ds is None or not group.get("orgUnit") or not group.get("period")):
            raise EntryError("E8009")
        return ds, complete_date, aoc_obj

    def _decode_value(
        self, group: dict, ds: dict | None, aoc_obj: dict | None, i: int, v: dict
    ) -> dict:
        """``decodeValue``: period (E8100), data element (E8102-E8104), org unit (E8105-E8107), combos."""
        pe = periods.parse_iso(v.get("period"))
        if pe is None:
            raise EntryError("E8100", i, v)
        if not v.get("dataElement"):
            raise EntryError("E8102", i, v)
        de = self._lookup(group, "dataElements", "dataElementIdScheme", v["dataElement"].strip(), i,
                          ("E8103", "E8104"))  # fmt: skip
        if not v.get("orgUnit"):
            raise EntryError("E8105", i, v)
        ou = self._lookup(group, "organisationUnits", "orgUnitIdScheme", v["orgUnit"].strip(), i,
                          ("E8107", "E8106"))  # fmt: skip
        coc = self._decode_coc(group, ds, de, i, v)
        aoc = aoc_obj
        aoc_group = group.get("attributeOptionCombo")
        if v.get("attributeOptionCombo") or aoc_group:
            aoc = self._lookup(group, "categoryOptionCombos", "categoryOptionComboIdScheme",
                               v.get("attributeOptionCombo") or aoc_group, i, ("E8110", "E8111"))  # fmt: skip
        aoc = aoc or self.store.get("categoryOptionCombos", DEFAULT_COC)
        return {"index": i, "de": de, "ou": ou, "coc": coc, "aoc": aoc, "pe": pe,
                "value": v.get("value"), "comment": v.get("comment"),
                "followup": str(v.get("followup")).lower() == "true",
                "deleted": str(v.get("deleted")).lower() == "true"}  # fmt: skip

    def _decode_coc(self, group: dict, ds: dict | None, de: dict, i: int, v: dict) -> dict | None:
        """The category option combo: by id (E8108/E8109), by its options (E8101), else the default."""
        combo = self.store.get("categoryCombos", (de.get("categoryCombo") or {}).get("id"))
        if v.get("categoryOptionCombo"):
            return self._lookup(group, "categoryOptionCombos", "categoryOptionComboIdScheme",
                                v["categoryOptionCombo"], i, ("E8108", "E8109"))  # fmt: skip
        if v.get("co") and combo and combo.get("name") != "default":
            if ds is None:
                raise EntryError("E8101", i, v["co"])
            return self._combo_by_options(combo, v["co"], group, i, "coc")
        return self.store.get("categoryOptionCombos", DEFAULT_COC)

    def split(self, group: dict) -> list[dict]:
        """``splitGroup``: a group without a data set is split by the data sets of its elements."""
        if group["ds"] is not None or not group["values"]:
            return [group]
        by_ds: dict[str, dict] = {}
        missing = []
        for v in group["values"]:
            sets = [d for d in self.store.objects["dataSets"].values()
                    if any((e.get("dataElement") or {}).get("id") == v["de"]["id"] for e in d.get("dataSetElements") or [])]  # fmt: skip
            if not sets:
                missing.append(v["de"]["id"])
                continue
            ds = sorted(sets, key=lambda d: d["id"])[0]
            by_ds.setdefault(ds["id"], {**group, "ds": ds, "values": []})["values"].append(v)
        if missing:
            raise EntryError("E8003", sorted(set(missing)))
        return list(by_ds.values())

    def validate_group(self, group: dict) -> None:
        """Group-level checks: any failure rejects the whole group (``ConflictException``).

        ``DefaultDataEntryService.validate``: duplicate keys (E8128), then, with a data set,
        ``validateUserAccess``, ``validateKeyConsistency`` and (unless forced) ``validateEntryTimeliness``.
        """
        ds, values = group["ds"], group["values"]
        _check_duplicate_keys(values)
        if ds is None:
            return
        self._check_user_access(ds, values)
        _check_key_consistency(ds, values)
        if self.options.force and self.user.superuser:
            return
        self._check_timeliness(ds, values)

    def _check_user_access(self, ds: dict, values: list[dict]) -> None:
        """Data-write sharing on the data set (E8010), every org unit in the user's hierarchy (E8011)."""
        if self.user.superuser:
            return
        if not can_data_write(self.user, ds):
            raise EntryError("E8010", ds["id"])
        outside_user = sorted(
            {v["ou"]["id"] for v in values if not self.store.in_hierarchy(self.user, v["ou"]["id"])}
        )
        if outside_user:
            raise EntryError("E8011", outside_user)

    def _check_timeliness(self, ds: dict, values: list[dict]) -> None:
        """Past the data set's expiry days, or after its latest open future period (E8030)."""
        expiry = int(ds.get("expiryDays") or 0)
        if expiry > 0:
            late = [
                v["pe"].iso
                for v in values
                if self.today > v["pe"].last_day + dt.timedelta(days=expiry)
            ]
            if late:
                raise EntryError("E8030", ds["id"], sorted(set(late)))
        if ds.get("periodType") in periods.PERIOD_TYPES:
            latest = periods.latest_open_future_period(ds["periodType"], int(ds.get("openFuturePeriods") or 0),
                                                       self.today)  # fmt: skip
            early = [v["pe"].iso for v in values if v["pe"].start >= latest.end]
            if early:
                raise EntryError("E8030", ds["id"], sorted(set(early)))

    def validate_values(self, values: list[dict]) -> tuple[list[dict], list[Conflict]]:
        valid, errors = [], []
        if all(v["deleted"] for v in values):
            return values, errors
        for v in values:
            valid_value = v
            value, vt = v["value"], v["de"]["valueType"]
            if value in (None, "") and not v["comment"] and not v["deleted"]:
                errors.append(conflict("E8120", (v["index"],), [v["index"]]))
                continue
            if value not in (None, ""):
                value = normalize_boolean(value, vt)
                reason = invalid_reason(value, vt)
                if reason:
                    errors.append(
                        conflict("E8122", (v["index"], v["value"], vt, reason), [v["index"]])
                    )
                    continue
                valid_value = {**v, "value": value}
            if v["comment"] and len(v["comment"]) > 5000:
                errors.append(conflict("E8125", (v["index"], 5000), [v["index"]]))
                continue
            valid.append(valid_value)
        return valid, errors

    def upsert(self, values: list[dict], delete: bool) -> int:
        stamp = now()
        written = 0
        for v in values:
            key = (v["de"]["id"], v["pe"].iso, v["ou"]["id"], v["coc"]["id"], v["aoc"]["id"])
            existing = self.store.values.get(key)
            if delete:
                if existing is None or existing.deleted:
                    continue
                written += 1
                if not self.options.dry_run:
                    existing.deleted, existing.last_updated = True, stamp
                continue
            written += 1  # INSERT ... ON CONFLICT DO UPDATE: every row counts, identical or not
            if self.options.dry_run:
                continue
            if existing is None:
                self.store.values[key] = StoredValue(*key, v["value"], v["comment"], self.user.username, stamp,
                                                     stamp, v["followup"], v["deleted"])  # fmt: skip
            else:
                existing.value, existing.comment, existing.followup = (
                    v["value"],
                    v["comment"],
                    v["followup"],
                )
                existing.deleted, existing.last_updated = v["deleted"], stamp
                existing.stored_by = self.user.username
        return written

    def run(self, raw_groups: list[dict]) -> ImportSummary:
        delete = self.options.strategy == "DELETE"
        try:
            decoded = [self.decode(g) for g in raw_groups]
            groups = [part for g in decoded for part in self.split(g)]
        except EntryError as exc:
            return failed(self.options, exc)
        summary = ImportSummary(description=None, import_options=self.options.echo())
        succeeded = ignored = 0
        group_conflicts: list[Conflict] = []
        value_errors: list[Conflict] = []
        completed: list[str] = []
        for g in groups:
            indexes = [v["index"] for v in g["values"]]
            try:
                self.validate_group(g)
            except EntryError as exc:
                group_conflicts.append(conflict(exc.code, exc.args_, indexes))
                continue
            valid, errors = self.validate_values(g["values"])
            written = self.upsert(valid, delete)
            succeeded += written
            ignored += (len(valid) - written) + len(errors)
            value_errors.extend(errors)
            if g["complete"] and (len(valid) - written) + len(errors) == 0:
                day = min(g["complete"], self.today)
                if not self.options.dry_run:
                    self.store.completions[(g["ds"]["id"], g["pe"], g["ou"], DEFAULT_COC)] = (
                        day.isoformat()
                    )
                completed.append(day.isoformat())
        summary.updated, summary.ignored = succeeded, ignored
        if delete:
            summary.deleted, summary.updated = summary.updated, 0
        for c in value_errors + group_conflicts:
            summary.conflicts.append(c)
            summary.rejected.extend(i for i in c.indexes if i >= 0)
        summary.status = "SUCCESS"
        if value_errors:
            summary.status = "WARNING" if succeeded > 0 else "ERROR"
        if group_conflicts:
            summary.status = "ERROR"
        summary.data_set_complete = (completed[0] if completed and len(completed) == len(groups)
                                     and len(set(completed)) == 1 else "false")  # fmt: skip
        return summary


def _check_duplicate_keys(values: list[dict]) -> None:
    """Two values of a group with the same key (data element, period, org unit, combos): E8128."""
    keys: dict[tuple, list[int]] = {}
    for v in values:
        keys.setdefault(
            (v["de"]["id"], v["pe"].iso, v["ou"]["id"], v["coc"]["id"], v["aoc"]["id"]), []
        ).append(v["index"])
    for key, idx in keys.items():
        if len(idx) > 1:
            raise EntryError("E8128", idx, "-".join(key))


def _check_key_consistency(ds: dict, values: list[dict]) -> None:
    """``validateKeyConsistency``: elements in the data set (E8020), org units assigned to it (E8022),
    periods of its type (E8021), category option combos of the element's combo (E8024)."""
    members = {(e.get("dataElement") or {}).get("id") for e in ds.get("dataSetElements") or []}
    outside = sorted({v["de"]["id"] for v in values} - members)
    if outside:
        raise EntryError("E8020", ds["id"], outside)
    units = {o["id"] for o in ds.get("organisationUnits") or []}
    not_assigned = sorted({v["ou"]["id"] for v in values} - units)
    if not_assigned:
        raise EntryError("E8022", ds["id"], not_assigned)
    wrong_type = sorted(
        {v["pe"].iso for v in values if v["pe"].period_type != ds.get("periodType")}
    )
    if wrong_type:
        raise EntryError("E8021", ds["id"], wrong_type)
    for v in values:
        combo_id = (v["de"].get("categoryCombo") or {}).get("id")
        if (
            v["coc"]["id"] != DEFAULT_COC
            and (v["coc"].get("categoryCombo") or {}).get("id") != combo_id
        ):
            raise EntryError("E8024", ds["id"], v["de"]["id"], [v["coc"]["id"]])


def failed(options: ImportOptions, exc: EntryError) -> ImportSummary:
    """``DataEntryPipeline.importInputGroups``: a ``BadRequestException`` → ERROR, one conflict, index -1."""
    summary = ImportSummary(
        status="ERROR", description=None, data_set_complete=None, import_options=options.echo()
    )
    summary.conflicts.append(conflict(exc.code, exc.args_, [-1]))
    return summary


def import_entry(
    store: Store, user: User, options: ImportOptions, raw_groups: list[dict]
) -> ImportSummary:
    with store.lock:
        return EntryImporter(store, user, options).run(raw_groups)


__all__ = [
    "EntryError",
    "failed",
    "groups_from_adx",
    "groups_from_dxf",
    "import_entry",
    "is_numeric",
]
