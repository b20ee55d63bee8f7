"""Pushing data values: chunking by whole ADX groups, one POST per chunk, summaries combined.

ADX by default with ``categoryOptionComboIdScheme=UID`` (DHIS2 resolves categories and
options by code, then writes the option combo's UID: its generated COCs have no code).
WARNING and ERROR both arrive as HTTP 409 and are parsed, never retried (CONTRACT.md §5).
"""

from __future__ import annotations

import gzip as gzip_lib
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from adx.dhis2.chunking import iter_chunks
from adx.dhis2.connection import ADX_CONTENT_TYPE, JSON_CONTENT_TYPE, Connection
from adx.dhis2.http import DHIS2AuthError, DHIS2Error
from adx.dhis2.import_summary import (
    ChunkSummary,
    ImportCount,
    ImportResult,
    ImportSummaryError,
    parse_import_summary,
)
from adx.dhis2.jobs import JobFailedError, job_id_of, wait_for_job
from adx.dhis2.snapshot import ComboInfo, MetadataSnapshot
from adx.model import DataValue

log = logging.getLogger("adx.dhis2")

DEFAULT_MAX_BYTES = 4 * 1024 * 1024  # well under nginx's recommended 10M client_max_body_size
STRATEGIES = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
FORMATS = ("adx", "json")

# idScheme=CODE explicitly: 2.39-2.42 default ADX to CODE, but 2.43's DataEntryInput.fromAdxXml no longer
# does (UID default), so without it every code is an unknown UID there (E8104, whole request ERROR).
_ADX_SCHEMES = {"idScheme": "CODE", "categoryOptionComboIdScheme": "UID"}
_JSON_SCHEMES = {"idScheme": "CODE", "categoryOptionComboIdScheme": "UID"}

Serialiser = Callable[[list[DataValue]], bytes]


@dataclass(frozen=True)
class PushOptions:
    """How to push: format, import strategy, dry run, async, chunking.

    ``id_schemes`` override the defaults (ADX: ``idScheme=CODE`` + ``categoryOptionComboIdScheme=UID``; JSON:
    ``idScheme=CODE`` + ``categoryOptionComboIdScheme=UID``). ``async_timeout`` and
    ``poll_interval`` default to the client's (``DHIS2_ASYNC_TIMEOUT``/``DHIS2_POLL_INTERVAL``).
    """

    format: str = "adx"
    dry_run: bool = False
    import_strategy: str = "CREATE_AND_UPDATE"
    id_schemes: Mapping[str, str] = field(default_factory=dict)
    async_import: bool = False
    chunk_groups: int | None = None
    max_bytes: int | None = DEFAULT_MAX_BYTES
    gzip: bool = False
    async_timeout: float | None = None
    poll_interval: float | None = None
    extra_params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be 'adx' or 'json', not {self.format!r}")
        if self.import_strategy not in STRATEGIES:
            raise ValueError(
                f"import_strategy must be one of {STRATEGIES}, not {self.import_strategy!r}"
            )

    def with_(self, **changes: Any) -> PushOptions:
        return replace(self, **changes)

    def params(self) -> dict[str, str]:
        """The query parameters of every ``POST /api/dataValueSets`` of this push."""
        schemes = dict(_ADX_SCHEMES if self.format == "adx" else _JSON_SCHEMES)
        schemes.update(self.id_schemes)
        return {
            **schemes,
            "importStrategy": self.import_strategy,
            "dryRun": "true" if self.dry_run else "false",
            "async": "true" if self.async_import else "false",
            **self.extra_params,
        }


class PushError(DHIS2Error):
    """A push stopped part-way; ``partial`` holds the summaries of the chunks already sent."""

    def __init__(self, message: str, partial: ImportResult, *, status: int | None = None):
        super().__init__(message, status=status)
        self.partial = partial


@dataclass(frozen=True)
class PushProgress:
    """Reported to a push's ``progress`` callback after each step."""

    chunk: int
    stage: str  # "sent" | "polling" | "done"
    values_sent: int  # cumulative, including this chunk
    message: str = ""


