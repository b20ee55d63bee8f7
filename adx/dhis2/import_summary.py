"""Typed DHIS2 import results: data value ImportSummaries and metadata ImportReports.

DHIS2 2.38+ wraps summaries in a WebMessage (``{"httpStatus", "status": "OK|WARNING|ERROR",
"response": {"responseType": "ImportSummary", ...}}``); ``/api/37/`` and the async
``taskSummaries`` endpoint return the bare ImportSummary (CONTRACT.md §3.2, §3.3). Both are
parsed here. HTTP 409 carries WARNING *and* ERROR, and ADX-level conflicts arrive under
HTTP 200 SUCCESS in 2.38-2.41, so a result is judged by its conflicts, never by its status
alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_STATUS_RANK = {"SUCCESS": 0, "OK": 0, "WARNING": 1, "ERROR": 2}


class ImportSummaryError(ValueError):
    """A response body is not an ImportSummary / ImportReport this module understands."""


def _snippet(body: Any, limit: int = 300) -> str:
    text = repr(body)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Conflict:
    """One DHIS2 import conflict. ``indexes`` are positions in the chunk's flattened values."""

    # Defined before the fields: the field named ``property`` shadows the builtin below it.
    @property
    def affected(self) -> int:
        """Number of values this conflict stands for (ADX conflicts have no indexes: one)."""
        return max(1, len(self.indexes))

    value: str  # DHIS2's message
    object: str | None = None
    objects: Mapping[str, str] = field(default_factory=dict)
    error_code: str | None = None
    property: str | None = None
    indexes: tuple[int, ...] = ()
    chunk: int = 0

    def __str__(self) -> str:
        code = f"{self.error_code} " if self.error_code else ""
        where = f" [property {self.property}]" if self.property else ""
        idx = ""
        if self.indexes:
            shown = ", ".join(str(i) for i in self.indexes[:5])
            more = f" (+{len(self.indexes) - 5} more)" if len(self.indexes) > 5 else ""
            idx = f" at value index {shown}{more}"
        return f"{code}{self.value} (object {self.object!r}{where}, chunk {self.chunk}{idx})"


@dataclass(frozen=True)
class ImportCount:
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0

    def __add__(self, other: ImportCount) -> ImportCount:
        return ImportCount(
            self.imported + other.imported,
            self.updated + other.updated,
            self.ignored + other.ignored,
            self.deleted + other.deleted,
        )

    @property
    def total(self) -> int:
        return self.imported + self.updated + self.ignored + self.deleted


@dataclass(frozen=True)
class ChunkSummary:
    """The ImportSummary of one request (one chunk of a push)."""

    chunk: int
    status: str  # SUCCESS | WARNING | ERROR (inner ImportSummary status)
    counts: ImportCount
    conflicts: tuple[Conflict, ...] = ()
    description: str | None = None
    http_status: int | None = None
    rejected_indexes: tuple[int, ...] = ()
    values_sent: int = 0
    groups_sent: int = 0
    bytes_sent: int = 0
    job_id: str | None = None

    @property
    def rejected_values(self) -> int:
        """Values of this request that DHIS2 did not store because of a problem, counted in *values*.

        Never the number of conflicts: DHIS2 merges conflicts with the same object and message into one
        without indexes (ADX-level conflicts, 2.39-2.41: ``ImportConflict(String,String)``), and can list one
        value under several conflicts (E7640/E7641, one per data set of the element). So:

        * ERROR (nothing or only some groups stored: 2.42 fatal ADX problems, 2.43 decoding/group errors,
          data-set-level errors): values sent − imported − updated − deleted;
        * otherwise the distinct conflict indexes and ``rejectedIndexes``, plus, when a conflict has no
          indexes, the ``ignored`` values not covered by an index (at least one per such conflict). That
          counts identical re-posts in the same request as rejected too: pessimistic, never silent.
        """
        indexed = {i for c in self.conflicts for i in c.indexes if i >= 0} | {
            i for i in self.rejected_indexes if i >= 0
        }
        unindexed = [c for c in self.conflicts if not c.indexes or all(i < 0 for i in c.indexes)]
        if self.status == "ERROR":
            stored = self.counts.imported + self.counts.updated + self.counts.deleted
            if self.values_sent:
                return max(self.values_sent - stored, len(indexed), 1)
            return max(len(indexed) + self.counts.ignored, len(indexed) + len(unindexed), 1)
        if not unindexed:
            return len(indexed)
        return len(indexed) + max(len(unindexed), self.counts.ignored - len(indexed))


def _int(mapping: Mapping[str, Any], key: str) -> int:
    raw = mapping.get(key) or 0
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ImportSummaryError(f"importCount.{key} is not an integer: {raw!r}") from None


