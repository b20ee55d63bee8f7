"""HTTP server and routing: a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import completeness, metadata, profiles, query, readback
from .adx_import import UnhandledAdxError, import_adx
from .auth import LOGIN_PATH, authenticate, new_token_key
from .dxf_import import import_values
from .entry_import import EntryError, groups_from_adx, groups_from_dxf, import_entry
from .entry_import import failed as entry_failed
from .faults import Faults, RequestLog, RequestRecord, redact_headers
from .jobs import JOB_TYPE, Jobs
from .options import ImportOptions
from .payloads import PayloadError, decompress, read_json, read_xml
from .profiles import Profile
from .responses import ImportSummary, error_message, import_summary_message, web_message
from .schema import TYPES
from .store import Store, Token, User

_API = re.compile(r"^/api(?:/(?P<version>\d{2}))?(?P<rest>/.*)?$")
AUTHORITY_DATA_ADD = "F_DATAVALUE_ADD"
AUTHORITY_METADATA = "F_METADATA_IMPORT"
AUTHORITY_MAINTENANCE = "F_PERFORM_MAINTENANCE"
# Path pattern segments of the routing table (Dhis2Emulator._ROUTES).
_ANY = "{any}"  # one segment
_TYPE = "{type}"  # one segment naming a metadata type (schema.TYPES)
_REST = "{rest...}"  # any number of segments, last in a pattern only


@dataclasses.dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json;charset=UTF-8"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def json_response(status: int, payload) -> Response:
    return Response(status, json.dumps(payload).encode())


@dataclasses.dataclass(frozen=True, slots=True)
class _Request:
    """An authenticated API request, ``rest`` the path after ``/api[/NN]`` and ``parts`` its segments."""

    method: str
    rest: str
    parts: tuple[str, ...]
    params: dict[str, list[str]]
    headers: Any
    body: bytes
    user: User
    version: int | None


def _path_matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if pattern and pattern[-1] == _REST:
        pattern = pattern[:-1]
        if len(parts) < len(pattern):
            return False
        parts = parts[: len(pattern)]
    if len(pattern) != len(parts):
        return False
    return all(_segment_matches(p, part) for p, part in zip(pattern, parts, strict=True))


def _segment_matches(pattern: str, part: str) -> bool:
    if pattern == _ANY:
        return True
    if pattern == _TYPE:
        return part in TYPES
    return pattern == part


class Dhis2Emulator:
    """A running emulator. ``url`` is the base URL (no ``/api``); state lives in ``store``."""

    def __init__(self, profile: str | Profile | None = None, version: str | None = None) -> None:
        """``profile``: ``"2.39"`` … ``"2.43"`` (default the newest, ``profiles.DEFAULT``) or a ``Profile``."""
        self.profile = profiles.get(profile)
        self.version = version or self.profile.version
        self.store = Store()
        self.faults = Faults()
        self.requests = RequestLog()
        self.jobs = Jobs()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set by the ``dhis2_emulator`` fixture: Basic credentials and a personal access token of ``admin``.
        self.admin_auth: tuple[str, str] | None = None
        self.admin_token: str | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Dhis2Emulator:
        emulator = self

        class Handler(_Handler):
            app = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="dhis2-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.jobs.wait_all(5.0)
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Dhis2Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- helpers for tests ----------------------------------------------------------------------
    def add_user(self, username: str, password: str, authorities=("ALL",), org_units: list[str] | None = None,
                 disabled: bool = False) -> User:  # fmt: skip
        """Create a user; ``authorities`` containing ``ALL`` makes a superuser; ``org_units`` = capture roots."""
        user = User(username, password, self.store.new_uid(), frozenset(authorities),
                    tuple(org_units) if org_units is not None else None, disabled)  # fmt: skip
        with self.store.lock:
            self.store.users[username] = user
        return user

    def create_token(self, username: str, expires: dt.datetime | None = None) -> str:
        """A personal access token (``d2pat_…``) for ``username``; use as ``Authorization: ApiToken <key>``."""
        key = new_token_key()
        with self.store.lock:
            self.store.tokens[key] = Token(key, username, expires)
        return key

    def load_metadata(self, bundle: dict, *, generate_option_combos: bool = True) -> dict:
        """Import a bundle as ``POST /api/metadata`` would (atomic); raise with the error reports if any."""
        status, body = metadata.import_metadata(self.store, bundle, {})
        if status != 200:
            errors = [e["message"] for t in body["response"]["typeReports"] for o in t["objectReports"]
                      for e in o["errorReports"]]  # fmt: skip
            raise ValueError("metadata import failed: " + "; ".join(errors))
        if generate_option_combos:
            metadata.generate_option_combos(self.store)
        return body["response"]

    def generate_option_combos(self, combo_uid: str | None = None) -> int:
        return metadata.generate_option_combos(self.store, combo_uid)

    def set_option_combo_codes(self, codes: dict[str, str]) -> None:
        """Give COCs codes: ``{coc uid: code}``."""
        for uid, code in codes.items():
            status, body = metadata.patch_object(self.store, "categoryOptionCombos", uid,
                                                 [{"op": "add", "path": "/code", "value": code}])  # fmt: skip
            if status != 200:
                raise ValueError(f"cannot set code {code!r} on {uid}: {body}")

    def data_values(self, include_deleted: bool = False) -> list[dict]:
        """Stored values as UID-keyed dicts (dataElement, period, orgUnit, categoryOptionCombo, …)."""
        rows = [v.as_dict() for v in self.store.iter_values(include_deleted)]
        return sorted(rows, key=lambda r: (r["dataElement"], r["period"], r["orgUnit"], r["categoryOptionCombo"],
                                           r["attributeOptionCombo"]))  # fmt: skip

    def registrations(self) -> set[tuple[str, str, str]]:
        """Complete data set registrations as (data set code, period, org unit code)."""
        return completeness.registrations(self.store)

    def reset(self) -> None:
        """Empty metadata and data, no faults, no logged requests (users and tokens kept)."""
        self.jobs.wait_all(5.0)
        self.store.reset()
        self.faults.clear()
        self.requests.clear()
        self.jobs.clear()

    # ---- request handling -----------------------------------------------------------------------
    def dispatch(
        self, method: str, path: str, params: dict[str, list[str]], headers, body: bytes
    ) -> Response:
        if path == LOGIN_PATH:
            return Response(
                200, b"<html><body>DHIS2 login</body></html>", "text/html;charset=UTF-8"
            )
        match = _API.match(path)
        if not match:
            return json_response(404, error_message(404, f"No handler found for {method} {path}"))
        auth = authenticate(self.store, headers)
        if auth.redirect:
            return Response(302, b"", None, {"Location": self.url + LOGIN_PATH})
        if auth.user is None:
            return json_response(
                auth.status, error_message(auth.status, auth.message or "Unauthorized")
            )
        version = int(match.group("version")) if match.group("version") else None
        rest = (match.group("rest") or "/").rstrip("/")
        rest = re.sub(r"\.json$", "", rest)
        try:
            return self._route(method, rest, params, headers, body, auth.user, version)
        except (PayloadError, metadata.BadRequestError, query.QueryError, ValueError) as exc:
            return json_response(400, error_message(400, str(exc)))

    def _forbidden(self, authority: str) -> Response:
        # MaintenanceControllerTest: "Access is denied" up to 2.41, the authority named from 2.42
        message = "Access is denied"
        if self.profile.forbidden_names_authority:
            message += f", requires one Authority from [{authority}]"
        return json_response(403, error_message(403, message))

    def _route(self, method, rest, params, headers, body, user: User, version) -> Response:
        """The first route of ``_ROUTES`` matching the method and path; its authority checked first."""
        parts = tuple(p for p in rest.split("/") if p)
        request = _Request(method, rest, parts, params, headers, body, user, version)
        for route_method, pattern, authority, handler in self._ROUTES:
            if route_method == method and _path_matches(pattern, parts):
                if authority is not None and not user.has(authority):
                    return self._forbidden(authority)
                return handler(self, request)
        return json_response(404, error_message(404, f"No handler found for {method} /api{rest}"))

    # ---- route handlers (one per Spring @RequestMapping the emulator answers) --------------------
    def _get_system_info(self, request: _Request) -> Response:
        return json_response(200, self._system_info())

    def _get_me(self, request: _Request) -> Response:
        return json_response(200, self._me(request.user, request.params))

    def _post_data_value_set(self, request: _Request) -> Response:
        return self._post_data(request.params, request.headers, request.body, request.user, request.version)  # fmt: skip

    def _get_data_value_set(self, request: _Request) -> Response:
        return self._get_data(request.params, request.headers, request.user)

    def _post_registrations(self, request: _Request) -> Response:
        summary = completeness.import_registrations(self.store, request.user, request.params,
                                                    decompress(request.body))  # fmt: skip
        status, message = import_summary_message(summary)
        return json_response(status, message)

    def _post_metadata(self, request: _Request) -> Response:
        try:
            payload = json.loads(decompress(request.body) or b"{}")
        except ValueError as exc:
            return json_response(400, error_message(400, f"JSON parse error: {exc}"))
        status, message = metadata.import_metadata(self.store, payload, request.params)
        return json_response(status, message)

    def _post_coc_update(self, request: _Request) -> Response:
        """``MaintenanceController``: ``/categoryOptionComboUpdate`` and ``.../categoryCombo/{uid}``."""
        parts = request.parts
        if len(parts) == 4 and parts[2] == "categoryCombo":
            # MaintenanceController.updateCategoryOptionCombos(uid): 409 conflict for an unknown combo,
            # else WebMessageUtils.importSummaries (MaintenanceControllerTest: 200 "Import was successful.")
            if self.store.get("categoryCombos", parts[3]) is None:
                return json_response(
                    409, web_message(409, "ERROR", f"CategoryCombo does not exist: {parts[3]}")
                )
            created = metadata.generate_option_combos(self.store, parts[3])
            return json_response(200, web_message(200, "OK", "Import was successful.", {
                "responseType": "ImportSummaries", "status": "SUCCESS", "imported": created, "updated": 0,
                "deleted": 0, "ignored": 0, "importSummaries": []}))  # fmt: skip
        if len(parts) == 2:
            # addAndPruneAllOptionCombos: EVERY combo of the instance (204 in 2.39-2.42, 200 in 2.43)
            metadata.generate_option_combos(self.store)
            if self.profile.coc_update_all_status == 200:
                return json_response(200, web_message(200, "OK"))
            return Response(204, b"", None)
        return json_response(404, error_message(404, f"No handler found for {request.method} {request.rest}"))  # fmt: skip

    def _get_tasks(self, request: _Request) -> Response:
        return self._tasks(list(request.parts[2:]), request.user)

    def _get_task_summary(self, request: _Request) -> Response:
        job = self.jobs.get(request.parts[3])
        # not filtered by user (SystemController.getTaskSummaryJson, 2.39-2.43)
        if job is None or job.summary is None:
            return Response(200, b"", None)
        return json_response(200, job.summary)

    def _list_objects(self, request: _Request) -> Response:
        return json_response(200, query.list_objects(self.store, request.parts[0], request.params, self.url))  # fmt: skip

    def _get_object(self, request: _Request) -> Response:
        kind, uid = request.parts
        obj = query.get_object(self.store, kind, uid, request.params)
        if obj is None:
            return json_response(404, error_message(404, f"{TYPES[kind].singular[0].upper()}"
                                                         f"{TYPES[kind].singular[1:]} with id {uid} "
                                                         f"could not be found."))  # fmt: skip
        return json_response(200, obj)

    def _patch_object(self, request: _Request) -> Response:
        kind, uid = request.parts
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json-patch+json":
            return json_response(415, error_message(415, f"Content type '{ctype}' not supported"))
        operations = json.loads(request.body or b"[]")
        status, message = metadata.patch_object(self.store, kind, uid, operations)
        if message is None:
            return json_response(200, web_message(200, "OK", None, {"responseType": "ObjectReport",
                                                                    "uid": uid}))  # fmt: skip
        return json_response(status, message)

    # (method, path pattern, authority required, handler); the first match wins. A pattern segment is a
    # literal, ``_ANY`` (one segment), ``_TYPE`` (a metadata type of schema.TYPES) or a final ``_REST``
    # (any number of segments).
    _ROUTES: tuple[tuple[str, tuple[str, ...], str | None, Callable[[Dhis2Emulator, _Request], Response]], ...] = (
        ("GET", ("system", "info"), None, _get_system_info),
        ("GET", ("me",), None, _get_me),
        ("POST", ("dataValueSets",), AUTHORITY_DATA_ADD, _post_data_value_set),
        ("GET", ("dataValueSets",), None, _get_data_value_set),
        ("POST", ("completeDataSetRegistrations",), AUTHORITY_DATA_ADD, _post_registrations),
        ("POST", ("metadata",), AUTHORITY_METADATA, _post_metadata),
        ("POST", ("maintenance", "categoryOptionComboUpdate", _REST), AUTHORITY_MAINTENANCE, _post_coc_update),
        ("GET", ("system", "tasks", _REST), None, _get_tasks),
        ("GET", ("system", "taskSummaries", JOB_TYPE, _ANY), None, _get_task_summary),
        ("GET", (_TYPE,), None, _list_objects),
        ("GET", (_TYPE, _ANY), None, _get_object),
        ("PATCH", (_TYPE, _ANY), AUTHORITY_METADATA, _patch_object),
    )  # fmt: skip

    def _me(self, user: User, params) -> dict:
        """``/api/me``: capture org units are the roots when the user has no explicit list."""
        with self.store.lock:
            units = user.org_units
            if units is None:
                units = tuple(
                    uid
                    for uid, ou in self.store.objects["organisationUnits"].items()
                    if not ou.get("parent")
                )
            me = {"id": user.uid, "username": user.username, "name": user.username,
                  "authorities": sorted(user.authorities), "organisationUnits": [{"id": o} for o in units]}  # fmt: skip
            tree = query.parse_fields(
                ",".join(params.get("fields", []))
                or "id,username,name,authorities,organisationUnits"
            )
            out: dict = {}
            for name, sub in tree:
                if name not in me:
                    continue
                if name == "organisationUnits" and sub is not None:
                    out[name] = [query.render(self.store, "organisationUnits", self.store.get("organisationUnits", r["id"]), sub)
                                 for r in me[name] if self.store.get("organisationUnits", r["id"])]  # fmt: skip
                else:
                    out[name] = me[name]
            return out

    def _system_info(self) -> dict:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        return {"contextPath": self.url, "userAgent": "dhis2-emulator", "calendar": "iso8601",
                "dateFormat": "yyyy-mm-dd", "serverDate": now, "serverTimeZoneId": "Etc/UTC",
                "version": self.version, "revision": "emulator", "buildTime": "2024-01-01T00:00:00.000",
                "systemName": "DHIS2 emulator", "systemId": "emulator"}  # fmt: skip

    # ---- data values ----------------------------------------------------------------------------
    def _post_data(self, params, headers, body, user: User, version) -> Response:
        ctype_header = headers.get("Content-Type") or ""
        media, _, rest = ctype_header.partition(";")
        media = media.strip().lower()
        charset = re.search(r"charset=([^;]+)", rest, re.IGNORECASE)
        # consumes APPLICATION_XML_VALUE / CONTENT_TYPE_XML_ADX / APPLICATION_JSON_VALUE: text/xml is 415
        if media not in (
            "application/json",
            "application/xml",
            "application/adx+xml",
        ) or (
            media == "application/adx+xml"
            and charset
            and charset.group(1).strip().strip('"').lower() != "utf-8"
        ):
            return json_response(
                415, error_message(415, f"Content type '{ctype_header}' not supported")
            )
        options = ImportOptions.from_params(params)
        options.profile = self.profile
        data = decompress(body)

        def run() -> ImportSummary:
            if self.profile.pipeline == "entry":
                options.default_scheme = "UID"  # 2.43: no CODE default for ADX either
                try:
                    if media == "application/adx+xml":
                        groups = groups_from_adx(data)
                    else:
                        header, values = (
                            read_json(data) if media == "application/json" else read_xml(data)
                        )
                        groups = groups_from_dxf(header, values)
                except EntryError as exc:
                    return entry_failed(options, exc)
                return import_entry(self.store, user, options, groups)
            if media == "application/adx+xml":
                return import_adx(self.store, user, options, data)
            header, values = read_json(data) if media == "application/json" else read_xml(data)
            return import_values(self.store, user, options, header, values).summary

        if options.async_:
            uid = self.store.new_uid()
            fail = self.faults.take_job_failure()
            job = self.jobs.start(uid, user.username, lambda: run().as_json(), fail, self.profile)
            # 2.41+: JobConfiguration(JobType) names the job "%s (%d)"; 2.39/2.40: "dataValueImport"
            name = (
                f"{JOB_TYPE} ({job.created_ms})"
                if self.profile.async_name_with_millis
                else "dataValueImport"
            )
            response = {"name": name, "id": uid, "created": dt.datetime.now(dt.UTC).isoformat()[:23],
                        "jobType": JOB_TYPE, "jobStatus": "SCHEDULED", "jobParameters": options.echo(),
                        "relativeNotifierEndpoint": f"/api/system/tasks/{JOB_TYPE}/{uid}"}  # fmt: skip
            return json_response(200, web_message(200, "OK", f"Initiated {name}", response))
        try:
            summary = run()
        except UnhandledAdxError as exc:
            return json_response(500, error_message(500, f"org.hisp.staxwax.XMLException: {exc}"))
        if version is not None and version < 38:
            return json_response(200, summary.as_json())
        status, message = import_summary_message(summary)
        return json_response(status, message)

    def _get_data(self, params, headers, user: User) -> Response:
        accept = (headers.get("Accept") or "").lower()
        fmt = (params.get("format", [""])[0] or "").lower()
        # 2.39-2.42 pick the export by Accept (@GetMapping produces=…) or ?format=; 2.43 only by ?format= or
        # the path suffix (DataValueSetController.getDataValueSet), so Accept: application/adx+xml gets JSON.
        by_accept = self.profile.readback_format_from_accept and "application/adx+xml" in accept
        try:
            if by_accept or fmt in ("adx+xml", "adx"):
                return Response(
                    200,
                    readback.as_adx(self.store, user, params),
                    "application/adx+xml; charset=UTF-8",
                )
            return json_response(200, readback.as_json(self.store, user, params,
                                                       strict_uid=self.profile.pipeline == "entry"))  # fmt: skip
        except readback.ReadError as exc:
            return json_response(exc.http, exc.body())

    def _tasks(self, rest: list[str], user: User) -> Response:
        def visible(job) -> bool:
            return (
                True  # SystemController reads notifications by job id only, whoever started the job
            )

        if not rest:
            return json_response(
                200, {JOB_TYPE: {j.uid: j.notifications for j in self.jobs.all() if visible(j)}}
            )
        if rest[0] != JOB_TYPE:
            return json_response(200, [] if len(rest) > 1 else {})
        if len(rest) == 1:
            return json_response(
                200, {j.uid: j.notifications for j in self.jobs.all() if visible(j)}
            )
        job = self.jobs.get(rest[1])
        return json_response(200, list(job.notifications) if job and visible(job) else [])


class _Handler(BaseHTTPRequestHandler):
    app: Dhis2Emulator
    protocol_version = "HTTP/1.1"
    server_version = "DHIS2-emulator"

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet: tests read app.requests instead
        return

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        app = self.app
        split = urlsplit(self.path)
        params = parse_qs(split.query, keep_blank_values=True)
        raw = self._read_body()
        try:
            decoded = decompress(raw)
        except Exception:
            decoded = raw
        plain_path = re.sub(r"^/api/\d{2}/", "/api/", split.path)
        record = RequestRecord(
            self.command, split.path, params, redact_headers(self.headers), len(raw), decoded
        )
        delay, fault = app.faults.take(self.command, plain_path)
        if delay:
            time.sleep(delay)
        if fault is not None and fault.kind == "drop":
            app.requests.append(dataclasses.replace(record, fault="drop"))
            self.close_connection = True
            return
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            payload = error_message(fault.status, HTTPStatus(fault.status).phrase)
            response = Response(fault.status, json.dumps(payload).encode(), headers=headers)
            app.requests.append(
                dataclasses.replace(record, status=fault.status, fault=f"status {fault.status}")
            )
            return self._send(response)
        try:
            response = app.dispatch(self.command, split.path, params, self.headers, raw)
        except Exception as exc:  # an emulator bug must surface as a 500, never hang the client
            response = json_response(
                500, error_message(500, f"Emulator error: {type(exc).__name__}: {exc}")
            )
        app.requests.append(dataclasses.replace(record, status=response.status))
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # http.server dispatches on these exact method names
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle  # noqa: N815
