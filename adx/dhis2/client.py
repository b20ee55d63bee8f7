"""A DHIS2 Web API client for aggregate data: push, async import, read-back, metadata.

Built to CONTRACT.md (DHIS2 2.38-2.41): ADX by default with
``categoryOptionComboIdScheme=UID`` (DHIS2 resolves categories/options by code, then writes
the option combo's UID - its generated COCs have no code); WARNING and ERROR both arrive as
HTTP 409 and are parsed, never retried; redirects are never followed (no credentials = a
302 to the login page); credentials never appear in ``repr``, logs or exception texts.
"""

from __future__ import annotations

import gzip as gzip_lib
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from adx.dhis2.chunking import iter_chunks
from adx.dhis2.http import (
    DHIS2AuthError,
    DHIS2ConnectionError,
    DHIS2Error,
    DHIS2VersionError,
    Redactor,
    RetryPolicy,
    send,
    split_userinfo,
)
from adx.dhis2.import_summary import (
    ChunkSummary,
    ImportCount,
    ImportResult,
    ImportSummaryError,
    MetadataImportResult,
    parse_import_summary,
    parse_metadata_report,
)
from adx.model import DataValue
from adx.dhis2.snapshot import MetadataSnapshot

log = logging.getLogger("adx.dhis2")

SUPPORTED_VERSIONS = ((2, 38), (2, 41))
ADX_CONTENT_TYPE = "application/adx+xml"
JSON_CONTENT_TYPE = "application/json"
DEFAULT_MAX_BYTES = 4 * 1024 * 1024  # well under nginx's recommended 10M client_max_body_size
STRATEGIES = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")

_ADX_SCHEMES = {"categoryOptionComboIdScheme": "UID"}
_JSON_SCHEMES = {"idScheme": "CODE", "categoryOptionComboIdScheme": "UID"}

__all__ = [
    "DHIS2AuthError",
    "DHIS2Client",
    "DHIS2ConnectionError",
    "DHIS2Error",
    "DHIS2VersionError",
    "PushError",
    "PushProgress",
    "RetryPolicy",
]


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


