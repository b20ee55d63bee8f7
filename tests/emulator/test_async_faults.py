"""Async jobs and task polling (§3.3), fault injection, the request log, content types and gzip."""

from __future__ import annotations

import gzip
import json
import time

import pytest
import requests

from tests.emulator.bundles import malaria
from tests.emulator.helpers import count, counts, post_json, stored

OU = "OuFacil0001"
D = "HllvX50cXC0"
PAYLOAD = {"dataValues": [{"dataElement": "DeMalDeath1", "period": "202301", "orgUnit": OU, "value": "3"},
                          {"dataElement": "NoSuchDe001", "period": "202301", "orgUnit": OU, "value": "3"}]}  # fmt: skip


@pytest.fixture
def emu(dhis2_emulator):
    dhis2_emulator.load_metadata(malaria())
    return dhis2_emulator


def summary_of(emu, job_id: str, timeout: float = 10.0) -> dict:
    """The task summary, waiting for it: DHIS2 stores it only after marking the job completed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(
            f"{emu.url}/api/system/taskSummaries/DATAVALUE_IMPORT/{job_id}", auth=emu.admin_auth
        )
        if r.content:
            return r.json()
        time.sleep(0.02)
    raise AssertionError("no task summary")


def poll(emu, job_id: str, auth=None, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(
            f"{emu.url}/api/system/tasks/DATAVALUE_IMPORT/{job_id}", auth=auth or emu.admin_auth
        )
        notes = r.json()
        if notes and notes[0]["completed"]:
            return notes
        time.sleep(0.02)
    raise AssertionError("job did not complete")


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_async_import_job_notifications_and_summary(emu):
    emu.jobs.step_delay = 0.2  # lets the test see the job running
    r = post_json(emu, PAYLOAD, **{"async": "true"})
    assert r.status_code == 200
    body = r.json()
    if emu.profile.async_name_with_millis:
        assert body["message"].startswith("Initiated DATAVALUE_IMPORT (")
    else:
        assert body["message"] == "Initiated dataValueImport"
    job = body["response"]
    assert job["jobType"] == "DATAVALUE_IMPORT"
    assert job["relativeNotifierEndpoint"] == f"/api/system/tasks/DATAVALUE_IMPORT/{job['id']}"
    running = requests.get(
        f"{emu.url}/api/system/tasks/DATAVALUE_IMPORT/{job['id']}", auth=emu.admin_auth
    ).json()
    assert running and running[0]["completed"] is False
    assert requests.get(f"{emu.url}/api/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}",
                        auth=emu.admin_auth).content == b""  # fmt: skip
    notes = poll(emu, job["id"])
    assert (
        notes[0]["level"] == "INFO" and notes[-1]["message"] == emu.profile.task_messages[0]
    )  # newest first
    times = [n["time"] for n in notes]
    assert times == sorted(times, reverse=True)
    # Completed, but the summary is stored after the completion (every version): empty body at first.
    assert requests.get(f"{emu.url}/api/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}",
                        auth=emu.admin_auth).content == b""  # fmt: skip
    summary = summary_of(emu, job["id"])
    # The bare ImportSummary (no WebMessage wrapper), same content as a synchronous import.
    assert summary["responseType"] == "ImportSummary" and summary["status"] == "WARNING"
    assert summary["importCount"] == count(imported=1, ignored=1)
    assert [c["errorCode"] for c in summary["conflicts"]] == ["E7610"]
    assert stored(emu) == {("DeMalDeath1", "202301", OU, D, D): "3"}
    # Tasks are not filtered by user: another user sees the job (SystemController.getTaskJsonByUid).
    emu.add_user("other", "Other123!", ("ALL",))
    r = requests.get(
        f"{emu.url}/api/system/tasks/DATAVALUE_IMPORT/{job['id']}", auth=("other", "Other123!")
    )
    assert r.json() == notes


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_async_adx_import(emu):
    adx = ('<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_MAL" orgUnit="OU_123" period="2023-01-01/P1M">'
           '<dataValue dataElement="MAL_DEATHS" value="3"/></group></adx>')  # fmt: skip
    r = requests.post(emu.url + "/api/dataValueSets", params={"async": "true"}, data=adx,
                      headers={"Content-Type": "application/adx+xml"}, auth=emu.admin_auth)  # fmt: skip
    job_id = r.json()["response"]["id"]
    poll(emu, job_id)
    assert summary_of(emu, job_id)["importCount"] == count(imported=1)


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_failing_async_job(emu):
    emu.faults.fail_next_job()
    r = post_json(emu, PAYLOAD, **{"async": "true"})
    assert r.status_code == 200
    job_id = r.json()["response"]["id"]
    notes = poll(emu, job_id)
    assert notes[0]["level"] == "ERROR" and notes[0]["completed"] is True
    assert requests.get(f"{emu.url}/api/system/taskSummaries/DATAVALUE_IMPORT/{job_id}",
                        auth=emu.admin_auth).content == b""  # fmt: skip
    assert stored(emu) == {}
    # Only the next job fails.
    r = post_json(emu, PAYLOAD, **{"async": "true"})
    assert poll(emu, r.json()["response"]["id"])[0]["level"] == "INFO"


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_next_requests_fail_with_5xx_then_recover(emu, status):
    emu.faults.fail_next(2, status, path="/dataValueSets")
    assert post_json(emu, PAYLOAD).status_code == status
    assert post_json(emu, PAYLOAD).status_code == status
    assert stored(emu) == {}  # failed requests are not processed
    r = post_json(emu, PAYLOAD)
    assert (r.status_code, counts(r)) == (409, count(imported=1, ignored=1))
    log = emu.requests.matching("POST", "/dataValueSets")
    assert [rec.status for rec in log] == [status, status, 409]
    assert [rec.fault for rec in log] == [f"status {status}", f"status {status}", None]


def test_rate_limit_with_retry_after(emu):
    emu.faults.rate_limit_next(1, retry_after=7)
    r = post_json(emu, PAYLOAD)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert post_json(emu, PAYLOAD).status_code == 409


def test_dropped_connection_after_reading_the_body(emu):
    emu.faults.drop_next(1, method="POST")
    with pytest.raises(requests.ConnectionError):
        post_json(emu, PAYLOAD)
    (record,) = emu.requests.matching("POST")
    assert record.fault == "drop" and record.status is None
    assert record.body_size == len(json.dumps(PAYLOAD).encode())
    assert stored(emu) == {}
    assert post_json(emu, PAYLOAD).status_code == 409


def test_faults_only_hit_matching_requests(emu):
    emu.faults.fail_next(1, 503, method="POST", path="/dataValueSets")
    assert requests.get(emu.url + "/api/system/info", auth=emu.admin_auth).status_code == 200
    assert emu.faults.pending() == 1
    assert post_json(emu, PAYLOAD).status_code == 503
    assert emu.faults.pending() == 0


def test_latency(emu):
    emu.faults.latency(0.2, path="/system/info")
    started = time.monotonic()
    assert requests.get(emu.url + "/api/system/info", auth=emu.admin_auth).status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.dhis2_profiles(
    "2.39", "2.40", "2.41", "2.42"
)  # asserts the DXF-pipeline (2.39-2.41/2.42) behaviour
def test_request_log_redacts_credentials_and_records_bodies(emu):
    body = gzip.compress(json.dumps(PAYLOAD).encode())
    r = requests.post(emu.url + "/api/41/dataValueSets?dryRun=true", data=body, auth=emu.admin_auth,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})  # fmt: skip
    assert counts(r) == count(imported=1, ignored=1)  # gzip detected by magic bytes
    requests.get(
        emu.url + "/api/system/info", headers={"Authorization": f"ApiToken {emu.admin_token}"}
    )
    post, info = list(emu.requests)
    assert (post.method, post.path, post.query) == (
        "POST",
        "/api/41/dataValueSets",
        {"dryRun": ["true"]},
    )
    assert post.body_size == len(body) and json.loads(post.body) == PAYLOAD
    assert post.headers["Authorization"] == "Basic <redacted>"
    assert info.headers["Authorization"] == "ApiToken <redacted>"
    assert emu.admin_token not in repr(list(emu.requests))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/adx+xml; charset=ISO-8859-1"])  # fmt: skip
def test_unsupported_content_types_give_415(emu, content_type):
    r = requests.post(emu.url + "/api/dataValueSets", data=b"x", headers={"Content-Type": content_type},
                      auth=emu.admin_auth)  # fmt: skip
    assert r.status_code == 415


def test_adx_content_type_with_utf8_charset_is_accepted(emu):
    adx = '<adx xmlns="urn:ihe:qrph:adx:2015"></adx>'
    r = requests.post(emu.url + "/api/dataValueSets", data=adx,
                      headers={"Content-Type": "application/adx+xml; charset=UTF-8"}, auth=emu.admin_auth)  # fmt: skip
    assert r.status_code == 200


def test_expired_and_unknown_tokens(emu):
    import datetime as dt

    from tests.dhis2_emulator.auth import new_token_key

    expired = emu.create_token("admin", expires=dt.datetime(2020, 1, 1))
    r = requests.get(emu.url + "/api/system/info", headers={"Authorization": f"ApiToken {expired}"})
    assert r.status_code == 401
    r = requests.get(
        emu.url + "/api/system/info", headers={"Authorization": f"ApiToken {new_token_key()}"}
    )
    assert (r.status_code, r.json()["message"]) == (401, "The API token does not exists")
    # Bearer is not the PAT scheme.
    r = requests.get(
        emu.url + "/api/system/info", headers={"Authorization": f"Bearer {emu.admin_token}"}
    )
    assert r.status_code == 401
    # An XHR request without credentials gets 401 instead of the login redirect.
    r = requests.get(emu.url + "/api/system/info", headers={"X-Requested-With": "XMLHttpRequest"},
                     allow_redirects=False)  # fmt: skip
    assert r.status_code == 401
    # Following the redirect lands on an HTML login page with 200 — the trap for naive clients.
    r = requests.get(emu.url + "/api/system/info")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html") and r.history
