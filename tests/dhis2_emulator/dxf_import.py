"""The DXF2 data value importer: data-set checks, per-value validation in DHIS2's order, strategies (§3.1, §3.5).

JSON, DXF XML and ADX (after conversion) all end up here, like ``DefaultDataValueSetService`` in 2.41.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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


class _RejectedError(Exception):
    """A value conflict: ``importDataValue`` stops at the first failed check and rejects the value."""

    def __init__(self, code: str, values: tuple, objects: dict, prop: str | None):
        super().__init__(code)
        self.code, self.values, self.objects, self.prop = code, values, objects, prop


@dataclass(slots=True)
class _Row:
    """One value once its references are resolved; the combos fall back to the default during the
    constraint checks, ``stored_by`` to the importing user."""

    de: dict
    period: periods.Period
    ou: dict
    coc: dict | None
    aoc: dict | None
    value: str | None
    comment: str | None
    stored_by: str | None
    followup: bool
    deleted: bool


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
        """``importDataValue``: resolve the references, then the value, the constraints and the locks, in
        the order ``DataValueSetImportValidator`` registers its checks (dhis-service-dxf2
        ``org/hisp/dhis/dxf2/datavalueset/DataValueSetImportValidator.java``, 2.39-2.42); the first
        failure rejects the value."""
        raw, aoc_scheme = self._with_header(raw)
        try:
            row = self._resolve(raw, aoc_scheme)
            self._check_value(row)
            self._check_constraints(row)
            self._check_locks(row)
        except _RejectedError as exc:
            return self._fail(index, exc.code, exc.values, exc.objects, exc.prop)
        self._save(index, row)

    def _with_header(self, raw: dict) -> tuple[dict, str]:
        """The value's fields, blanks as None, with the data-set level fields overriding them; and the
        scheme its attribute option combo is read with (UID once the header resolved it)."""
        h = self.header
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
            return raw, "UID"
        return raw, self.schemes["categoryOptionComboIdScheme"]

    def _resolve(self, raw: dict, aoc_scheme: str) -> _Row:
        """``validateDataValueDataElementExists`` ... ``validateDataValueOrgUnitInUserHierarchy``
        (E7610-E7617)."""
        store = self.store
        de = store.lookup("dataElements", self.schemes["dataElementIdScheme"], raw["dataElement"])
        if de is None:
            raise _RejectedError("E7610", (raw["dataElement"],), {"dataElement": raw["dataElement"]}, "dataElement")  # fmt: skip
        period = periods.parse_iso(raw["period"])
        if period is None:
            raise _RejectedError("E7611", (raw["period"],), {"period": raw["period"]}, "period")
        ou = store.lookup("organisationUnits", self.schemes["orgUnitIdScheme"], raw["orgUnit"])
        if ou is None:
            raise _RejectedError("E7612", (raw["orgUnit"],), {"organisationUnit": raw["orgUnit"]}, "orgUnit")  # fmt: skip
        coc = self._resolve_combo(raw["categoryOptionCombo"], self.schemes["categoryOptionComboIdScheme"],
                                  "categoryOptionCombo", ("E7613", "E7614"))  # fmt: skip
        aoc = self._resolve_combo(raw["attributeOptionCombo"], aoc_scheme, "attributeOptionCombo",
                                  ("E7615", "E7616"))  # fmt: skip
        if not self._in_hierarchy(ou["id"]):
            raise _RejectedError("E7617", (ou["id"], self.user.username),
                            {"organisationUnit": ou["id"], "user": self.user.username}, "orgUnit")  # fmt: skip
        return _Row(de, period, ou, coc, aoc, raw["value"], raw["comment"], raw["storedBy"],
                    _truthy(raw["followup"]), _truthy(raw["deleted"]))  # fmt: skip

    def _resolve_combo(
        self, ident: str | None, scheme: str, prop: str, codes: tuple[str, str]
    ) -> dict | None:
        """A category or attribute option combo (None when not given) whose options the user can write."""
        if not (ident and ident.strip()):
            return None
        combo = self.store.lookup("categoryOptionCombos", scheme, ident)
        if combo is None:
            raise _RejectedError(codes[0], (ident,), {prop: ident}, prop)
        option = self._inaccessible_option(combo)
        if option is not None:
            raise _RejectedError(codes[1], (combo["id"], option), {prop: combo["id"], "categoryOption": option}, prop)  # fmt: skip
        return combo

    def _check_value(self, row: _Row) -> None:
        """``validateDataValueIsDefined``, ``validateDataValueIsValid``, ``validateDataValueCommentIsValid``
        (E7618-E7620); BOOLEAN values are normalized on the way."""
        de = row.de
        if (
            row.value is None
            and row.comment is None
            and not row.deleted
            and self.strategy != "DELETE"
        ):
            raise _RejectedError("E7618", (de["id"],), {"dataElement": de["id"]}, "value")
        row.value = normalize_boolean(row.value, de["valueType"])
        reason = invalid_reason(row.value, de["valueType"])
        if reason is not None:
            raise _RejectedError("E7619", (de["id"], reason), {"dataElement": de["id"]}, "value")
        if row.comment is not None and len(row.comment) > 50_000:
            raise _RejectedError(
                "E7620", ("Comment is too long",), {"dataElement": de["id"]}, "comment"
            )

    def _check_constraints(self, row: _Row) -> None:
        """The import's strictness flags (E7630-E7636), then ``checkDataValueStoredByIsValid`` (E7637)."""
        self._default_combos(row)
        self._check_strict(row)
        row.stored_by = row.stored_by or self.user.username
        if len(row.stored_by) > 255:
            raise _RejectedError("E7637", ("storedBy is too long",), {"dataElement": row.de["id"]}, "storedBy")  # fmt: skip

    def _default_combos(self, row: _Row) -> None:
        """Missing combos are the default one, unless ``requireCategoryOptionCombo`` /
        ``requireAttributeOptionCombo`` (``checkDataValueCategoryOptionCombo``,
        ``checkDataValueAttrOptionCombo``: E7630, E7631)."""
        flags = self.options.flags
        if row.coc is None:
            if flags.get("requireCategoryOptionCombo"):
                raise _RejectedError("E7630", (), {}, "categoryOptionCombo")
            row.coc = self.store.default_coc()
        if row.aoc is None:
            if flags.get("requireAttributeOptionCombo"):
                raise _RejectedError("E7631", (), {}, "attributeOptionCombo")
            row.aoc = self.store.default_coc()

    def _check_strict(self, row: _Row) -> None:
        """``strictPeriods``, ``strictDataElements``, ``strictCategoryOptionCombos``,
        ``strictAttributeOptionCombos``, ``strictOrganisationUnits`` (``checkDataValuePeriodType`` ...
        ``checkDataValueStrictOrgUnits``: E7632-E7636)."""
        store, flags = self.store, self.options.flags
        de, period, ou, coc, aoc = row.de, row.period, row.ou, row.coc, row.aoc
        de_sets = self._data_sets_of(de)
        if flags.get("strictPeriods") and period.period_type not in {
            d.get("periodType") for d in de_sets
        }:
            raise _RejectedError("E7632", (period.iso, de["id"]), {"period": period.iso, "dataElement": de["id"]},
                            "period")  # fmt: skip
        if flags.get("strictDataElements") and self.data_set is not None \
                and self.data_set["id"] not in {d["id"] for d in de_sets}:  # fmt: skip
            raise _RejectedError("E7633", (de["id"], self.data_set["id"]),
                            {"dataElement": de["id"], "dataSet": self.data_set["id"]}, "dataElement")  # fmt: skip
        if flags.get("strictCategoryOptionCombos"):
            combo = (de.get("categoryCombo") or {}).get("id")
            if coc["id"] not in {c["id"] for c in store.option_combos(combo)}:
                raise _RejectedError("E7634", (coc["id"], de["id"]),
                                {"categoryOptionCombo": coc["id"], "dataElement": de["id"]}, "categoryOptionCombo")  # fmt: skip
        if flags.get("strictAttributeOptionCombos"):
            allowed = {
                c["id"]
                for d in de_sets
                for c in store.option_combos((d.get("categoryCombo") or {}).get("id"))
            }
            if aoc["id"] not in allowed:
                raise _RejectedError("E7635", (aoc["id"], de["id"]),
                                {"attributeOptionCombo": aoc["id"], "dataElement": de["id"]}, "attributeOptionCombo")  # fmt: skip
        if flags.get("strictOrganisationUnits") and not any(
            any(r.get("id") == ou["id"] for r in d.get("organisationUnits", [])) for d in de_sets
        ):
            raise _RejectedError("E7636", (ou["id"], de["id"]), {"organisationUnit": ou["id"], "dataElement": de["id"]},
                            "orgUnit")  # fmt: skip

    def _check_locks(self, row: _Row) -> None:
        """Expiry days (``checkDataValueDataSetIsNotLocked``: E7640) and open future periods
        (``checkDataValueNotAfterLatestOpenFuturePeriod``: E7641) of the data sets; ``force`` skips both."""
        if self.force:
            return
        de, period = row.de, row.period
        for ds in self._data_sets_to_check(de):
            expiry = int(ds.get("expiryDays") or 0)
            if expiry > 0 and self.today > period.last_day + dt.timedelta(days=expiry):
                raise _RejectedError("E7640", (period.iso, ds["id"]), {"period": period.iso, "dataSet": ds["id"]},
                                "period")  # fmt: skip
        for ds in self._data_sets_to_check(de):
            latest = self._latest_open(ds)
            if latest is not None and period.start >= latest.end:
                raise _RejectedError("E7641", (period.iso, de["id"], ds["id"], latest.iso),
                                {"period": period.iso, "dataElement": de["id"], "dataSet": ds["id"]}, "period")  # fmt: skip

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
    def _save(self, index: int, row: _Row) -> None:
        key = (row.de["id"], row.period.iso, row.ou["id"], row.coc["id"], row.aoc["id"])
        existing = None if self.options.skip_existing_check else self.store.values.get(key)
        zero = is_zero_and_insignificant(row.value, row.de)
        if zero and (existing is None or self.strategy == "CREATE"):
            return  # skipped: counted nowhere (§3.1)
        if existing is not None and not existing.deleted:
            self._save_existing(index, existing, row, zero)
        else:
            self._save_new(index, key, existing, row)

    def _save_existing(self, index: int, existing: StoredValue, row: _Row, zero: bool) -> None:
        """A live stored value: updated, deleted, ignored when identical, or rejected under CREATE."""
        s = self.summary
        if self.strategy in ("CREATE_AND_UPDATE", "UPDATE"):
            if (row.value is None and row.comment is None) or row.deleted or zero:
                self._delete(existing)
                return
            if (
                existing.value == row.value
                and existing.comment == row.comment
                and existing.followup == row.followup
            ) and not self.options.profile.identical_repost_updated:
                s.ignored += 1  # identical re-post: dataValueUpdateShouldBeIgnored (§0.8)
                return
            s.updated += 1
            if not self.dry_run:
                existing.value, existing.comment, existing.followup = (
                    row.value,
                    row.comment,
                    row.followup,
                )
                existing.stored_by, existing.last_updated = row.stored_by, self.now
        elif self.strategy == "DELETE":
            self._delete(existing)
        else:  # CREATE on an existing value
            self._reject(index)

    def _delete(self, existing: StoredValue) -> None:
        self.summary.deleted += 1
        if not self.dry_run:
            existing.deleted = True
            existing.last_updated = self.now

    def _save_new(self, index: int, key: tuple, existing: StoredValue | None, row: _Row) -> None:
        """No value, or a soft-deleted one: created under CREATE(_AND_UPDATE), else rejected."""
        if self.strategy not in ("CREATE_AND_UPDATE", "CREATE"):
            self._reject(index)
            return
        if row.deleted or (row.value is None and row.comment is None):
            self.summary.ignored += 1
            return
        self.summary.imported += 1
        if self.dry_run:
            return
        stamp = self.now
        if existing is not None:  # soft-deleted row is re-created in place
            existing.value, existing.comment, existing.followup = (
                row.value,
                row.comment,
                row.followup,
            )
            existing.stored_by, existing.deleted, existing.last_updated = (
                row.stored_by,
                False,
                stamp,
            )
            existing.created = stamp
        else:
            self.store.values[key] = StoredValue(*key, row.value, row.comment, row.stored_by, stamp, stamp,
                                                 row.followup)  # fmt: skip

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
