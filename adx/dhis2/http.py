"""HTTP transport for the DHIS2 client: retry policy, secret redaction, error types.

Retries happen ONLY on connection errors and HTTP 429/502/503/504 (CONTRACT.md §5): DHIS2
answers value conflicts with 409, and a 409 re-sent gives the same 409. Re-posting a data
value chunk after a dropped connection is safe because DHIS2 keys values (a repeat comes
back ``ignored``).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from redaction import Redactor

log = logging.getLogger("adx.dhis2")


class DHIS2Error(RuntimeError):
    """Any failure talking to DHIS2. Messages never contain credentials."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


class DHIS2ConnectionError(DHIS2Error):
    """The server could not be reached (or kept failing with 429/5xx) after every retry.

    ``reason`` is the short cause (``certificate verify failed: self-signed certificate``,
    ``Connection refused``, ``HTTP 503 Service Unavailable``…), already redacted.
    """

    def __init__(self, message: str, *, reason: str = "", status: int | None = None):
        super().__init__(message, status=status)
        self.reason = reason or message


# The informative part of urllib3/requests/ssl exception texts, most specific first.
_REASONS = (
    re.compile(r"certificate verify failed[^'\")\]]*"),
    re.compile(r"\[SSL(?::\s*[A-Z_]+)?\]\s*([^'\")\]]+)"),
    re.compile(r"\[Errno -?\d+\]\s*([^'\")\]]+)"),
    re.compile(r"(Read timed out|Connection refused|Connection reset by peer|Connection aborted|"
               r"Name or service not known|timed out|Remote end closed connection without response)"),
)  # fmt: skip


def failure_reason(exc: BaseException, redact: Redactor | None = None) -> str:
    """A one-line cause of a transport failure, e.g. ``certificate verify failed: …``."""
    text = (redact or Redactor())(exc)
    for pattern in _REASONS:
        found = pattern.search(text)
        if found:
            reason = found.group(1) if pattern.groups else found.group(0)
            return re.sub(r"\s*\(_ssl\.c:\d+\)?", "", reason).strip(" .:")
    return text.splitlines()[0][:200] if text else type(exc).__name__


class DHIS2AuthError(DHIS2Error):
    """Not authenticated (302 to the login page, 401) or not authorised (403)."""


class DHIS2VersionError(DHIS2Error):
    """The server runs a DHIS2 version this client does not support."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures.

    ``attempts`` counts the first try. The delay before retry *n* (1-based) is
    ``min(max_delay, backoff * 2**(n-1))`` with up to ``jitter`` relative random spread,
    unless the server sent ``Retry-After`` (honoured up to ``max_retry_after`` seconds).
    """

    attempts: int = 5
    backoff: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    jitter: float = 0.1
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        if retry_after:
            seconds = parse_retry_after(retry_after)
            if seconds is not None:
                return min(max(seconds, 0.0), self.max_retry_after)
        base = min(self.max_delay, self.backoff * 2.0 ** (retry - 1))
        # jitter only spreads retries out in time; it guards nothing
        return base * (1 + self.jitter * random.random())  # noqa: S311


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    retry: RetryPolicy,
    redact: Redactor,
    timeout: tuple[float, float] | float,
    verify: bool | str = True,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request with the retry policy applied; never follows redirects.

    Raises DHIS2ConnectionError (redacted, without chaining the original exception, whose
    text and request object may hold credentials) when every attempt failed.
    """
    last = last_reason = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            response = session.request(
                method,
                url,
                timeout=timeout,
                verify=verify,
                allow_redirects=False,
                **kwargs,
            )
        except requests.exceptions.SSLError as exc:
            # A certificate problem does not fix itself: do not retry.
            reason = failure_reason(exc, redact)
            raise DHIS2ConnectionError(
                f"TLS verification failed for {redact(url)}: {reason}; set DHIS2_VERIFY=<CA bundle> "
                "for a private CA (false only for tests)",
                reason=f"TLS: {reason}",
            ) from None
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            reason = failure_reason(exc, redact)
            last, last_reason = f"connection error: {reason}", reason
            status = None
            retry_after = None
        except requests.exceptions.Timeout as exc:
            reason = failure_reason(exc, redact)
            if method.upper() == "GET":  # reads are safe to repeat
                last, last_reason = f"timeout: {reason}", f"timed out ({reason})"
                status = None
                retry_after = None
            else:
                # A read timeout on a synchronous import: the server may still be importing.
                raise DHIS2ConnectionError(
                    f"{method} {redact(url)} timed out ({reason}); for large imports use an async "
                    "import (DHIS2_ASYNC=1) or smaller chunks, or raise DHIS2_READ_TIMEOUT",
                    reason=f"timed out ({reason})",
                ) from None
        else:
            status = response.status_code
            if status not in retry.statuses:
                log.debug("%s %s -> %s (attempt %d)", method, redact(url), status, attempt)
                return response
            retry_after = response.headers.get("Retry-After")
            last = last_reason = f"HTTP {status} {response.reason}"
            response.close()
        if attempt == retry.attempts:
            break
        wait = retry.delay(attempt, retry_after)
        log.warning(
            "%s %s failed (%s); retry %d/%d in %.1fs",
            method,
            redact(url),
            last,
            attempt,
            retry.attempts - 1,
            wait,
        )
        sleep(wait)
    raise DHIS2ConnectionError(
        f"{method} {redact(url)} failed after {retry.attempts} attempt(s) (DHIS2_HTTP_ATTEMPTS): "
        f"{last}",
        reason=last_reason,
        status=status,
    )