def _conflict(raw: Mapping[str, Any], chunk: int) -> Conflict:
    if not isinstance(raw, Mapping):
        raise ImportSummaryError(f"conflict is not an object: {_snippet(raw)}")
    objects = raw.get("objects") or {}
    return Conflict(
        value=str(raw.get("value") or raw.get("message") or ""),
        object=None if raw.get("object") is None else str(raw.get("object")),
        objects={str(k): str(v) for k, v in dict(objects).items()},
        error_code=raw.get("errorCode"),
        property=raw.get("property"),
        indexes=tuple(int(i) for i in raw.get("indexes") or ()),
        chunk=chunk,
    )


def unwrap_import_summary(body: Any) -> Mapping[str, Any]:
    """Return the ImportSummary inside a WebMessage, or ``body`` itself if it is a bare one."""
    if not isinstance(body, Mapping):
        raise ImportSummaryError(f"expected a JSON object, got {_snippet(body)}")
    inner = body.get("response")
    if isinstance(inner, Mapping) and (
        inner.get("responseType") == "ImportSummary" or "importCount" in inner
    ):
        return inner
    if body.get("responseType") == "ImportSummary" or "importCount" in body:
        return body
    message = body.get("message") or body.get("description")
    raise ImportSummaryError(
        "response is not an ImportSummary"
        + (f" (DHIS2 says: {message})" if message else "")
        + f": {_snippet(body)}"
    )


def parse_import_summary(
    body: Any,
    *,
    http_status: int | None = None,
    chunk: int = 0,
    values_sent: int = 0,
    groups_sent: int = 0,
    bytes_sent: int = 0,
    job_id: str | None = None,
) -> ChunkSummary:
    """Parse a WebMessage-wrapped or bare ImportSummary (JSON already decoded)."""
    summary = unwrap_import_summary(body)
    status = str(summary.get("status") or "").upper()
    if status not in ("SUCCESS", "WARNING", "ERROR"):
        raise ImportSummaryError(f"unknown ImportSummary status {status!r}: {_snippet(summary)}")
    count = summary.get("importCount") or {}
    conflicts = tuple(_conflict(c, chunk) for c in summary.get("conflicts") or ())
    return ChunkSummary(
        chunk=chunk,
        status=status,
        counts=ImportCount(
            _int(count, "imported"),
            _int(count, "updated"),
            _int(count, "ignored"),
            _int(count, "deleted"),
        ),
        conflicts=conflicts,
        description=summary.get("description"),
        http_status=http_status,
        rejected_indexes=tuple(int(i) for i in summary.get("rejectedIndexes") or ()),
        values_sent=values_sent,
        groups_sent=groups_sent,
        bytes_sent=bytes_sent,
        job_id=job_id,
    )