class _ApiTokenAuth(requests.auth.AuthBase):
    """``Authorization: ApiToken d2pat_...`` (not Bearer, CONTRACT.md §3.7)."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"ApiToken {self._token}"
        return r

    def __repr__(self) -> str:
        return "ApiTokenAuth(***)"


class _BasicAuth(requests.auth.HTTPBasicAuth):
    def __repr__(self) -> str:
        return f"BasicAuth({self.username!r}, ***)"


def parse_version(text: str) -> tuple[int, int, int]:
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not m:
        raise DHIS2VersionError(f"cannot read the DHIS2 version from {text!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


class DHIS2Client:
    """Talks to one DHIS2 instance. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: tuple[float, float] | float = (10, 300),
        verify: bool | str = True,
        retries: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        url, url_user, url_password = split_userinfo(base_url.strip())
        username = username or url_user
        password = password or url_password
        self.base_url = url.rstrip("/")
        if self.base_url.endswith("/api"):
            self.base_url = self.base_url[: -len("/api")]
        self.timeout = timeout
        self.verify = verify
        self.retries = retries or RetryPolicy()
        self._sleep = sleep
        self._session = session or requests.Session()
        self._owns_session = session is None
        basic_secret = None
        if token:
            self._auth: requests.auth.AuthBase | None = _ApiTokenAuth(token)
            self._auth_kind = "token"
        elif username and password:
            self._auth = _BasicAuth(username, password)
            self._auth_kind = f"basic user {username!r}"
            import base64

            basic_secret = base64.b64encode(f"{username}:{password}".encode()).decode()
        else:
            self._auth = None
            self._auth_kind = "no credentials"
        self._redact = Redactor([token, password, basic_secret])
        self._version: tuple[int, int, int] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> DHIS2Client:
        """From ``DHIS2_URL`` + ``DHIS2_TOKEN`` or ``DHIS2_USERNAME``/``DHIS2_PASSWORD``
        (``DHIS2_VERIFY``: ``false`` or a CA bundle path)."""
        env = os.environ if environ is None else environ
        url = env.get("DHIS2_URL")
        if not url:
            raise DHIS2Error("DHIS2_URL is not set")
        verify: bool | str = env.get("DHIS2_VERIFY", "true")
        verify = {"true": True, "1": True, "false": False, "0": False}.get(
            str(verify).lower(), verify
        )
        return cls(
            url,
            token=env.get("DHIS2_TOKEN") or None,
            username=env.get("DHIS2_USERNAME") or None,
            password=env.get("DHIS2_PASSWORD") or None,
            verify=verify,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"DHIS2Client({self.base_url!r}, auth={self._auth_kind})"

    def __enter__(self) -> DHIS2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # --- transport ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request with retries and auth handling; 3xx/401/403 raise DHIS2AuthError."""
        url = self._url(path)
        headers = {"Accept": JSON_CONTENT_TYPE, **(kwargs.pop("headers", None) or {})}
        response = send(
            self._session,
            method,
            url,
            retry=self.retries,
            redact=self._redact,
            timeout=self.timeout,
            verify=self.verify,
            sleep=self._sleep,
            auth=self._auth,
            headers=headers,
            **kwargs,
        )
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "")
            hint = "login page" if "login" in target.lower() else f"{self._redact(target)!r}"
            raise DHIS2AuthError(
                f"not authenticated: DHIS2 redirected {method} {path} to its {hint} (HTTP {status}); "
                "check DHIS2_TOKEN / DHIS2_USERNAME+DHIS2_PASSWORD (and that DHIS2_URL is the "
                "server's base URL)",
                status=status,
            )
        if status == 401:
            raise DHIS2AuthError(
                f"authentication failed (HTTP 401: {self._message(response) or 'Unauthorized'}); "
                "check DHIS2_TOKEN / DHIS2_USERNAME+DHIS2_PASSWORD",
                status=status,
            )
        if status == 403:
            raise DHIS2AuthError(
                f"not authorised: {method} {path} -> HTTP 403 ({self._message(response)}); the "
                "DHIS2 user needs the authority for this operation",
                status=status,
            )
        return response

    def _message(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return self._redact(response.text[:200].strip())
        if isinstance(body, Mapping):
            return self._redact(body.get("message") or body.get("httpStatus") or "")
        return ""

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            ctype = response.headers.get("Content-Type", "?")
            raise DHIS2Error(
                f"{what}: expected JSON, got HTTP {response.status_code} {ctype}: "
                f"{self._redact(response.text[:200])!r}",
                status=response.status_code,
            ) from None

    def get_json(self, path: str, params: Any = None) -> Any:
        response = self.request("GET", path, params=params)
        if response.status_code >= 400:
            raise DHIS2Error(
                f"GET {path} failed: HTTP {response.status_code} {self._message(response)}",
                status=response.status_code,
            )
        return self._json(response, f"GET {path}")

    # --- system ---------------------------------------------------------------------------

    def system_info(self, *, check_version: bool = True, strict: bool = False) -> dict:
        """``GET /api/system/info``; checks the version against 2.38-2.41.

        Older than 2.38 is refused (no WebMessage envelope, other task categories). Newer
        than 2.41 logs a warning (2.42 makes ADX-level problems fatal, 2.43 rewrote import,
        CONTRACT.md §1.8), or is refused with ``strict=True``.
        """
        info = self.get_json("system/info")
        version = str(info.get("version", ""))
        self._version = parse_version(version)
        if check_version:
            major_minor = self._version[:2]
            low, high = SUPPORTED_VERSIONS
            if major_minor < low:
                raise DHIS2VersionError(
                    f"DHIS2 {version} is not supported: this client needs 2.38-2.41 "
                    "(upgrade DHIS2 or pass check_version=False at your own risk)"
                )
            if major_minor > high:
                message = (
                    f"DHIS2 {version} is newer than the tested 2.38-2.41: ADX error handling "
                    "changed in 2.42/2.43 (CONTRACT.md §1.8); verify a dry run first"
                )
                if strict:
                    raise DHIS2VersionError(message)
                log.warning(message)
        return info

    # --- data value push ------------------------------------------------------------------

    def push(
        self,
        values: Iterable[DataValue],
        *,
        format: str = "adx",
        dry_run: bool = False,
        import_strategy: str = "CREATE_AND_UPDATE",
        id_schemes: Mapping[str, str] | None = None,
        async_: bool = False,
        chunk_groups: int | None = None,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        gzip: bool = False,
        data_sets: Any = None,
        metadata: MetadataSnapshot | None = None,
        progress: Callable[[PushProgress], None] | None = None,
        async_timeout: float = 3600.0,
        poll_interval: float = 1.0,
        extra_params: Mapping[str, str] | None = None,
    ) -> ImportResult:
        """Send data values, chunked by whole ADX groups, and return the aggregated summary.

        ``values``: a list (sorted here) or an iterator already sorted by group
        (``adx.dhis2.chunking.sort_values``). ``format``: ``adx`` (default) or ``json`` (needs the
        option combo UIDs: pass ``metadata`` or it is read from DHIS2). ``id_schemes``
        override the defaults (ADX: ``categoryOptionComboIdScheme=UID``; JSON: ``idScheme=CODE``
        + ``categoryOptionComboIdScheme=UID``). ``data_sets`` is passed to the ADX writer.
        Conflicts do not raise: inspect ``result.ok()``. Transport failures after retries
        raise PushError with the chunks already done in ``partial``.
        """
        if format not in ("adx", "json"):
            raise ValueError(f"format must be 'adx' or 'json', not {format!r}")
        if import_strategy not in STRATEGIES:
            raise ValueError(
                f"import_strategy must be one of {STRATEGIES}, not {import_strategy!r}"
            )
        schemes = dict(_ADX_SCHEMES if format == "adx" else _JSON_SCHEMES)
        schemes.update(id_schemes or {})
        params = {
            **schemes,
            "importStrategy": import_strategy,
            "dryRun": "true" if dry_run else "false",
            "async": "true" if async_ else "false",
            **(extra_params or {}),
        }
        content_type = ADX_CONTENT_TYPE if format == "adx" else JSON_CONTENT_TYPE
        serialise = self._adx_serialiser(data_sets) if format == "adx" else None
        summaries: list[ChunkSummary] = []
        sent = 0

        def result() -> ImportResult:
            return ImportResult(tuple(summaries), dry_run, import_strategy)

        if format == "json":
            if metadata is None:
                values = list(values) if not isinstance(values, Sequence) else values
                metadata = self.metadata_snapshot(sorted({v.data_set for v in values}))
            serialise = self._json_serialiser(metadata)
        chunks = iter_chunks(values, max_groups=chunk_groups, max_bytes=max_bytes)
        index = 0
        try:
            for chunk in chunks:
                for body, n_values, n_groups in self._bodies(chunk, serialise, max_bytes):
                    raw_size = len(body)
                    if gzip:
                        body = gzip_lib.compress(body, compresslevel=6)
                    summary = self._post_chunk(
                        body,
                        content_type,
                        params,
                        chunk=index,
                        values_sent=n_values,
                        groups_sent=n_groups,
                        async_=async_,
                        async_timeout=async_timeout,
                        poll_interval=poll_interval,
                        progress=progress,
                        cumulative=sent + n_values,
                    )
                    sent += n_values
                    summaries.append(summary)
                    log.info(
                        "chunk %d: %d values, %d bytes%s -> HTTP %s %s (%d imported, %d updated, "
                        "%d ignored, %d deleted, %d conflicts)",
                        index,
                        n_values,
                        raw_size,
                        f" ({len(body)} gzipped)" if gzip else "",
                        summary.http_status,
                        summary.status,
                        summary.counts.imported,
                        summary.counts.updated,
                        summary.counts.ignored,
                        summary.counts.deleted,
                        len(summary.conflicts),
                    )
                    if progress:
                        progress(PushProgress(index, "done", sent, summary.status))
                    index += 1
        except DHIS2AuthError:
            raise  # credentials problem: nothing about chunks to add
        except (DHIS2Error, ValueError) as exc:
            # ValueError: a value the writers refuse (run pre-flight first) or unsorted input.
            partial = result()
            raise PushError(
                f"push stopped at chunk {index} after {len(summaries)} chunk(s) "
                f"({partial.values_sent} values) were answered: {exc}",
                partial,
                status=getattr(exc, "status", None),
            ) from None
        return result()

    def _bodies(
        self,
        chunk: list[list[DataValue]],
        serialise: Callable[[list[DataValue]], bytes],
        max_bytes: int | None,
    ) -> Iterator[tuple[bytes, int, int]]:
        """Serialised bodies for a chunk; an over-size chunk is halved (by groups) until it fits."""
        flat = [v for g in chunk for v in g]
        body = serialise(flat)
        if max_bytes is None or len(body) <= max_bytes or len(chunk) == 1:
            if max_bytes is not None and len(body) > max_bytes:
                log.warning(
                    "one ADX group (%s/%s/%s) is %d bytes, over the %d byte cap; sent whole",
                    flat[0].data_set,
                    flat[0].org_unit,
                    flat[0].period,
                    len(body),
                    max_bytes,
                )
            yield body, len(flat), len(chunk)
            return
        half = len(chunk) // 2
        yield from self._bodies(chunk[:half], serialise, max_bytes)
        yield from self._bodies(chunk[half:], serialise, max_bytes)

    @staticmethod
    def _adx_serialiser(data_sets: Any) -> Callable[[list[DataValue]], bytes]:
        from adx.adx_xml import write_adx

        def serialise(values: list[DataValue]) -> bytes:
            out = io.BytesIO()
            if data_sets is None:
                write_adx(values, out)
            else:
                write_adx(values, out, data_sets=data_sets)
            return out.getvalue()

        return serialise

    @staticmethod
    def _json_serialiser(snapshot: MetadataSnapshot) -> Callable[[list[DataValue]], bytes]:
        """JSON needs option combo UIDs: resolve (element or data set, options) via the snapshot."""
        from adx.dvs_json import write_json

        combos = {}
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
        self,
        body: bytes,
        content_type: str,
        params: Mapping[str, str],
        *,
        chunk: int,
        values_sent: int,
        groups_sent: int,
        async_: bool,
        async_timeout: float,
        poll_interval: float,
        progress: Callable[[PushProgress], None] | None,
        cumulative: int,
    ) -> ChunkSummary:
        response = self.request(
            "POST",
            "dataValueSets",
            params=params,
            data=body,
            headers={"Content-Type": content_type},
        )
        if progress:
            progress(PushProgress(chunk, "sent", cumulative, f"HTTP {response.status_code}"))
        info = {
            "chunk": chunk,
            "values_sent": values_sent,
            "groups_sent": groups_sent,
            "bytes_sent": len(body),
        }
        status = response.status_code
        if status not in (200, 201, 202, 409):
            raise DHIS2Error(
                f"POST dataValueSets (chunk {chunk}) failed: HTTP {status} {self._message(response)}",
                status=status,
            )
        payload = self._json(response, f"POST dataValueSets (chunk {chunk})")
        if async_ and status < 300:
            job_id = self._job_id(payload)
            summary_body = self._wait_for_job(
                job_id, chunk, async_timeout, poll_interval, progress, cumulative
            )
            if isinstance(summary_body, ChunkSummary):
                return summary_body
            return parse_import_summary(summary_body, http_status=status, job_id=job_id, **info)
        try:
            return parse_import_summary(payload, http_status=status, **info)
        except ImportSummaryError as exc:
            raise DHIS2Error(
                f"POST dataValueSets (chunk {chunk}): HTTP {status}, {self._redact(exc)}",
                status=status,
            ) from None

    @staticmethod
    def _job_id(payload: Any) -> str:
        response = payload.get("response") if isinstance(payload, Mapping) else None
        job_id = response.get("id") if isinstance(response, Mapping) else None
        if not job_id and isinstance(response, Mapping):
            endpoint = response.get("relativeNotifierEndpoint") or ""
            job_id = endpoint.rstrip("/").rsplit("/", 1)[-1] or None
        if not job_id:
            raise DHIS2Error(f"async import did not return a job id: {str(payload)[:300]}")
        return str(job_id)

    def _wait_for_job(
        self,
        job_id: str,
        chunk: int,
        timeout: float,
        interval: float,
        progress: Callable[[PushProgress], None] | None,
        cumulative: int,
    ) -> Any:
        """Poll ``/api/system/tasks/DATAVALUE_IMPORT/{id}`` until completed, then fetch the
        bare ImportSummary from ``taskSummaries`` (empty until available)."""
        deadline = time.monotonic() + timeout
        wait = interval
        last_message = ""
        while True:
            notes = self.get_json(f"system/tasks/DATAVALUE_IMPORT/{job_id}")
            if isinstance(notes, list) and notes:
                newest = notes[0]
                last_message = str(newest.get("message") or "")
                if progress:
                    progress(PushProgress(chunk, "polling", cumulative, last_message))
                if newest.get("completed"):
                    failed = str(newest.get("level", "")).upper() == "ERROR"
                    break
            if time.monotonic() > deadline:
                raise DHIS2Error(
                    f"async import job {job_id} (chunk {chunk}) not completed after {timeout:.0f}s; "
                    f"last message: {last_message!r}. It may still finish: check "
                    f"/api/system/tasks/DATAVALUE_IMPORT/{job_id}"
                )
            self._sleep(wait)
            wait = min(wait * 1.5, 10.0)
        for _ in range(20):
            response = self.request("GET", f"system/taskSummaries/DATAVALUE_IMPORT/{job_id}")
            if response.status_code == 200 and response.content.strip():
                body = self._json(response, f"task summary of job {job_id}")
                if body:
                    return body
            if time.monotonic() > deadline:
                break
            self._sleep(interval)
        if failed:
            return ChunkSummary(
                chunk=chunk,
                status="ERROR",
                counts=ImportCount(),
                description=f"async import job {job_id} failed: {last_message}",
                http_status=200,
                values_sent=0,
                job_id=job_id,
            )
        raise DHIS2Error(
            f"async import job {job_id} (chunk {chunk}) completed but has no import summary"
        )

    def delete_values(self, values: Iterable[DataValue], **kwargs: Any) -> ImportResult:
        """Remove values from DHIS2 (``importStrategy=DELETE``; soft delete, like DHIS2's UI)."""
        return self.push(values, import_strategy="DELETE", **kwargs)

    # --- read-back ------------------------------------------------------------------------

    def read_values(
        self,
        data_set: str,
        periods: Iterable[str],
        org_units: Iterable[str],
        format: str = "adx",
        *,
        include_deleted: bool = False,
        batch: int = 100,
        data_sets: Mapping[str, Any] | None = None,
    ) -> list[DataValue]:
        """Current values of a data set (by code) for periods and org units (by code).

        ``format="json"`` reads DHIS2's JSON export and maps option combo UIDs back through a
        metadata snapshot (one extra round of metadata reads). ADX read-back maps straight to DataValues via category codes. DHIS2's own ADX export
        has no ``exported`` attribute, so it is parsed, not XSD-validated (CONTRACT.md §6.18).
        Org units are asked in batches to keep URLs short. ``data_sets`` (code ->
        DataSetDefinition) lets the reader order category options and read text values.
        """
        if format not in ("adx", "json"):
            raise ValueError(f"format must be 'adx' or 'json', not {format!r}")
        from adx.adx_xml import read_adx

        periods = sorted(set(periods))
        ous = sorted(set(org_units))
        out: list[DataValue] = []
        if not periods or not ous:
            return out
        if format == "json":
            return self._read_values_json(data_set, periods, ous, include_deleted, batch)
        for i in range(0, len(ous), batch):
            params: list[tuple[str, str]] = [("dataSet", data_set)]
            params += [("period", p) for p in periods]
            params += [("orgUnit", o) for o in ous[i : i + batch]]
            if include_deleted:
                params.append(("includeDeleted", "true"))
            response = self.request(
                "GET", "dataValueSets", params=params, headers={"Accept": ADX_CONTENT_TYPE}
            )
            if response.status_code != 200:
                raise DHIS2Error(
                    f"read-back of {data_set} failed: HTTP {response.status_code} "
                    f"{self._message(response)} (data set and org units are looked up by code; "
                    "unknown ones are silently dropped by DHIS2, then E2001/E2006 fire)",
                    status=response.status_code,
                )
            for v in read_adx(io.BytesIO(response.content), data_sets=data_sets):
                if not v.data_set:
                    v = DataValue(
                        data_set, v.period, v.org_unit, v.data_element, v.value,
                        v.category_options, v.attribute_options, v.comment,
                    )  # fmt: skip
                out.append(v)
        return out

    def _read_values_json(
        self, data_set: str, periods: list[str], ous: list[str], include_deleted: bool, batch: int
    ) -> list[DataValue]:
        """JSON read-back: codes for elements and org units, option combo UIDs mapped back to
        category options through a metadata snapshot of the data set."""
        snapshot = self.metadata_snapshot([data_set])
        ds = snapshot.data_sets.get(data_set)
        if ds is None:
            raise DHIS2Error(f"read-back: data set {data_set!r} not found in DHIS2 (by code)")
        out: list[DataValue] = []
        for i in range(0, len(ous), batch):
            params: list[tuple[str, str]] = [("dataSet", data_set), ("idScheme", "CODE")]
            params += [("categoryOptionComboIdScheme", "UID")]
            params += [("period", p) for p in periods] + [
                ("orgUnit", o) for o in ous[i : i + batch]
            ]
            if include_deleted:
                params.append(("includeDeleted", "true"))
            body = self.get_json("dataValueSets", params)
            for row in body.get("dataValues") or ():
                de = ds.elements.get(row.get("dataElement"))
                if de is None:
                    continue  # only the data set's elements, as in DHIS2's ADX export
                cos = de.combo.options_of(row.get("categoryOptionCombo") or "")
                aos = ds.attribute_combo.options_of(row.get("attributeOptionCombo") or "")
                if cos is None or aos is None:
                    raise DHIS2Error(
                        f"read-back: option combo {row.get('categoryOptionCombo')!r}/"
                        f"{row.get('attributeOptionCombo')!r} of {de.code} is not in its category "
                        "combo; re-run the category option combo maintenance"
                    )
                out.append(
                    DataValue(
                        data_set,
                        row["period"],
                        row["orgUnit"],
                        de.code,
                        row.get("value") or "",
                        cos,
                        aos,
                        row.get("comment"),
                    )  # fmt: skip
                )
        return out

    # --- metadata -------------------------------------------------------------------------

    def get_list(
        self,
        endpoint: str,
        key: str,
        params: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
    ) -> list[dict]:
        """All objects of a metadata list: ``paging=false``, or a pager loop with ``page_size``."""
        if page_size is None:
            body = self.get_json(endpoint, [*params, ("paging", "false")])
            return list(body.get(key) or [])
        out: list[dict] = []
        page = 1
        while True:
            body = self.get_json(
                endpoint, [*params, ("page", str(page)), ("pageSize", str(page_size))]
            )
            out.extend(body.get(key) or [])
            pager = body.get("pager") or {}
            if page >= int(pager.get("pageCount") or 1) or not body.get(key):
                return out
            page += 1

    _COMBO_FIELDS = "id,code,categories[id,code,categoryOptions[id,code]]"

    def get_data_sets(self, codes: Iterable[str]) -> list[dict]:
        """Data sets by code with elements, their combos, attribute combo and org units."""
        codes = sorted(set(codes))
        if not codes:
            return []
        fields = (
            "id,code,name,periodType,openFuturePeriods,expiryDays,"
            f"categoryCombo[{self._COMBO_FIELDS}],"
            "dataSetElements[dataElement[id,code,valueType,zeroIsSignificant,"
            f"categoryCombo[{self._COMBO_FIELDS}]],categoryCombo[id]],"
            "organisationUnits[id,code]"
        )
        out: list[dict] = []
        for flt in _code_filters(codes, 50):
            out += self.get_list(
                "dataSets",
                "dataSets",
                [("filter", flt), ("fields", fields)],
            )
        return out

    def get_category_option_combos(self, combo_ids: Iterable[str]) -> list[dict]:
        """Option combos of category combos (by UID), with their options' codes."""
        out: list[dict] = []
        for combo_id in sorted(set(combo_ids)):
            out += self.get_list(
                "categoryOptionCombos",
                "categoryOptionCombos",
                [
                    ("filter", f"categoryCombo.id:eq:{combo_id}"),
                    ("fields", "id,code,name,categoryCombo[id],categoryOptions[id,code]"),
                ],
            )
        for coc in out:  # older servers may not echo categoryCombo: it is implied by the filter
            coc.setdefault("categoryCombo", {})
        return out

    def get_org_units(self, codes: Iterable[str], *, page_size: int | None = None) -> list[dict]:
        out: list[dict] = []
        for flt in _code_filters(sorted(set(codes)), 100):
            out += self.get_list(
                "organisationUnits",
                "organisationUnits",
                [
                    ("filter", flt),
                    ("fields", "id,code,name,path,openingDate,closedDate"),
                ],
                page_size=page_size,
            )
        return out

    def metadata_snapshot(
        self, data_sets: Iterable[str], org_units: Iterable[str] | None = None
    ) -> MetadataSnapshot:
        """What pre-flight validation and JSON pushes need, read from DHIS2."""
        ds_json = self.get_data_sets(data_sets)
        combo_ids = set()
        for ds in ds_json:
            combo_ids.add((ds.get("categoryCombo") or {}).get("id"))
            for dse in ds.get("dataSetElements") or ():
                combo_ids.add(((dse.get("dataElement") or {}).get("categoryCombo") or {}).get("id"))
        combo_ids.discard(None)
        combo_ids.discard("bjDvmb4bfuf")
        cocs: list[dict] = []
        for combo_id in sorted(combo_ids):
            for coc in self.get_category_option_combos([combo_id]):
                coc["categoryCombo"] = {"id": combo_id}
                cocs.append(coc)
        ou_json = None if org_units is None else self.get_org_units(org_units)
        return MetadataSnapshot.from_dhis2(ds_json, cocs, ou_json)

    def post_metadata(
        self,
        bundle: Mapping[str, Any],
        import_mode: str = "COMMIT",
        *,
        atomic_mode: str = "ALL",
        import_strategy: str = "CREATE_AND_UPDATE",
        update_option_combos: bool = True,
    ) -> MetadataImportResult:
        """``POST /api/metadata``, then (on a successful COMMIT) the option combo maintenance
        for the bundle's category combos (``/api/metadata`` does not generate COCs in 2.38-2.41)."""
        if import_mode not in ("COMMIT", "VALIDATE"):
            raise ValueError(f"import_mode must be COMMIT or VALIDATE, not {import_mode!r}")
        response = self.request(
            "POST",
            "metadata",
            params={
                "importMode": import_mode,
                "atomicMode": atomic_mode,
                "importStrategy": import_strategy,
            },
            data=json.dumps(bundle).encode(),
            headers={"Content-Type": JSON_CONTENT_TYPE},
        )
        if response.status_code not in (200, 409):
            raise DHIS2Error(
                f"POST metadata failed: HTTP {response.status_code} {self._message(response)}",
                status=response.status_code,
            )
        body = self._json(response, "POST metadata")
        try:
            result = parse_metadata_report(
                body, http_status=response.status_code, import_mode=import_mode
            )
        except ImportSummaryError as exc:
            raise DHIS2Error(
                f"POST metadata: {self._redact(exc)}", status=response.status_code
            ) from None
        if import_mode == "COMMIT" and result.ok() and update_option_combos:
            combos = [c["id"] for c in bundle.get("categoryCombos") or () if c.get("id")]
            self.update_category_option_combos(combos or None)
        return result

    def update_category_option_combos(self, combo_ids: Iterable[str] | None = None) -> None:
        """``POST /api/maintenance/categoryOptionComboUpdate`` (all, or per category combo)."""
        paths = (
            ["maintenance/categoryOptionComboUpdate"]
            if combo_ids is None
            else [f"maintenance/categoryOptionComboUpdate/categoryCombo/{c}" for c in combo_ids]
        )
        for path in paths:
            response = self.request("POST", path)
            if response.status_code >= 300:
                raise DHIS2Error(
                    f"POST {path} failed: HTTP {response.status_code} {self._message(response)}",
                    status=response.status_code,
                )


def _code_filters(codes: Sequence[str], size: int) -> Iterator[str]:
    """``code:in:[a,b]`` filters of at most ``size`` codes; a code holding ``,[]`` (which the
    ``in`` operator cannot carry) gets its own ``code:eq:`` filter."""
    plain = [c for c in codes if not any(ch in c for ch in ",[]")]
    for i in range(0, len(plain), size):
        yield f"code:in:[{','.join(plain[i : i + size])}]"
    for c in codes:
        if any(ch in c for ch in ",[]"):
            yield f"code:eq:{c}"