@dataclass(frozen=True)
class _Chunk:
    """One body being posted: its position and size, for summaries, logs and progress."""

    index: int
    values: int
    groups: int
    cumulative: int


def push(
    conn: Connection,
    values: Iterable[DataValue],
    options: PushOptions,
    *,
    data_sets: Any = None,
    metadata: MetadataSnapshot | None = None,
    progress: Callable[[PushProgress], None] | None = None,
) -> ImportResult:
    """Send data values, chunked by whole ADX groups, and return the aggregated summary.

    ``values``: a list (sorted here) or an iterator already sorted by group
    (``adx.adx_xml.sort_values``). JSON needs the option combo UIDs: pass ``metadata`` or it is
    read from DHIS2. ``data_sets`` goes to the ADX writer. Conflicts do not raise: inspect
    ``result.ok()``. Transport failures after retries raise PushError with the chunks already
    done in ``partial``.
    """
    if options.format == "json":
        if metadata is None:
            from adx.dhis2.metadata_api import metadata_snapshot

            values = list(values) if not isinstance(values, Sequence) else values
            metadata = metadata_snapshot(conn, sorted({v.data_set for v in values}))
        serialise = _json_serialiser(metadata)
    else:
        serialise = _adx_serialiser(data_sets)
    summaries: list[ChunkSummary] = []
    sent = 0
    index = 0
    try:
        for chunk in iter_chunks(
            values, max_groups=options.chunk_groups, max_bytes=options.max_bytes
        ):
            for body, n_values, n_groups in _bodies(chunk, serialise, options.max_bytes):
                info = _Chunk(index, n_values, n_groups, sent + n_values)
                summary = _post_chunk(conn, body, options, info, progress)
                sent += n_values
                summaries.append(summary)
                if progress:
                    progress(PushProgress(index, "done", sent, summary.status))
                index += 1
    except DHIS2AuthError:
        raise  # credentials problem: nothing about chunks to add
    except (DHIS2Error, ValueError) as exc:
        # ValueError: a value the writers refuse (run pre-flight first) or unsorted input.
        partial = ImportResult(tuple(summaries), options.dry_run, options.import_strategy)
        raise PushError(
            f"push stopped at chunk {index} after {len(summaries)} chunk(s) "
            f"({partial.values_sent} values) were answered: {exc}",
            partial,
            status=getattr(exc, "status", None),
        ) from None
    return ImportResult(tuple(summaries), options.dry_run, options.import_strategy)


def _bodies(
    chunk: list[list[DataValue]], serialise: Serialiser, max_bytes: int | None
) -> Iterator[tuple[bytes, int, int]]:
    """Serialised bodies for a chunk; an over-size chunk is halved (by groups) until it fits."""
    flat = [v for g in chunk for v in g]
    body = serialise(flat)
    if max_bytes is None or len(body) <= max_bytes or len(chunk) == 1:
        if max_bytes is not None and len(body) > max_bytes:
            first = flat[0]
            log.warning(
                "one ADX group (%s/%s/%s) is %d bytes, over the %d byte cap; sent whole",
                first.data_set, first.org_unit, first.period, len(body), max_bytes,
            )  # fmt: skip
        yield body, len(flat), len(chunk)
        return
    half = len(chunk) // 2
    yield from _bodies(chunk[:half], serialise, max_bytes)
    yield from _bodies(chunk[half:], serialise, max_bytes)


def _adx_serialiser(data_sets: Any) -> Serialiser:
    from adx.adx_xml import write_adx

    def serialise(values: list[DataValue]) -> bytes:
        out = io.BytesIO()
        if data_sets is None:
            write_adx(values, out)
        else:
            write_adx(values, out, data_sets=data_sets)
        return out.getvalue()

    return serialise


