"""Async ``DATAVALUE_IMPORT`` jobs: task notifications (newest first) and task summaries (§3.3)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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

    def start(self, uid: str, username: str, run: Callable[[], dict], fail: bool) -> Job:
        job = Job(uid, username, int(time.time() * 1000))
        with self._lock:
            self._jobs[uid] = job
        job.notify("Import started")

        def work() -> None:
            try:
                if self.step_delay:
                    time.sleep(self.step_delay)
                if fail:
                    raise RuntimeError("Injected failure of the import job")
                job.notify("Importing data values")
                if self.step_delay:
                    time.sleep(self.step_delay)
                summary = run()
                counts = summary.get("importCount", {})
                job.summary = summary
                job.notify(f"Import done. Completed with status {summary.get('status')}, imported: "
                           f"{counts.get('imported')}, updated: {counts.get('updated')}, "
                           f"deleted: {counts.get('deleted')}, ignored: {counts.get('ignored')}",
                           "INFO" if summary.get("status") != "ERROR" else "ERROR", completed=True)  # fmt: skip
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
