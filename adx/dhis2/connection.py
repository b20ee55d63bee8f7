"""An authenticated connection to one DHIS2 instance: base URL, auth, one request.

Everything above it (push, async jobs, read-back, metadata) sends through
:meth:`Connection.request`, which applies the retry policy (``adx.dhis2.http.send``), never
follows redirects (no credentials = a 302 to the login page) and turns 3xx/401/403 into
:class:`DHIS2AuthError`. Credentials never appear in ``repr``, logs or exception texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from adx.dhis2.http import DHIS2AuthError, DHIS2Error, RetryPolicy, send
from adx.dhis2.settings import DHIS2Settings, split_userinfo
from redaction import Redactor

ADX_CONTENT_TYPE = "application/adx+xml"
JSON_CONTENT_TYPE = "application/json"


class _ApiTokenAuth(requests.auth.AuthBase):
    """``Authorization: ApiToken d2pat_...`` (not Bearer, CONTRACT.md §3.7)."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"ApiToken {self._token}"
        return r

    def __repr__(self) -> str:
        return "ApiTokenAuth(***)"


class _BasicAuth(requests.auth.HTTPBasicAuth):
    def __repr__(self) -> str:
        return f"BasicAuth({self.username!r}, ***)"


class Connection:
    """Base URL + auth + session + retry policy + waits. Use as a context manager."""

    # one keyword per DHIS2Settings field (from_settings fills them); the Dagster resource and the
    # tests pass them by name, so a grouping value would only rename the same options
    def __init__(  # noqa: PLR0913
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: tuple[float, float] | float = (10, 300),
        verify: bool | str = True,
        retries: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        async_timeout: float = 3600.0,
        poll_interval: float = 1.0,
        summary_timeout: float = 30.0,
    ):
        url, url_user, url_password = split_userinfo(base_url.strip())
        username = username or url_user
        password = password or url_password
        self.base_url = url.rstrip("/")
        if self.base_url.endswith("/api"):
            self.base_url = self.base_url[: -len("/api")]
        self.timeout = timeout
        self.verify = verify
        self.retries = retries or RetryPolicy()
        self.async_timeout = async_timeout
        self.poll_interval = poll_interval
        self.summary_timeout = summary_timeout
        self.sleep = sleep
        self._session = session or requests.Session()
        self._owns_session = session is None
        self._auth: requests.auth.AuthBase | None
        if token:
            self._auth = _ApiTokenAuth(token)
            self._auth_kind = "token"
        elif username and password:
            self._auth = _BasicAuth(username, password)
            self._auth_kind = f"basic user {username!r}"
        else:
            self._auth = None
            self._auth_kind = "no credentials"
        self.redact = Redactor.for_credentials(token=token, username=username, password=password)

    @classmethod
    def from_settings(cls, settings: DHIS2Settings, **kwargs: Any) -> Any:
        """A client for ``settings`` (``kwargs``: ``session``, ``sleep``, or overrides)."""
        if not settings.url:
            raise DHIS2Error("DHIS2_URL is not set")
        options: dict[str, Any] = {
            "token": settings.token,
            "username": settings.username,
            "password": settings.password,
            "timeout": settings.timeout,
            "verify": settings.verify,
            "retries": RetryPolicy(
                attempts=settings.attempts, max_retry_after=settings.max_retry_after
            ),
            "async_timeout": settings.async_timeout,
            "poll_interval": settings.poll_interval,
            "summary_timeout": settings.summary_timeout,
        }
        options.update(kwargs)
        return cls(settings.url, **options)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """From the ``DHIS2_*`` variables (see :class:`DHIS2Settings`)."""
        return cls.from_settings(DHIS2Settings.from_env(environ), **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, auth={self._auth_kind})"

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request with retries and auth handling; 3xx/401/403 raise DHIS2AuthError."""
        headers = {"Accept": JSON_CONTENT_TYPE, **(kwargs.pop("headers", None) or {})}
        response = send(
            self._session,
            method,
            self._url(path),
            retry=self.retries,
            redact=self.redact,
            timeout=self.timeout,
            verify=self.verify,
            sleep=self.sleep,
            auth=self._auth,
            headers=headers,
            **kwargs,
        )
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "")
            hint = "login page" if "login" in target.lower() else f"{self.redact(target)!r}"
            raise DHIS2AuthError(
                f"not authenticated: DHIS2 redirected {method} {path} to its {hint} (HTTP {status}); "
                "check DHIS2_TOKEN / DHIS2_USERNAME+DHIS2_PASSWORD (and that DHIS2_URL is the "
                "server's base URL)",
                status=status,
            )
        if status == 401:
            raise DHIS2AuthError(
                f"authentication failed (HTTP 401: {self.message(response) or 'Unauthorized'}); "
                "check DHIS2_TOKEN / DHIS2_USERNAME+DHIS2_PASSWORD",
                status=status,
            )
        if status == 403:
            raise DHIS2AuthError(
                f"not authorised: {method} {path} -> HTTP 403 ({self.message(response)}); the "
                "DHIS2 user needs the authority for this operation",
                status=status,
            )
        return response

    def message(self, response: requests.Response) -> str:
        """DHIS2's ``message`` of an error response (redacted), or the start of its body."""
        try:
            body = response.json()
        except ValueError:
            return self.redact(response.text[:200].strip())
        if isinstance(body, Mapping):
            return self.redact(body.get("message") or body.get("httpStatus") or "")
        return ""

    def json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            ctype = response.headers.get("Content-Type", "?")
            raise DHIS2Error(
                f"{what}: expected JSON, got HTTP {response.status_code} {ctype}: "
                f"{self.redact(response.text[:200])!r}",
                status=response.status_code,
            ) from None

    def get_json(self, path: str, params: Any = None) -> Any:
        response = self.request("GET", path, params=params)
        if response.status_code >= 400:
            raise DHIS2Error(
                f"GET {path} failed: HTTP {response.status_code} {self.message(response)}",
                status=response.status_code,
            )
        return self.json(response, f"GET {path}")
