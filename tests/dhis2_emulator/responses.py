"""DHIS2 response bodies: WebMessage envelope, ImportSummary with grouped conflicts (CONTRACT.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus


def web_message(http_status: int, status: str, message: str | None = None, response: dict | None = None,
                **extra) -> dict:  # fmt: skip
    """The WebMessage wrapper, keys in DHIS2's property order, nulls omitted."""
    body: dict = {
        "httpStatus": HTTPStatus(http_status).phrase,
        "httpStatusCode": http_status,
        "status": status,
    }
    if extra.get("code") is not None:
        body["code"] = extra["code"]
    if message is not None:
        body["message"] = message
    if extra.get("devMessage") is not None:
        body["devMessage"] = extra["devMessage"]
    if response is not None:
        body["response"] = response
    if extra.get("errorCode") is not None:
        body["errorCode"] = extra["errorCode"]
    return body


@dataclass
class Conflict:
    """One ImportConflict; DXF conflicts group values by (errorCode, objects) and collect ``indexes``."""

    object: str | None
    value: str
    error_code: str | None = None
    objects: dict[str, str | None] | None = None
    property: str | None = None
    indexes: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        out: dict = {}
        if self.object is not None:
            out["object"] = self.object
        if self.objects is not None:
            out["objects"] = self.objects
        out["value"] = self.value
        if self.error_code is not None:
            out["errorCode"] = self.error_code
        if self.property is not None:
            out["property"] = self.property
        if self.indexes:
            out["indexes"] = self.indexes
        return out


@dataclass
class ImportSummary:
    status: str = "SUCCESS"
    description: str | None = "Import process completed successfully"
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    data_set_complete: str | None = "false"
    import_options: dict | None = None
    _grouped: dict[tuple, Conflict] = field(default_factory=dict)

    def add_conflict(self, index: int | None, error_code: str, message: str, objects: dict[str, str | None],
                     prop: str | None) -> None:  # fmt: skip
        """Add a DXF value conflict; same (errorCode, objects) → one conflict with several indexes."""
        key = (error_code, tuple(sorted(objects.items(), key=lambda kv: kv[0])))
        existing = self._grouped.get(key)
        if existing is None:
            first = next(iter(objects.values()), None)
            existing = Conflict(first, message, error_code, dict(objects), prop)
            self._grouped[key] = existing
            self.conflicts.append(existing)
        if index is not None:
            existing.indexes.append(index)

    def add_legacy(self, obj: str | None, value: str) -> None:
        """A conflict with only ``object`` and ``value`` (ADX layer, completeDate).

        Merged with an earlier one of the same object and message, without indexes: ``ImportConflict``'s
        grouping key is (object, message) when there is no error code, and ``mergeWith`` adds nothing for an
        occurrence count of 0 (``dhis-api/.../importsummary/ImportSummary.java`` ``addConflict``,
        ``ImportConflict.java``, 2.39.10.1-2.42.5.2). 500 values with the same unknown code: one conflict.
        """
        key = ("legacy", obj, value)
        if key in self._grouped:
            return
        conflict = Conflict(obj, value)
        self._grouped[key] = conflict
        self.conflicts.append(conflict)

    def reject(self, index: int) -> None:
        self.rejected.append(index)

    def as_json(self) -> dict:
        out: dict = {"responseType": "ImportSummary", "status": self.status}
        if self.import_options is not None:
            out["importOptions"] = self.import_options
        if self.description is not None:
            out["description"] = self.description
        out["importCount"] = {"imported": self.imported, "updated": self.updated, "ignored": self.ignored,
                              "deleted": self.deleted}  # fmt: skip
        out["conflicts"] = [c.as_json() for c in self.conflicts]
        out["rejectedIndexes"] = list(self.rejected)
        if self.data_set_complete is not None:
            out["dataSetComplete"] = self.data_set_complete
        return out


_SUMMARY_MESSAGES = {
    "SUCCESS": (200, "OK", "Import was successful."),
    "WARNING": (409, "WARNING", "One more conflicts encountered, please check import summary."),
    "ERROR": (409, "ERROR", "An error occurred, please check import summary."),
}


def import_summary_message(summary: ImportSummary) -> tuple[int, dict]:
    """``WebMessageUtils.importSummary``: SUCCESS → 200 OK; WARNING/ERROR → 409 (§3.2)."""
    http, status, message = _SUMMARY_MESSAGES[summary.status]
    return http, web_message(http, status, message, summary.as_json())


def error_message(http_status: int, message: str, error_code: str | None = None) -> dict:
    return web_message(http_status, "ERROR", message, errorCode=error_code)