def _json_serialiser(snapshot: MetadataSnapshot) -> Serialiser:
    """JSON needs option combo UIDs: resolve (element or data set, options) via the snapshot."""
    from adx.dvs_json import write_json

    combos: dict[str, ComboInfo] = {}
    for ds in snapshot.data_sets.values():
        for de in ds.elements.values():
            combos.setdefault(de.code, de.combo)
    attribute_combos = {ds.code: ds.attribute_combo for ds in snapshot.data_sets.values()}

    def coc_for(owner: str, options: tuple[tuple[str, str], ...]) -> str:
        # write_json asks (data element, category options) and (data set, attribute options).
        combo = combos.get(owner) or attribute_combos.get(owner)
        uid = combo.coc_uid(options) if combo is not None else None
        if uid is None:
            raise DHIS2Error(
                f"no category option combo in DHIS2 for {owner} {dict(options)}; run "
                "pre-flight validation and the category option combo maintenance"
            )
        return uid

    def serialise(values: list[DataValue]) -> bytes:
        out = io.BytesIO()
        write_json(values, out, coc_for=coc_for)
        return out.getvalue()

    return serialise


def _post_chunk(
    conn: Connection,
    body: bytes,
    options: PushOptions,
    chunk: _Chunk,
    progress: Callable[[PushProgress], None] | None,
) -> ChunkSummary:
    raw_size = len(body)
    if options.gzip:
        body = gzip_lib.compress(body, compresslevel=6)
    content_type = ADX_CONTENT_TYPE if options.format == "adx" else JSON_CONTENT_TYPE
    # No Content-Encoding header: DHIS2 detects a gzip body by its magic bytes.
    headers = {"Content-Type": content_type}
    response = conn.request(
        "POST", "dataValueSets", params=options.params(), data=body, headers=headers
    )
    status = response.status_code
    if progress:
        progress(PushProgress(chunk.index, "sent", chunk.cumulative, f"HTTP {status}"))
    if status not in (200, 201, 202, 409):
        raise DHIS2Error(
            f"POST dataValueSets (chunk {chunk.index}) failed: HTTP {status} {conn.message(response)}",
            status=status,
        )
    payload = conn.json(response, f"POST dataValueSets (chunk {chunk.index})")
    info = {
        "chunk": chunk.index,
        "values_sent": chunk.values,
        "groups_sent": chunk.groups,
        "bytes_sent": len(body),
        "http_status": status,
    }
    job_id = None
    if options.async_import and status < 300:
        job_id = job_id_of(payload)
        try:
            payload = _job_summary(conn, job_id, options, chunk, progress)
        except JobFailedError as exc:
            return ChunkSummary(
                chunk=chunk.index, status="ERROR", counts=ImportCount(), description=str(exc),
                http_status=200, values_sent=0, job_id=job_id,
            )  # fmt: skip
    try:
        summary = parse_import_summary(payload, job_id=job_id, **info)
    except ImportSummaryError as exc:
        raise DHIS2Error(
            f"POST dataValueSets (chunk {chunk.index}): HTTP {status}, {conn.redact(exc)}",
            status=status,
        ) from None
    _log_chunk(summary, chunk, raw_size, len(body) if options.gzip else None)
    return summary


def _job_summary(
    conn: Connection,
    job_id: str,
    options: PushOptions,
    chunk: _Chunk,
    progress: Callable[[PushProgress], None] | None,
) -> Any:
    def on_message(message: str) -> None:
        if progress:
            progress(PushProgress(chunk.index, "polling", chunk.cumulative, message))

    return wait_for_job(
        conn,
        job_id,
        what=f"chunk {chunk.index}",
        timeout=conn.async_timeout if options.async_timeout is None else options.async_timeout,
        interval=conn.poll_interval if options.poll_interval is None else options.poll_interval,
        on_message=on_message,
        summary_timeout=conn.summary_timeout,
    )


def _log_chunk(summary: ChunkSummary, chunk: _Chunk, raw_size: int, gzipped: int | None) -> None:
    counts = summary.counts
    log.info(
        "chunk %d: %d values, %d bytes%s -> HTTP %s %s (%d imported, %d updated, "
        "%d ignored, %d deleted, %d conflicts)",
        chunk.index, chunk.values, raw_size, f" ({gzipped} gzipped)" if gzipped else "",
        summary.http_status, summary.status, counts.imported, counts.updated, counts.ignored,
        counts.deleted, len(summary.conflicts),
    )  # fmt: skip
