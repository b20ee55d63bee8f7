"""``POST /api/completeDataSetRegistrations`` as dhis2-core 2.39-2.43 does it.

Read in ``DefaultCompleteDataSetRegistrationExchangeService`` (``batchImport``,
``MetadataProperties.validate``, ``finalizeSummary``) and ``ImportConfig`` at tags 2.39.9,
2.40.9, 2.41.9, 2.42.5, 2.43.1 (same logic): id schemes ``dataSetIdScheme`` /
``orgUnitIdScheme`` / ``attributeOptionComboIdScheme``, each falling back to ``idScheme``
(default UID); per-registration conflicts with only ``object`` and ``value``; existing
registrations are ``updated`` (CREATE_AND_UPDATE) or ``deleted`` (DELETE); a DELETE of a missing
one is ``ignored``; status ERROR only when every registration was ignored. Stored in
``store.completions`` keyed by UIDs (data set, period, org unit, attribute option combo).
"""

from __future__ import annotations

import datetime as dt
import json

from . import periods
from .dxf_import import can_data_write
from .options import ImportOptions
from .responses import ImportSummary
from .schema import DEFAULT_COC
from .store import Store, User


def import_registrations(
    store: Store, user: User, params: dict[str, list[str]], body: bytes
) -> ImportSummary:
    """``batchImport``: each registration validated (``MetadataProperties.validate``), then written by the
    strategy; ``finalizeSummary`` counts and sets the status."""
    options = ImportOptions.from_params(params)
    payload = json.loads(body or b"{}")
    rows = payload.get("completeDataSetRegistrations") or []
    summary = ImportSummary(description=None, data_set_complete=None)
    counts = {"imported": 0, "updated": 0, "deleted": 0}
    today = dt.date.today().isoformat()
    with store.lock:
        for raw in rows:
            key = _validate(store, user, options, raw, summary)
            if key is None:
                continue
            action = _write(store, options, key, raw, today)
            if action is not None:
                counts[action] += 1
    imported, updated, deleted = counts["imported"], counts["updated"], counts["deleted"]
    ignored = len(rows) - imported - updated - deleted
    summary.imported, summary.updated, summary.deleted = imported, updated, deleted
    summary.ignored = ignored
    summary.status = "ERROR" if rows and ignored == len(rows) else "SUCCESS"
    summary.description = "Import process complete."
    return summary


def _validate(
    store: Store, user: User, options: ImportOptions, raw: dict, summary: ImportSummary
) -> tuple[str, str, str, str] | None:
    """The registration's key (data set, period, org unit, attribute option combo UIDs), or None after
    adding its conflict: data set, period, org unit and the user's hierarchy, attribute option combo,
    data-write access, in that order."""
    ds = store.lookup("dataSets", options.scheme("dataSetIdScheme"), raw.get("dataSet"))
    if ds is None:
        summary.add_legacy(raw.get("dataSet"), "Data set not found or not accessible")
        return None
    period = periods.parse_iso(raw.get("period"))
    if period is None:
        summary.add_legacy(raw.get("period"), "Period not valid")
        return None
    ou = store.lookup(
        "organisationUnits", options.scheme("orgUnitIdScheme"), raw.get("organisationUnit")
    )
    if ou is None:
        summary.add_legacy(
            raw.get("organisationUnit"), "Organisation unit not found or not accessible"
        )
        return None
    if not store.in_hierarchy(user, ou["id"]):
        summary.add_legacy(
            ou["id"], f"Organisation unit is not in hierarchy of user: {user.username}"
        )
        return None
    aoc_ident = raw.get("attributeOptionCombo")
    aoc = (store.lookup("categoryOptionCombos", options.scheme("attributeOptionComboIdScheme"), aoc_ident)
           if aoc_ident else store.default_coc())  # fmt: skip
    if aoc is None:
        summary.add_legacy(aoc_ident, "Attribute option combo not found or not accessible")
        return None
    if not can_data_write(user, ds):
        summary.add_legacy("dataSet", f"User has no data write access for DataSet: {ds['id']}")
        return None
    return (ds["id"], period.iso, ou["id"], aoc["id"] or DEFAULT_COC)


def _write(
    store: Store, options: ImportOptions, key: tuple[str, str, str, str], raw: dict, today: str
) -> str | None:
    """Apply the strategy to one valid registration (dated ``date``, else today): the count it adds
    to, or None if ignored."""
    exists = key in store.completions
    if options.strategy == "DELETE":
        if not exists:
            return None
        if not options.dry_run:
            del store.completions[key]
        return "deleted"
    if exists and options.strategy in ("CREATE_AND_UPDATE", "UPDATE"):
        action = "updated"
    elif not exists and options.strategy in ("CREATE_AND_UPDATE", "CREATE"):
        action = "imported"
    else:
        return None
    if not options.dry_run:
        store.completions[key] = (raw.get("date") or today)[:10]
    return action


def registrations(store: Store) -> set[tuple[str, str, str]]:
    """Registered (data set code, period, org unit code) on any attribute combo (for tests)."""
    with store.lock:
        out = set()
        for ds_uid, period, ou_uid, _aoc in store.completions:
            ds = store.get("dataSets", ds_uid) or {}
            ou = store.get("organisationUnits", ou_uid) or {}
            out.add((ds.get("code") or ds_uid, period, ou.get("code") or ou_uid))
        return out
