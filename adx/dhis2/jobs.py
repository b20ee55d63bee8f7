"""Async data value imports: the job id DHIS2 answers, and polling the job to its summary.

``POST /api/dataValueSets?async=true`` answers 200 with a job id; poll
``/api/system/tasks/DATAVALUE_IMPORT/{id}`` until a notification says ``completed``, then read
the bare ImportSummary at ``/api/system/taskSummaries/DATAVALUE_IMPORT/{id}``. Every supported
version marks the job completed *before* it stores the summary (2.39/2.40 ``notify(…, "Import
done", true).addJobSummary(…)``; 2.41/2.42 ``DataValueSetImportJob``, 2.43 ``DataEntryJob``:
``completedProcess`` then ``addJobSummary``), so the summary is polled after completion for up to
``summary_timeout`` seconds (``DHIS2_SUMMARY_TIMEOUT``, default 30).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from adx.dhis2.connection import Connection
from adx.dhis2.http import DHIS2Error

MAX_POLL_WAIT = 10.0  # the wait between polls grows by half each time, up to this
SUMMARY_TIMEOUT = 30.0  # seconds to wait for the summary of a completed job
FAILED_JOB_SUMMARY_POLLS = 10


class JobFailedError(DHIS2Error):
    """The job completed with an ERROR notification and left no import summary."""

    def __init__(self, job_id: str, message: str):
        super().__init__(f"async import job {job_id} failed: {message}")
        self.job_id = job_id
        self.last_message = message


def job_id_of(payload: Any) -> str:
    """The job id of an async import answer (``response.id`` or its notifier endpoint)."""
    response = payload.get("response") if isinstance(payload, Mapping) else None
    job_id = response.get("id") if isinstance(response, Mapping) else None
    if not job_id and isinstance(response, Mapping):
        endpoint = response.get("relativeNotifierEndpoint") or ""
        job_id = endpoint.rstrip("/").rsplit("/", 1)[-1] or None
    if not job_id:
        raise DHIS2Error(f"async import did not return a job id: {str(payload)[:300]}")
    return str(job_id)


def wait_for_job(
    conn: Connection,
    job_id: str,
    *,
    what: str,
    timeout: float,
    interval: float,
    on_message: Callable[[str], None] | None = None,
    summary_timeout: float = SUMMARY_TIMEOUT,
) -> Any:
    """The job's bare ImportSummary (JSON) once it completed.

    Raises :class:`JobFailedError` when the job ended in ERROR without a summary, DHIS2Error when it
    did not complete within ``timeout`` seconds (it may still finish: the message says where
    to look) or completed without a summary.
    """
    deadline = time.monotonic() + timeout
    failed, last_message = _poll_until_completed(
        conn, job_id, what, deadline, timeout, interval, on_message
    )
    summary_deadline = time.monotonic() + summary_timeout
    wait = min(interval, 0.5) or 0.05
    # A job that failed may never store a summary (2.39-2.41): a few polls, not the whole wait.
    polls_left = FAILED_JOB_SUMMARY_POLLS if failed else None
    while True:
        response = conn.request("GET", f"system/taskSummaries/DATAVALUE_IMPORT/{job_id}")
        if response.status_code == 200 and response.content.strip():
            body = conn.json(response, f"task summary of job {job_id}")
            if body:
                return body
        if time.monotonic() > summary_deadline:
            break
        if polls_left is not None:
            polls_left -= 1
            if polls_left <= 0:
                break
        conn.sleep(wait)
        wait = min(wait * 1.5, MAX_POLL_WAIT)
    if failed:
        raise JobFailedError(job_id, last_message)
    raise DHIS2Error(
        f"async import job {job_id} ({what}) completed but stored no import summary within "
        f"{summary_timeout:.0f}s (DHIS2_SUMMARY_TIMEOUT); check "
        f"/api/system/taskSummaries/DATAVALUE_IMPORT/{job_id}"
    )


def _poll_until_completed(
    conn: Connection,
    job_id: str,
    what: str,
    deadline: float,
    timeout: float,
    interval: float,
    on_message: Callable[[str], None] | None,
) -> tuple[bool, str]:
    """(failed, last message) once the newest notification says ``completed``."""
    wait = interval
    last_message = ""
    while True:
        notes = conn.get_json(f"system/tasks/DATAVALUE_IMPORT/{job_id}")
        if isinstance(notes, list) and notes:
            newest = notes[0]
            last_message = str(newest.get("message") or "")
            if on_message:
                on_message(last_message)
            if newest.get("completed"):
                return str(newest.get("level", "")).upper() == "ERROR", last_message
        if time.monotonic() > deadline:
            raise DHIS2Error(
                f"async import job {job_id} ({what}) not completed after {timeout:.0f}s "
                f"(DHIS2_ASYNC_TIMEOUT); last message: {last_message!r}. It may still finish: "
                f"check /api/system/tasks/DATAVALUE_IMPORT/{job_id}"
            )
        conn.sleep(wait)
        wait = min(wait * 1.5, MAX_POLL_WAIT)
