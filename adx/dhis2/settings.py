"""DHIS2 connection and push settings, read once from the environment.

One place for every ``DHIS2_*`` variable: the client (``DHIS2Client.from_settings``), the
Dagster resource and the command line all build on :meth:`DHIS2Settings.from_env`. Every
value is validated here, so a typo gives one line naming the variable and the accepted form.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit, urlunsplit


class DHIS2SettingsError(ValueError):
    """A ``DHIS2_*`` environment variable has a value this client cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``https://u:p@host/x`` -> (``https://host/x``, ``u``, ``p``): credentials never stay in URLs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(user) or None, unquote(password) or None


@dataclass(frozen=True)
class DHIS2Settings:
    """Where DHIS2 is, how to authenticate, how long to wait, and push defaults.

    Environment variables (all optional except ``DHIS2_URL`` for anything that talks to DHIS2):
    ``DHIS2_URL`` base URL (``https://user:password@host`` is accepted: converted to Basic
    auth and removed from the URL); ``DHIS2_TOKEN`` personal access token, or
    ``DHIS2_USERNAME`` / ``DHIS2_PASSWORD``; ``DHIS2_VERIFY`` ``true`` (default), ``false``
    (tests only) or a CA bundle path; ``DHIS2_CONNECT_TIMEOUT`` (s, default 10);
    ``DHIS2_READ_TIMEOUT`` (s, default 300); ``DHIS2_HTTP_ATTEMPTS`` tries per request on
    transient errors (default 5); ``DHIS2_RETRY_AFTER_MAX`` cap on a server's ``Retry-After``
    (s, default 300); ``DHIS2_ASYNC_TIMEOUT`` wait for an async import job (s, default 3600);
    ``DHIS2_POLL_INTERVAL`` first wait between job polls (s, default 1);
    ``DHIS2_SUMMARY_TIMEOUT`` wait for the summary of a job DHIS2 marked completed before storing
    it (s, default 30; every supported version has that race); ``DHIS2_DRY_RUN``,
    ``DHIS2_ASYNC`` (flags); ``DHIS2_CONFLICT_TOLERANCE`` rejected values accepted (default 0);
    ``DHIS2_COMPLETE`` register pushed data sets complete (flag, default on);
    ``DHIS2_LEDGER`` path of the push ledger (default: beside the outputs).
    """

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify: bool | str = True
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    attempts: int = 5
    max_retry_after: float = 300.0
    async_timeout: float = 3600.0
    poll_interval: float = 1.0
    summary_timeout: float = 30.0
    dry_run: bool = False
    async_import: bool = False
    conflict_tolerance: int = 0
    complete: bool = True
    ledger_path: str | None = None

    def __post_init__(self) -> None:
        if self.url:
            url, user, password = split_userinfo(self.url.strip())
            object.__setattr__(self, "url", url)
            if user and not self.token and not self.username:
                object.__setattr__(self, "username", user)
                object.__setattr__(self, "password", self.password or password)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or (self.username and self.password))

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` as ``requests`` takes it."""
        return (self.connect_timeout, self.read_timeout)

    def with_(self, **changes: object) -> DHIS2Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DHIS2Settings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            url=_text(env, "DHIS2_URL"),
            token=_text(env, "DHIS2_TOKEN"),
            username=_text(env, "DHIS2_USERNAME"),
            password=env.get("DHIS2_PASSWORD") or None,
            verify=parse_verify(env.get("DHIS2_VERIFY", "")),
            connect_timeout=_seconds(env, "DHIS2_CONNECT_TIMEOUT", d.connect_timeout),
            read_timeout=_seconds(env, "DHIS2_READ_TIMEOUT", d.read_timeout),
            attempts=_count(env, "DHIS2_HTTP_ATTEMPTS", d.attempts, minimum=1),
            max_retry_after=_seconds(env, "DHIS2_RETRY_AFTER_MAX", d.max_retry_after, zero=True),
            async_timeout=_seconds(env, "DHIS2_ASYNC_TIMEOUT", d.async_timeout),
            poll_interval=_seconds(env, "DHIS2_POLL_INTERVAL", d.poll_interval, zero=True),
            summary_timeout=_seconds(env, "DHIS2_SUMMARY_TIMEOUT", d.summary_timeout, zero=True),
            dry_run=parse_flag(env, "DHIS2_DRY_RUN", d.dry_run),
            async_import=parse_flag(env, "DHIS2_ASYNC", d.async_import),
            conflict_tolerance=_count(env, "DHIS2_CONFLICT_TOLERANCE", d.conflict_tolerance),
            complete=parse_flag(env, "DHIS2_COMPLETE", d.complete),
            ledger_path=_text(env, "DHIS2_LEDGER"),
        )


def _text(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def parse_verify(raw: str) -> bool | str:
    """``DHIS2_VERIFY``: a boolean word, or the path of a CA bundle (empty: verify)."""
    text = raw.strip()
    if not text or text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return text


def parse_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise DHIS2SettingsError(f"{name}={raw!r} is not a flag: expected 1/0, true/false, yes/no")


def _count(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise DHIS2SettingsError(f"{name}={raw!r} is not valid: expected an integer >= {minimum}")
    return int(raw)


def _seconds(env: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    low_ok = value >= 0 if zero else value > 0
    if not (low_ok and value < float("inf")):
        bound = ">= 0" if zero else "> 0"
        raise DHIS2SettingsError(
            f"{name}={raw!r} is not valid: expected a number of seconds {bound}"
        )
    return value
