"""The DXF2 data value importer: data-set checks, per-value validation in DHIS2's order, strategies (§3.1, §3.5).

JSON, DXF XML and ADX (after conversion) all end up here, like ``DefaultDataValueSetService`` in 2.41.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from . import periods
from .options import ImportOptions, normalize_strategy
from .responses import ImportSummary
from .schema import DEFAULT_COC
from .store import Store, StoredValue, User, normalize_scheme
from .valuetypes import invalid_reason, is_zero_and_insignificant, normalize_boolean

MESSAGES = {
    "E7600": "Data set not found or not accessible: `{0}`",
    "E7601": "User does not have write access for DataSet: `{0}`",
    "E7602": "A valid dataset is required",
    "E7603": "Org unit not found or not accessible: `{0}`",
    "E7604": "Attribute option combo not found or not accessible: `{0}`",
    "E7610": "Data element not found or not accessible: `{0}`",
    "E7611": "Period not valid: `{0}`",
    "E7612": "Organisation unit not found or not accessible: `{0}`",
    "E7613": "Category option combo not found or not accessible for writing data: `{0}`",
    "E7614": "Category option combo: `{0}` option not accessible: `{1}`",
    "E7615": "Attribute option combo not found or not accessible for writing data: `{0}`",
    "E7616": "Attribute option combo: `{0}` option not accessible: `{1}`",
    "E7617": "Organisation unit: `{0}` not in hierarchy of current user: `{1}`",
    "E7618": "Data value or comment not specified for data element: `{0}`",
    "E7619": "Value must match value type of data element `{0}`: `{1}`",
    "E7620": "Invalid comment: {0}",
    "E7630": "Category option combo is required but is not specified",
    "E7631": "Attribute option combo is required but is not specified",
    "E7632": "Period type of period: `{0}` not valid for data element: `{1}`",
    "E7633": "Data element: `{0}` is not part of dataset: `{1}`",
    "E7634": "Category option combo: `{0}` must be part of category combo of data element: `{1}`",
    "E7635": "Attribute option combo: `{0}` must be part of category combo of data sets of data element: `{1}`",
    "E7636": "Data element: `{1}` must be assigned through data sets to organisation unit: `{0}`",
    "E7637": "Invalid storedBy: {0}",
    "E7640": "Current date is past expiry days for period: `{0}`  and data set: `{1}`",
    "E7641": "Period: `{0}` is after latest open future period: `{3}` for data element: `{1}` and data set: `{2}`",
}
VALUE_FIELDS = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value",
                "comment", "storedBy", "followup", "deleted", "created", "lastUpdated")  # fmt: skip


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def can_data_write(user: User, obj: dict) -> bool:
    """Data-write sharing (access string position 4, e.g. ``rwrw----``); superusers bypass sharing."""
    if user.superuser:
        return True
    sharing = obj.get("sharing") or {}
    public = sharing.get("public") or obj.get("publicAccess") or "--------"
    if len(public) > 3 and public[3] == "w":
        return True
    access = ((sharing.get("users") or {}).get(user.uid) or {}).get("access", "")
    return len(access) > 3 and access[3] == "w"


def _blank_to_none(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text != "" else None


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class DxfImporter:
    """One import run. ``header`` holds data-set level fields and payload scheme overrides."""

    def __init__(
        self, store: Store, user: User, options: ImportOptions, header: dict | None = None
    ):
        self.store = store
        self.user = user
        self.options = options
        self.header = {
            k: _blank_to_none(v)
            for k, v in (header or {}).items()
            if k != "attributeCategoryOptions"
        }
        self.header_aco = (header or {}).get("attributeCategoryOptions")
        self.summary = ImportSummary(import_options=options.echo())
        # Payload scheme attributes override query parameters (§2.1).
        self.schemes = {}
        for name in (
            "dataElementIdScheme",
            "orgUnitIdScheme",
            "categoryOptionComboIdScheme",
            "dataSetIdScheme",
        ):
            self.schemes[name] = self.header.get(name) or (
                self.header.get("idScheme") if self.header.get("idScheme") else None
            ) or options.scheme(name)  # fmt: skip
            self.schemes[name] = normalize_scheme(self.schemes[name])
        self.strategy = normalize_strategy(self.header.get("strategy")) or options.strategy
        dry = self.header.get("dryRun")
        self.dry_run = _truthy(dry) if dry is not None else options.dry_run
        self.force = options.force and user.superuser
        self.today = dt.date.today()
        self.now = (
            now()
        )  # one timestamp per import, like DHIS2's ``importDataValue(..., now, ...)``
        self.data_set: dict | None = None
        self.outer_ou: dict | None = None
        self.outer_aoc: dict | None = None
        self.aborted = False
        self._future_cache: dict[str, periods.Period] = {}
        self._sets_cache: dict[str, list[dict]] = {}  # data element UID -> its data sets
        self._hierarchy_cache: dict[str, bool] = {}  # org unit UID -> in the user's hierarchy

    # ---- data set level -------------------------------------------------------------------------
    def _abort(self, code: str, obj: str, key: str, prop: str) -> None:
        self.summary.status = "ERROR"
        self.summary.description = "Import process was aborted"
        self.summary.data_set_complete = None
        self.summary.add_conflict(None, code, MESSAGES[code].format(obj), {key: obj}, prop)
        self.aborted = True

    def check_data_set(self) -> bool:
        h = self.header
        store = self.store
        if h.get("dataSet"):
            self.data_set = store.lookup("dataSets", self.schemes["dataSetIdScheme"], h["dataSet"])
            if self.data_set is None:
                self._abort("E7600", h["dataSet"], "dataSet", "dataSet")
                return False
            if not can_data_write(self.user, self.data_set):
                self._abort("E7601", self.data_set["id"], "dataSet", "dataSet")
                return False
        if self.data_set is None and self.options.flags.get("strictDataElements"):
            self.summary.status = "ERROR"
            self.summary.add_conflict(None, "E7602", MESSAGES["E7602"], {}, "dataSet")
            self.aborted = True
            return False
        if h.get("orgUnit"):
            self.outer_ou = store.lookup(
                "organisationUnits", self.schemes["orgUnitIdScheme"], h["orgUnit"]
            )
            if self.outer_ou is None:
                self._abort("E7603", h["orgUnit"], "organisationUnit", "orgUnit")
                return False
        if h.get("attributeOptionCombo"):
            scheme = self.schemes["categoryOptionComboIdScheme"]
            self.outer_aoc = store.lookup("categoryOptionCombos", scheme, h["attributeOptionCombo"])
            if self.outer_aoc is None:
                self._abort(
                    "E7604",
                    h["attributeOptionCombo"],
                    "attributeOptionCombo",
                    "attributeOptionCombo",
                )
                return False
        elif self.header_aco and self.data_set is not None:
            wanted = frozenset(str(o).strip() for o in self.header_aco)
            combo = (self.data_set.get("categoryCombo") or {}).get("id")
            self.outer_aoc = next((c for c in store.option_combos(combo)
                                   if frozenset(r["id"] for r in c.get("categoryOptions", [])) == wanted), None)  # fmt: skip
            if self.outer_aoc is None:
                shown = ",".join(str(o) for o in self.header_aco)
                self._abort("E7604", shown, "attributeOptionCombo", "attributeOptionCombo")
                return False
        return True

    # ---- value level ----------------------------------------------------------------------------
    def _conflict(
        self, index: int, code: str, args: tuple, objects: dict, prop: str | None
    ) -> None:
        shown = tuple("null" if a is None else a for a in args)  # Java string concatenation of null
        self.summary.add_conflict(index, code, MESSAGES[code].format(*shown), objects, prop)

    def _reject(self, index: int) -> None:
        self.summary.ignored += 1
        self.summary.reject(index)

    def _data_sets_of(self, de: dict) -> list[dict]:
        found = self._sets_cache.get(de["id"])
        if found is None:
            found = self._sets_cache[de["id"]] = sorted(
                self.store.data_sets_of(de["id"]), key=lambda d: d["id"]
            )
        return found

    def _data_sets_to_check(self, de: dict) -> list[dict]:
        return [self.data_set] if self.data_set is not None else self._data_sets_of(de)

    def _in_hierarchy(self, ou_uid: str) -> bool:
        found = self._hierarchy_cache.get(ou_uid)
        if found is None:
            found = self._hierarchy_cache[ou_uid] = self.store.in_hierarchy(self.user, ou_uid)
        return found

    def import_value(self, index: int, raw: dict) -> None:
        store, h = self.store, self.header
        raw = {
            k: _blank_to_none(raw.get(k)) if k not in ("deleted", "followup") else raw.get(k)
            for k in VALUE_FIELDS
        }
        if self.outer_ou is not None:
            raw["orgUnit"] = h["orgUnit"]
        if h.get("period"):
            raw["period"] = h["period"]
        if self.outer_aoc is not None:
            raw["attributeOptionCombo"] = self.outer_aoc.get("id")
            aoc_scheme = "UID"
        else:
            aoc_scheme = self.schemes["categoryOptionComboIdScheme"]
        deleted = _truthy(raw["deleted"])
        followup = _truthy(raw["followup"])

        de = store.lookup("dataElements", self.schemes["dataElementIdScheme"], raw["dataElement"])
        if de is None:
            return self._fail(
                index,
                "E7610",
                (raw["dataElement"],),
                {"dataElement": raw["dataElement"]},
                "dataElement",
            )
        period = periods.parse_iso(raw["period"])
        if period is None:
            return self._fail(index, "E7611", (raw["period"],), {"period": raw["period"]}, "period")
        ou = store.lookup("organisationUnits", self.schemes["orgUnitIdScheme"], raw["orgUnit"])
        if ou is None:
            return self._fail(
                index, "E7612", (raw["orgUnit"],), {"organisationUnit": raw["orgUnit"]}, "orgUnit"
            )
        coc = None
        if raw["categoryOptionCombo"] and raw["categoryOptionCombo"].strip():
            coc = store.lookup("categoryOptionCombos", self.schemes["categoryOptionComboIdScheme"],
                               raw["categoryOptionCombo"])  # fmt: skip
            if coc is None:
                return self._fail(index, "E7613", (raw["categoryOptionCombo"],),
                                  {"categoryOptionCombo": raw["categoryOptionCombo"]}, "categoryOptionCombo")  # fmt: skip
            option = self._inaccessible_option(coc)
            if option is not None:
                return self._fail(index, "E7614", (coc["id"], option),
                                  {"categoryOptionCombo": coc["id"], "categoryOption": option}, "categoryOptionCombo")  # fmt: skip
        aoc = None
        if raw["attributeOptionCombo"] and raw["attributeOptionCombo"].strip():
            aoc = store.lookup("categoryOptionCombos", aoc_scheme, raw["attributeOptionCombo"])
            if aoc is None:
                return self._fail(index, "E7615", (raw["attributeOptionCombo"],),
                                  {"attributeOptionCombo": raw["attributeOptionCombo"]}, "attributeOptionCombo")  # fmt: skip
            option = self._inaccessible_option(aoc)
            if option is not None:
                return self._fail(index, "E7616", (aoc["id"], option),
                                  {"attributeOptionCombo": aoc["id"], "categoryOption": option}, "attributeOptionCombo")  # fmt: skip
        if not self._in_hierarchy(ou["id"]):
            return self._fail(index, "E7617", (ou["id"], self.user.username),
                              {"organisationUnit": ou["id"], "user": self.user.username}, "orgUnit")  # fmt: skip
        value, comment = raw["value"], raw["comment"]
        if value is None and comment is None and not deleted and self.strategy != "DELETE":
            return self._fail(index, "E7618", (de["id"],), {"dataElement": de["id"]}, "value")
        value = normalize_boolean(value, de["valueType"])
        reason = invalid_reason(value, de["valueType"])
        if reason is not None:
            return self._fail(
                index, "E7619", (de["id"], reason), {"dataElement": de["id"]}, "value"
            )
        if comment is not None and len(comment) > 50_000:
            return self._fail(
                index, "E7620", ("Comment is too long",), {"dataElement": de["id"]}, "comment"
            )
        # ---- constraints ----
        flags = self.options.flags
        if coc is None:
            if flags.get("requireCategoryOptionCombo"):
                return self._fail(index, "E7630", (), {}, "categoryOptionCombo")
            coc = store.default_coc()
        if aoc is None:
            if flags.get("requireAttributeOptionCombo"):
                return self._fail(index, "E7631", (), {}, "attributeOptionCombo")
            aoc = store.default_coc()
        de_sets = self._data_sets_of(de)
        if flags.get("strictPeriods") and period.period_type not in {
            d.get("periodType") for d in de_sets
        }:
            return self._fail(index, "E7632", (period.iso, de["id"]), {"period": period.iso, "dataElement": de["id"]},
                              "period")  # fmt: skip
        if flags.get("strictDataElements") and self.data_set is not None \
                and self.data_set["id"] not in {d["id"] for d in de_sets}:  # fmt: skip
            return self._fail(index, "E7633", (de["id"], self.data_set["id"]),
                              {"dataElement": de["id"], "dataSet": self.data_set["id"]}, "dataElement")  # fmt: skip
        if flags.get("strictCategoryOptionCombos"):
            combo = (de.get("categoryCombo") or {}).get("id")
            if coc["id"] not in {c["id"] for c in store.option_combos(combo)}:
                return self._fail(index, "E7634", (coc["id"], de["id"]),
                                  {"categoryOptionCombo": coc["id"], "dataElement": de["id"]}, "categoryOptionCombo")  # fmt: skip
        if flags.get("strictAttributeOptionCombos"):
            allowed = {
                c["id"]
                for d in de_sets
                for c in store.option_combos((d.get("categoryCombo") or {}).get("id"))
            }
            if aoc["id"] not in allowed:
                return self._fail(index, "E7635", (aoc["id"], de["id"]),
                                  {"attributeOptionCombo": aoc["id"], "dataElement": de["id"]}, "attributeOptionCombo")  # fmt: skip
        if flags.get("strictOrganisationUnits") and not any(
            any(r.get("id") == ou["id"] for r in d.get("organisationUnits", [])) for d in de_sets
        ):
            return self._fail(index, "E7636", (ou["id"], de["id"]), {"organisationUnit": ou["id"], "dataElement": de["id"]},
                              "orgUnit")  # fmt: skip
        stored_by = raw["storedBy"] or self.user.username
        if len(stored_by) > 255:
            return self._fail(
                index, "E7637", ("storedBy is too long",), {"dataElement": de["id"]}, "storedBy"
            )
        if not self.force:
            for ds in self._data_sets_to_check(de):
                expiry = int(ds.get("expiryDays") or 0)
                if expiry > 0 and self.today > period.last_day + dt.timedelta(days=expiry):
                    return self._fail(index, "E7640", (period.iso, ds["id"]), {"period": period.iso, "dataSet": ds["id"]},
                                      "period")  # fmt: skip
            for ds in self._data_sets_to_check(de):
                latest = self._latest_open(ds)
                if latest is not None and period.start >= latest.end:
                    return self._fail(index, "E7641", (period.iso, de["id"], ds["id"], latest.iso),
                                      {"period": period.iso, "dataElement": de["id"], "dataSet": ds["id"]}, "period")  # fmt: skip
        self._save(index, de, period, ou, coc, aoc, value, comment, stored_by, followup, deleted)

    def _latest_open(self, ds: dict) -> periods.Period | None:
        ptype = ds.get("periodType")
        if ptype not in periods.PERIOD_TYPES:
            return None
        key = ds["id"]
        if key not in self._future_cache:
            self._future_cache[key] = periods.latest_open_future_period(
                ptype, int(ds.get("openFuturePeriods") or 0), self.today
            )
        return self._future_cache[key]

    def _inaccessible_option(self, coc: dict) -> str | None:
        if self.user.superuser:
            return None
        for ref in coc.get("categoryOptions", []):
            option = self.store.get("categoryOptions", ref.get("id")) or {}
            if not can_data_write(self.user, option):
                return ref.get("id")
        return None

    def _fail(self, index: int, code: str, args: tuple, objects: dict, prop: str | None) -> None:
        self._conflict(index, code, args, objects, prop)
        self._reject(index)

    # ---- strategies (DefaultDataValueSetService.importDataValue) ---------------------------------
    def _save(
        self, index, de, period, ou, coc, aoc, value, comment, stored_by, followup, deleted
    ) -> None:
        key = (de["id"], period.iso, ou["id"], coc["id"], aoc["id"])
        s = self.summary
        existing = None if self.options.skip_existing_check else self.store.values.get(key)
        zero = is_zero_and_insignificant(value, de)
        if zero and (existing is None or self.strategy == "CREATE"):
            return  # skipped: counted nowhere (§3.1)
        stamp = self.now
        if existing is not None and not existing.deleted:
            if self.strategy in ("CREATE_AND_UPDATE", "UPDATE"):
                if (value is None and comment is None) or deleted or zero:
                    s.deleted += 1
                    if not self.dry_run:
                        existing.deleted = True
                        existing.last_updated = stamp
                    return
                if (
                    existing.value == value
                    and existing.comment == comment
                    and existing.followup == followup
                ) and not self.options.profile.identical_repost_updated:
                    s.ignored += 1  # identical re-post: dataValueUpdateShouldBeIgnored (§0.8)
                    return
                s.updated += 1
                if not self.dry_run:
                    existing.value, existing.comment, existing.followup = value, comment, followup
                    existing.stored_by, existing.last_updated = stored_by, stamp
            elif self.strategy == "DELETE":
                s.deleted += 1
                if not self.dry_run:
                    existing.deleted = True
                    existing.last_updated = stamp
            else:  # CREATE on an existing value
                self._reject(index)
            return
        if self.strategy in ("CREATE_AND_UPDATE", "CREATE"):
            if deleted or (value is None and comment is None):
                s.ignored += 1
                return
            s.imported += 1
            if self.dry_run:
                return
            if existing is not None:  # soft-deleted row is re-created in place
                existing.value, existing.comment, existing.followup = value, comment, followup
                existing.stored_by, existing.deleted, existing.last_updated = (
                    stored_by,
                    False,
                    stamp,
                )
                existing.created = stamp
            else:
                self.store.values[key] = StoredValue(de["id"], period.iso, ou["id"], coc["id"], aoc["id"], value,
                                                     comment, stored_by, stamp, stamp, followup)  # fmt: skip
        else:
            self._reject(index)

    # ---- completion -----------------------------------------------------------------------------
    def complete(self) -> None:
        raw = self.header.get("completeDate")
        if not raw or raw.lower() == "false" or self.data_set is None:
            return
        if not self.header.get("period"):
            self.summary.add_legacy("Period", "Must be provided to complete data set")
            return
        if self.outer_ou is None:
            self.summary.add_legacy("OrganisationUnit", "Must be provided to complete data set")
            return
        date = (
            self.today
            if raw.lower() == "true"
            else min(dt.date.fromisoformat(raw[:10]), self.today)
        )
        period = periods.parse_iso(self.header["period"])
        if period is None:
            return
        if not self.dry_run:
            key = (self.data_set["id"], period.iso, self.outer_ou["id"], DEFAULT_COC)
            self.store.completions[key] = date.isoformat()
        self.summary.data_set_complete = date.isoformat()

    def finish(self) -> ImportSummary:
        if not self.aborted:
            self.summary.status = "WARNING" if self.summary.conflicts else "SUCCESS"
        return self.summary


def import_values(store: Store, user: User, options: ImportOptions, header: dict | None,
                  values: Iterable[dict]) -> DxfImporter:  # fmt: skip
    """Run a full DXF import; returns the importer (``.summary``) so ADX can append its own conflicts."""
    importer = DxfImporter(store, user, options, header)
    with store.lock:
        if importer.check_data_set():
            for index, raw in enumerate(values):
                importer.import_value(index, raw)
            importer.complete()
        importer.finish()
    return importer
