"""Fault injection programmable from tests, and the request log tests assert against."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

REDACTED = "<redacted>"
_SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}


@dataclass(frozen=True)
class RequestRecord:
    """One received request; credentials are never kept."""

    method: str
    path: str  # without the query string, as sent (``/api/41/...`` stays versioned)
    query: dict[str, list[str]]
    headers: dict[str, str]
    body_size: int  # bytes on the wire (compressed size if gzip)
    body: bytes = field(repr=False)  # decompressed body, for asserting chunk contents
    status: int | None = None  # HTTP status sent (None: connection dropped)
    fault: str | None = None  # the injected fault, if any


def redact_headers(headers) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        if key.lower() in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[key] = f"{scheme} {REDACTED}".strip()
        else:
            out[key] = value
    return out


@dataclass
class _Rule:
    kind: str  # "status" | "drop" | "latency"
    remaining: int | None  # None = forever (latency)
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None  # substring of the version-free path, e.g. "/dataValueSets"

    def applies(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or self.path in path
        )


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0


class Faults:
    """Queue of faults; each request consumes at most one status/drop fault (first match wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._failing_jobs = 0

    def latency(
        self, seconds: float, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Delay every matching request by ``seconds`` before answering (until ``clear()``)."""
        with self._lock:
            self._rules.append(_Rule("latency", None, seconds=seconds, method=method, path=path))

    def fail_next(self, count: int = 1, status: int = 503, *, method: str | None = None, path: str | None = None,
                  retry_after: int | str | None = None) -> None:  # fmt: skip
        """The next ``count`` matching requests get ``status`` (500/502/503/504/429…) without being processed."""
        with self._lock:
            self._rules.append(_Rule("status", count, status=status, method=method, path=path,
                                     retry_after=None if retry_after is None else str(retry_after)))  # fmt: skip

    def rate_limit_next(self, count: int = 1, retry_after: int | str = 1, *, method: str | None = None,
                        path: str | None = None) -> None:  # fmt: skip
        """The next ``count`` matching requests get 429 with ``Retry-After``."""
        self.fail_next(count, 429, method=method, path=path, retry_after=retry_after)

    def drop_next(
        self, count: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Read the body of the next ``count`` matching requests, then close the socket without a response."""
        with self._lock:
            self._rules.append(_Rule("drop", count, method=method, path=path))

    def fail_next_job(self, count: int = 1) -> None:
        """The next ``count`` async import jobs fail (notification level ERROR, no summary)."""
        with self._lock:
            self._failing_jobs += count

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._failing_jobs = 0

    def take_job_failure(self) -> bool:
        with self._lock:
            if self._failing_jobs > 0:
                self._failing_jobs -= 1
                return True
            return False

    def pending(self) -> int:
        """Count of not yet consumed status/drop faults."""
        with self._lock:
            return sum(r.remaining or 0 for r in self._rules if r.kind != "latency")

    def take(self, method: str, path: str) -> tuple[float, Fault | None]:
        """(latency seconds, fault to apply or None) for one request."""
        delay = 0.0
        chosen: Fault | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.applies(method, path):
                    continue
                if rule.kind == "latency":
                    delay += rule.seconds
                elif chosen is None and rule.remaining:
                    rule.remaining -= 1
                    chosen = Fault(rule.kind, rule.status, rule.retry_after)
            self._rules = [r for r in self._rules if r.kind == "latency" or r.remaining]
        return delay, chosen


class RequestLog:
    """Thread-safe list of :class:`RequestRecord`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __iter__(self):
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __getitem__(self, index):
        with self._lock:
            return self._records[index]

    def matching(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Records whose method equals ``method`` and whose path contains ``path``."""
        with self._lock:
            return [r for r in self._records if (method is None or r.method == method.upper())
                    and (path is None or path in r.path)]  # fmt: skip
