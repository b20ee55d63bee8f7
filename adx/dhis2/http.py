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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

log = logging.getLogger("adx.dhis2")

REDACTED = "***"


class DHIS2Error(RuntimeError):
    """Any failure talking to DHIS2. Messages never contain credentials."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


class DHIS2ConnectionError(DHIS2Error):
    """The server could not be reached (or kept failing with 429/5xx) after every retry."""


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
        base = min(self.max_delay, self.backoff * 2 ** (retry - 1))
        return base * (1 + self.jitter * random.random())


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


# user:password@ in any URL inside a message (requests' texts quote URLs).
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class Redactor:
    """Replaces every known secret (and URL user-info) in a text by ``***``."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        # Longest first so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = _USERINFO.sub(r"\1***@", str(text))
        for secret in self._secrets:
            out = out.replace(secret, REDACTED)
        return out


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
    last: str = ""
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
            raise DHIS2ConnectionError(
                f"TLS verification failed for {redact(url)}: {redact(exc)}; pass verify=<CA bundle> "
                "for a private CA (verify=False only for tests)"
            ) from None
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            last = f"connection error: {redact(exc)}"
            status = None
            retry_after = None
        except requests.exceptions.Timeout as exc:
            if method.upper() == "GET":  # reads are safe to repeat
                last = f"timeout: {redact(exc)}"
                status = None
                retry_after = None
            else:
                # A read timeout on a synchronous import: the server may still be importing.
                raise DHIS2ConnectionError(
                    f"{method} {redact(url)} timed out ({redact(exc)}); for large imports use "
                    "async_=True or smaller chunks, or raise the read timeout"
                ) from None
        else:
            status = response.status_code
            if status not in retry.statuses:
                log.debug("%s %s -> %s (attempt %d)", method, redact(url), status, attempt)
                return response
            retry_after = response.headers.get("Retry-After")
            last = f"HTTP {status} {response.reason}"
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
        f"{method} {redact(url)} failed after {retry.attempts} attempt(s): {last}",
        status=status,
    )
