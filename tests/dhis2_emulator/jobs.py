"""Async ``DATAVALUE_IMPORT`` jobs: task notifications (newest first) and task summaries (§3.3)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import profiles
from .profiles import Profile

JOB_TYPE = "DATAVALUE_IMPORT"


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


@dataclass
class Job:
    uid: str
    username: str
    created_ms: int
    notifications: list[dict] = field(default_factory=list)  # newest first
    summary: dict | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def notify(self, message: str, level: str = "INFO", completed: bool = False) -> None:
        note = {"uid": f"{self.uid}-{len(self.notifications)}", "level": level, "category": JOB_TYPE,
                "time": _stamp(), "message": message, "completed": completed}  # fmt: skip
        self.notifications.insert(0, note)


class Jobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self.step_delay = 0.0  # seconds between notifications, so polling can observe a running job
        self.summary_lag: float | None = (
            None  # overrides the profile's completed-before-summary window
        )

    def start(self, uid: str, username: str, run: Callable[[], dict], fail: bool,
              profile: Profile | None = None) -> Job:  # fmt: skip
        """Run ``run`` in a thread, notifying like the profile's DHIS2 version.

        Every version marks the job completed *before* it stores the summary (2.39/2.40
        ``DefaultDataValueSetService``: ``notify(.., "Import done", true).addJobSummary(..)``; 2.41/2.42
        ``DataValueSetImportJob``, 2.43 ``DataEntryJob``: ``completedProcess`` then ``addJobSummary``), so for
        ``summary_lag`` seconds ``taskSummaries`` answers an empty body for a completed job.
        """
        profile = profile or profiles.get(None)
        job = Job(uid, username, int(time.time() * 1000))
        with self._lock:
            self._jobs[uid] = job
        messages = list(profile.task_messages) or ["Import started"]
        job.notify(messages[0])
        lag = profile.summary_lag if self.summary_lag is None else self.summary_lag

        def work() -> None:
            try:
                if self.step_delay:
                    time.sleep(self.step_delay)
                if fail:
                    raise RuntimeError("Injected failure of the import job")
                for message in messages[1:]:
                    job.notify(message)
                if self.step_delay:
                    time.sleep(self.step_delay)
                summary = run()
                counts = summary.get("importCount", {})
                job.notify(profile.task_done_message.format(status=summary.get("status"), **counts),
                           "INFO" if summary.get("status") != "ERROR" else "ERROR", completed=True)  # fmt: skip
                if lag:
                    time.sleep(lag)
                job.summary = summary
            except Exception as exc:  # a failing job is reported through notifications, like DHIS2
                job.notify(f"Process failed: {exc}", "ERROR", completed=True)
            finally:
                job.done.set()

        threading.Thread(target=work, name=f"dhis2-emulator-job-{uid}", daemon=True).start()
        return job

    def get(self, uid: str) -> Job | None:
        with self._lock:
            return self._jobs.get(uid)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def wait_all(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(job.done.wait(max(0.0, deadline - time.monotonic())) for job in self.all())

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
