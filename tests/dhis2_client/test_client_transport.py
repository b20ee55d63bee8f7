"""Client transport behaviour against scripted responses: auth headers, redirects, retries
(only connection errors, 429, 502-504), 409 parsed and never retried, async polling, secrets."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest
import requests

from adx.dhis2.client import (
    DHIS2AuthError,
    DHIS2Client,
    DHIS2ConnectionError,
    DHIS2Error,
    DHIS2VersionError,
    PushError,
    PushOptions,
)
from adx.dhis2.http import RetryPolicy
from adx.model import DataValue
from tests.dhis2_client.scripted import session_with

TOKEN = "d2pat_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z1234567890"
PASSWORD = "Sup3r-Secret-Pa55"

OK_SUMMARY = {
    "httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
    "response": {"responseType": "ImportSummary", "status": "SUCCESS",
                 "importCount": {"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}, "conflicts": []},
}  # fmt: skip
WARNING_SUMMARY = {
    "httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
    "response": {"responseType": "ImportSummary", "status": "WARNING",
                 "importCount": {"imported": 1, "updated": 0, "ignored": 1, "deleted": 0},
                 "conflicts": [{"object": "OU_X", "objects": {"organisationUnit": "OU_X"},
                                "value": "Organisation unit not found or not accessible: `OU_X`",
                                "errorCode": "E7612", "property": "orgUnit", "indexes": [1]}]},
}  # fmt: skip
VALUES = [
    DataValue("DS", "202401", "OU_1", "DE_A", "3"),
    DataValue("DS", "202401", "OU_X", "DE_A", "4"),
]


def client(script, **kwargs):
    session, adapter = session_with(script)
    sleeps: list[float] = []
    kwargs.setdefault("token", TOKEN)
    c = DHIS2Client(
        "http://dhis2.test/", session=session, sleep=sleeps.append,
        retries=kwargs.pop("retries", RetryPolicy(attempts=4, backoff=0.5, jitter=0.0)), **kwargs,
    )  # fmt: skip
    return c, adapter, sleeps


def test_token_header_and_adx_request_shape():
    c, adapter, _ = client([(200, OK_SUMMARY)])
    result = c.push(VALUES)
    (req,) = adapter.requests
    assert req.headers["Authorization"] == f"ApiToken {TOKEN}"
    assert req.headers["Content-Type"] == "application/adx+xml"
    assert req.headers["Accept"] == "application/json"
    assert req.method == "POST"
    assert req.url.startswith("http://dhis2.test/api/dataValueSets?")
    assert "categoryOptionComboIdScheme=UID" in req.url
    assert "importStrategy=CREATE_AND_UPDATE" in req.url and "dryRun=false" in req.url
    assert b'orgUnit="OU_X"' in req.body
    assert result.imported == 2 and result.ok()


def test_basic_auth_header():
    c, adapter, _ = client(
        [(200, {"version": "2.41.2"})], token=None, username="admin", password=PASSWORD
    )
    c.system_info()
    expected = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert adapter.requests[0].headers["Authorization"] == f"Basic {expected}"


def test_redirect_to_login_is_not_followed_and_explained():
    c, adapter, _ = client(
        [(302, b"", {"Location": "http://dhis2.test/dhis-web-commons/security/login.action"})]
    )
    with pytest.raises(DHIS2AuthError, match="not authenticated.*login page.*DHIS2_TOKEN"):
        c.system_info()
    assert len(adapter.requests) == 1


def test_401_and_403_are_auth_errors_not_retried():
    body = {
        "httpStatus": "Unauthorized",
        "httpStatusCode": 401,
        "status": "ERROR",
        "message": "Unauthorized",
    }
    c, adapter, _ = client([(401, body)])
    with pytest.raises(DHIS2AuthError, match="authentication failed"):
        c.push(VALUES)
    assert len(adapter.requests) == 1
    c, adapter, _ = client([(403, {"message": "Access denied"})])
    with pytest.raises(DHIS2AuthError, match="not authorised.*Access denied"):
        c.get_json("me")


def test_409_is_parsed_and_never_retried():
    c, adapter, sleeps = client([(409, WARNING_SUMMARY)])
    result = c.push(VALUES)
    assert len(adapter.requests) == 1 and sleeps == []
    assert result.http_statuses == (409,)
    assert not result.ok()
    assert result.conflicts[0].error_code == "E7612"


def test_transient_statuses_are_retried_with_backoff_and_retry_after():
    c, adapter, sleeps = client(
        [(503, b"busy"), (429, b"slow down", {"Retry-After": "7"}), (502, b""), (200, OK_SUMMARY)]
    )
    result = c.push(VALUES)
    assert len(adapter.requests) == 4
    assert sleeps == [0.5, 7.0, 2.0]  # backoff 0.5 * 2**(n-1), except the Retry-After
    assert result.imported == 2 and len(result.chunks) == 1
    # Each attempt sent the same body.
    assert len({r.body for r in adapter.requests}) == 1


def test_500_and_other_4xx_are_not_retried():
    for status in (500, 400, 404, 413):
        c, adapter, _ = client([(status, {"message": "boom"})])
        with pytest.raises(PushError, match=f"HTTP {status}"):
            c.push(VALUES)
        assert len(adapter.requests) == 1


def test_give_up_after_attempts_and_report_partial_result():
    script = [(200, OK_SUMMARY)] + [(503, b"")] * 4
    c, adapter, sleeps = client(script)
    with pytest.raises(PushError) as info:
        c.push(VALUES, PushOptions(chunk_groups=1))
    assert "after 1 chunk(s)" in str(info.value) and "4 attempt(s)" in str(info.value)
    assert info.value.partial.imported == 2
    assert len(adapter.requests) == 5 and len(sleeps) == 3


def test_secrets_never_in_exceptions_logs_or_repr(caplog):
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    for kwargs in ({"token": TOKEN}, {"password": PASSWORD}):
        caplog.clear()
        secret = kwargs.get("token") or kwargs.get("password")
        # requests' own texts quote URLs; make this one carry credentials and the secret too.
        leak = requests.exceptions.ConnectionError(
            f"HTTPConnectionPool(host='dhis2.test'): Max retries exceeded with url: "
            f"http://admin:{PASSWORD}@dhis2.test/api/dataValueSets (Authorization {secret})"
        )
        session, _ = session_with([leak] * 2)
        base = (
            f"http://admin:{PASSWORD}@dhis2.test" if "password" in kwargs else "http://dhis2.test"
        )
        c = DHIS2Client(
            base, token=kwargs.get("token"), session=session, sleep=lambda s: None,
            retries=RetryPolicy(attempts=2, jitter=0),
        )  # fmt: skip
        with pytest.raises(PushError) as info:
            c.push(VALUES)
        texts = [str(info.value), repr(c), "".join(traceback.format_exception(info.value))]
        texts += [r.getMessage() for r in caplog.records]
        assert len(caplog.records) >= 1
        for text in texts:
            assert PASSWORD not in text and TOKEN not in text and basic not in text, text
        assert "connection error" in str(info.value)
        assert info.value.__cause__ is None  # the original (unredacted) exception is not chained
        # The base URL lost its user-info; the credentials moved to the auth object.
        assert c.base_url == "http://dhis2.test"
    assert repr(c) == "DHIS2Client('http://dhis2.test', auth=basic user 'admin')"


def test_version_check():
    c, _, _ = client([(200, {"version": "2.37.9"})])
    with pytest.raises(DHIS2VersionError, match="2.37.9 is not supported"):
        c.system_info()
    c, _, _ = client([(200, {"version": "2.40.3"})])
    assert c.system_info()["version"] == "2.40.3"
    c, _, _ = client([(200, {"version": "2.43.1"})])
    assert c.system_info(strict=True)["version"] == "2.43.1"
    c, _, _ = client([(200, {"version": "2.44.0"})] * 2)
    with pytest.raises(DHIS2VersionError, match="newer than the tested"):
        c.system_info(strict=True)


def test_async_import_polls_the_task_then_reads_the_summary():
    job = {"httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
           "message": "Initiated DATAVALUE_IMPORT (1700000000000)",
           "response": {"id": "JobUid00001", "jobType": "DATAVALUE_IMPORT",
                        "relativeNotifierEndpoint": "/api/system/tasks/DATAVALUE_IMPORT/JobUid00001"}}  # fmt: skip
    bare = dict(OK_SUMMARY["response"])
    script = [
        (200, job),
        (200, []),
        (200, [{"level": "INFO", "message": "Importing data values", "completed": False}]),
        (
            200,
            [{"level": "INFO", "message": "Import done", "completed": True}, {"completed": False}],
        ),
        (200, b""),  # summary not yet stored
        (200, bare),
    ]
    c, adapter, sleeps = client(script)
    seen = []
    result = c.push(
        VALUES, PushOptions(async_import=True, poll_interval=0.25), progress=seen.append
    )
    urls = [r.url for r in adapter.requests]
    assert "async=true" in urls[0]
    assert urls[1].endswith("/api/system/tasks/DATAVALUE_IMPORT/JobUid00001")
    assert urls[-1].endswith("/api/system/taskSummaries/DATAVALUE_IMPORT/JobUid00001")
    assert result.imported == 2 and result.chunks[0].job_id == "JobUid00001"
    assert [p.stage for p in seen] == ["sent", "polling", "polling", "done"]
    assert len(sleeps) == 3


def test_async_failed_job_is_an_error_chunk():
    job = {"status": "OK", "response": {"id": "JobUid00002"}}
    failed = [{"level": "ERROR", "message": "Process failed: disk full", "completed": True}]
    c, _, _ = client([(200, job), (200, failed)] + [(200, b"")] * 20)
    result = c.push(VALUES, PushOptions(async_import=True, poll_interval=0))
    assert result.status == "ERROR" and not result.ok()
    assert "disk full" in result.summary()


def test_read_timeout_retried_for_reads_only_and_tls_errors_never():
    timeout = requests.exceptions.ReadTimeout("read timed out")
    c, adapter, sleeps = client([timeout, (200, {"version": "2.41.0"})])
    assert c.system_info()["version"] == "2.41.0"
    assert len(adapter.requests) == 2 and len(sleeps) == 1
    c, adapter, _ = client([timeout])
    with pytest.raises(PushError, match="timed out.*DHIS2_ASYNC"):
        c.push(VALUES)
    assert len(adapter.requests) == 1  # DHIS2 may still be importing: not re-posted blindly
    c, adapter, _ = client([requests.exceptions.SSLError("certificate verify failed")])
    with pytest.raises(DHIS2ConnectionError, match="TLS verification failed"):
        c.system_info()
    assert len(adapter.requests) == 1


def test_from_env_reads_credentials_and_tls_setting():
    c = DHIS2Client.from_env(
        {"DHIS2_URL": "https://h.example/dhis/api/", "DHIS2_TOKEN": TOKEN, "DHIS2_VERIFY": "false"}
    )
    assert (c.base_url, c.verify, repr(c)) == (
        "https://h.example/dhis",
        False,
        "DHIS2Client('https://h.example/dhis', auth=token)",
    )
    c = DHIS2Client.from_env(
        {
            "DHIS2_URL": "https://h",
            "DHIS2_USERNAME": "etl",
            "DHIS2_PASSWORD": PASSWORD,
            "DHIS2_VERIFY": "/ca.pem",
        }
    )
    assert c.verify == "/ca.pem" and PASSWORD not in repr(c)
    with pytest.raises(DHIS2Error, match="DHIS2_URL is not set"):
        DHIS2Client.from_env({})


def test_bad_options_refused_and_unsorted_stream_stops_with_partial_result():
    c, adapter, _ = client([(200, OK_SUMMARY)])
    with pytest.raises(ValueError, match="format"):
        PushOptions(format="csv")
    with pytest.raises(ValueError, match="import_strategy"):
        PushOptions(import_strategy="SYNC")
    assert adapter.requests == []
    # A stream is pushed as it comes: OU_1's group is sent before OU_1 shows up again.
    stream = iter([VALUES[0], VALUES[1], DataValue("DS", "202401", "OU_1", "DE_B", "1")])
    with pytest.raises(PushError, match="not sorted") as info:
        c.push(stream, PushOptions(chunk_groups=1))
    assert len(adapter.requests) == 1
    assert len(info.value.partial.chunks) == 1 and info.value.partial.values_sent == 1