@dataclass(frozen=True)
class ImportResult:
    """The outcome of a push, aggregated over its chunks."""

    chunks: tuple[ChunkSummary, ...] = ()
    dry_run: bool = False
    import_strategy: str = "CREATE_AND_UPDATE"

    @property
    def status(self) -> str:
        """Worst inner status over all chunks (SUCCESS when nothing was sent)."""
        worst = "SUCCESS"
        for c in self.chunks:
            if _STATUS_RANK.get(c.status, 2) > _STATUS_RANK[worst]:
                worst = c.status
        return worst

    @property
    def counts(self) -> ImportCount:
        total = ImportCount()
        for c in self.chunks:
            total = total + c.counts
        return total

    imported = property(lambda self: self.counts.imported)
    updated = property(lambda self: self.counts.updated)
    ignored = property(lambda self: self.counts.ignored)
    deleted = property(lambda self: self.counts.deleted)

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return tuple(x for c in self.chunks for x in c.conflicts)

    @property
    def http_statuses(self) -> tuple[int | None, ...]:
        return tuple(c.http_status for c in self.chunks)

    @property
    def values_sent(self) -> int:
        return sum(c.values_sent for c in self.chunks)

    @property
    def description(self) -> str | None:
        """The description of the first non-successful chunk, else of the last one."""
        for c in self.chunks:
            if c.status != "SUCCESS" or c.conflicts:
                return c.description
        return self.chunks[-1].description if self.chunks else None

    @property
    def rejected_values(self) -> int:
        """Values DHIS2 did not store because of a problem, summed over chunks (see
        :attr:`ChunkSummary.rejected_values`): counted in values, never in conflicts."""
        return sum(c.rejected_values for c in self.chunks)

    def ok(self, tolerance: int = 0) -> bool:
        """True unless a chunk failed (ERROR) or more than ``tolerance`` *values* were rejected.

        Rejections count even when DHIS2 said SUCCESS (ADX-level conflicts in 2.39-2.41).
        """
        if any(c.status == "ERROR" for c in self.chunks):
            return False
        return self.rejected_values <= tolerance

    def merged(self, other: ImportResult) -> ImportResult:
        """Both results' chunks in one result (chunk numbers are kept as they were)."""
        return ImportResult(self.chunks + other.chunks, self.dry_run, self.import_strategy)

    def summary(self, max_conflicts: int = 5) -> str:
        """A short human summary: status, counts, and the first conflicts."""
        n = self.counts
        head = (
            f"{'DRY RUN ' if self.dry_run else ''}{self.status}: {n.imported} imported, "
            f"{n.updated} updated, {n.ignored} ignored, {n.deleted} deleted "
            f"({self.values_sent} values sent in {len(self.chunks)} request(s))"
        )
        conflicts = self.conflicts
        if not conflicts:
            errors = [c for c in self.chunks if c.status == "ERROR"]
            if errors:
                head += f"; chunk {errors[0].chunk} failed: {errors[0].description}"
            return head
        lines = [
            head + f"; {len(conflicts)} conflict(s) affecting {self.rejected_values} value(s):"
        ]
        lines += [f"  - {c}" for c in conflicts[:max_conflicts]]
        if len(conflicts) > max_conflicts:
            lines.append(f"  ... and {len(conflicts) - max_conflicts} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def combine(results: Iterable[ImportResult]) -> ImportResult:
    """One result holding every chunk of several pushes (e.g. one per period)."""
    out = ImportResult()
    for r in results:
        out = ImportResult(out.chunks + r.chunks, out.dry_run or r.dry_run, r.import_strategy)
    return out


# --- metadata ImportReport (POST /api/metadata) ------------------------------------------


@dataclass(frozen=True)
class MetadataError:
    klass: str | None
    message: str
    error_code: str | None = None
    property: str | None = None
    uid: str | None = None
    index: int | None = None

    def __str__(self) -> str:
        kind = (self.klass or "").rsplit(".", 1)[-1] or "object"
        ident = (
            f" {self.uid}" if self.uid else (f" #{self.index}" if self.index is not None else "")
        )
        code = f"{self.error_code} " if self.error_code else ""
        prop = f" (property {self.property})" if self.property else ""
        return f"{code}{kind}{ident}: {self.message}{prop}"


@dataclass(frozen=True)
class MetadataImportResult:
    status: str  # OK | WARNING | ERROR
    stats: Mapping[str, int]
    errors: tuple[MetadataError, ...] = ()
    http_status: int | None = None
    import_mode: str = "COMMIT"
    type_stats: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Reported, never raised: a per-combo option combo maintenance answered 409 WARNING (an obsolete
    # option combo could not be deleted) after the metadata import had already committed.
    option_combo_warnings: tuple[str, ...] = ()

    def ok(self) -> bool:
        return self.status == "OK" and not self.errors

    def summary(self, max_errors: int = 5) -> str:
        s = self.stats
        head = (
            f"metadata {self.import_mode} {self.status}: {s.get('created', 0)} created, "
            f"{s.get('updated', 0)} updated, {s.get('deleted', 0)} deleted, "
            f"{s.get('ignored', 0)} ignored"
        )
        if not self.errors:
            return head
        lines = [head + f"; {len(self.errors)} error(s):"]
        lines += [f"  - {e}" for e in self.errors[:max_errors]]
        if len(self.errors) > max_errors:
            lines.append(f"  ... and {len(self.errors) - max_errors} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def parse_metadata_report(
    body: Any, *, http_status: int | None = None, import_mode: str = "COMMIT"
) -> MetadataImportResult:
    """Parse the (WebMessage-wrapped or bare) ImportReport of ``POST /api/metadata``."""
    if not isinstance(body, Mapping):
        raise ImportSummaryError(f"expected a JSON object, got {_snippet(body)}")
    inner = body.get("response")
    report: Mapping[str, Any] = inner if isinstance(inner, Mapping) else body
    if "typeReports" not in report and "stats" not in report:
        message = body.get("message")
        raise ImportSummaryError(
            "response is not a metadata ImportReport"
            + (f" (DHIS2 says: {message})" if message else "")
            + f": {_snippet(body)}"
        )
    errors: list[MetadataError] = []
    type_stats: dict[str, Mapping[str, int]] = {}
    for tr in report.get("typeReports") or ():
        klass = tr.get("klass")
        if klass:
            type_stats[str(klass).rsplit(".", 1)[-1]] = dict(tr.get("stats") or {})
        for obj in tr.get("objectReports") or ():
            for er in obj.get("errorReports") or ():
                errors.append(
                    MetadataError(
                        klass=er.get("mainKlass") or obj.get("klass") or klass,
                        message=str(er.get("message") or ""),
                        error_code=er.get("errorCode"),
                        property=er.get("errorProperty"),
                        uid=obj.get("uid"),
                        index=obj.get("index"),
                    )
                )
    status = str(report.get("status") or body.get("status") or "").upper()
    return MetadataImportResult(
        status=status,
        stats={k: int(v) for k, v in dict(report.get("stats") or {}).items()},
        errors=tuple(errors),
        http_status=http_status,
        import_mode=import_mode,
        type_stats=type_stats,
    )
