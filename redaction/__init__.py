"""One redaction for every URL and secret the project handles: a leaf package (stdlib only).

Every package may import it (it imports none of them), so database URLs (``openimis_db``,
``synthetic_data``, ``pipelines``) and DHIS2 URLs and credentials (``adx.dhis2``) are masked
by the same rules:

- user-info of any URL: ``scheme://user:secret@host`` -> ``scheme://user:***@host`` (a URL
  holding only a user name keeps it: a name is not a secret);
- query parameters named like a secret (``password``, ``pwd``, ``passwd``, ``pass``,
  ``token``, ``access_token``, ``secret``, ``api_key``/``apikey``, ``key``, ``auth``…);
- ``PWD=``/``Password=`` (and the other secret keys) in ODBC connection strings, including
  inside a URL's ``odbc_connect=`` parameter (percent-encoded);
- ``Authorization`` headers (``Basic``, ``Bearer``, ``ApiToken``) in text and mappings;
- any known secret (token, password, its Base64 Basic form, percent-encoded forms) wherever
  it appears: :class:`Redactor`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlencode, urlsplit

REDACTED = "***"

# Names (lower case, ``-`` read as ``_``) whose values are secrets in queries, ODBC strings, headers.
SECRET_NAMES = frozenset(
    {
        "password", "pwd", "passwd", "pass", "token", "access_token", "refresh_token",
        "id_token", "auth_token", "api_token", "secret", "client_secret", "api_key", "apikey",
        "key", "auth", "authorization", "sslpassword", "private_key", "credentials", "session",
    }
)  # fmt: skip

_NAME = r"[A-Za-z][A-Za-z0-9_.-]*"
# scheme://user:password@ (the password part is redacted; user kept).
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:'\"]*):(?P<pw>[^/@\s'\"]*)@")
# key=value in a query string or an ODBC/libpq connection string (value up to & ; space or quote).
_PAIR = re.compile(r"(?P<key>" + _NAME + r")(?P<eq>\s*=\s*)(?P<value>\{[^}]*\}|[^&;\s'\"]*)")
_AUTH_HEADER = re.compile(
    r"(?P<head>\bauthorization['\"]?\s*[:=]\s*['\"]?\s*(?:basic|bearer|apitoken|token|digest)?\s*)"
    r"(?P<value>[^\s'\",}]+)",
    re.IGNORECASE,
)
# A credential after its scheme word: it must look like one (a digit, ``=``, ``_`` or 16+ chars),
# so prose such as "Basic authentication" is left alone.
_AUTH_SCHEME = re.compile(
    r"\b(?P<head>(?:Basic|Bearer|ApiToken)\s+)"
    r"(?P<value>(?=[A-Za-z0-9._~+/=-]*[0-9=_])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z0-9._~+/=-]{16,})"
)


def is_secret_name(name: str) -> bool:
    return name.strip().lower().replace("-", "_") in SECRET_NAMES


def redact_odbc(text: str) -> str:
    """``DRIVER=…;UID=u;PWD=secret`` -> ``…;PWD=***`` (values in braces too)."""

    def sub(m: re.Match[str]) -> str:
        if is_secret_name(m.group("key")):
            return f"{m.group('key')}{m.group('eq')}{REDACTED}"
        return m.group(0)

    return _PAIR.sub(sub, text)


def redact_url(url: str) -> str:
    """The URL with its password, secret query parameters and ODBC secrets masked.

    Not a URL (no ``scheme://``)? Then it is treated as text (:func:`redact_text`).
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return redact_text(text)
    if not parts.scheme or "//" not in text[: len(parts.scheme) + 3]:
        return redact_text(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{host}" if has_password else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(key, _redact_query_value(key, value)) for key, value in pairs], safe="*"
        )
    if netloc == parts.netloc and query == parts.query:
        return text
    # Rebuilt by hand: urlunsplit drops the ``//`` of an empty host (``sqlite:////path``).
    out = f"{parts.scheme}://{netloc}{parts.path}"
    return out + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _redact_query_value(key: str, value: str) -> str:
    """One query parameter's value: masked when its name is a secret's, ODBC strings redacted."""
    if is_secret_name(key):
        return REDACTED
    if key.lower() == "odbc_connect":
        return redact_odbc(value)
    return value


def redact_text(text: object, secrets: Iterable[str | None] = ()) -> str:
    """Any text (messages, exception texts, log lines) with every secret form masked."""
    out = str(text)
    for secret in _secret_forms(secrets):
        out = out.replace(secret, REDACTED)
    out = _USERINFO.sub(lambda m: f"{m.group('head')}:{REDACTED}@", out)
    out = _AUTH_HEADER.sub(lambda m: f"{m.group('head')}{REDACTED}", out)
    out = _AUTH_SCHEME.sub(lambda m: f"{m.group('head')}{REDACTED}", out)
    out = _PAIR.sub(_pair_sub, out)
    return out


def _pair_sub(m: re.Match[str]) -> str:
    key = m.group("key")
    if is_secret_name(key):
        return f"{key}{m.group('eq')}{REDACTED}"
    if key.lower() == "odbc_connect":  # percent-encoded connection string inside a URL
        return f"{key}{m.group('eq')}{quote_plus(redact_odbc(unquote_plus(m.group('value'))), safe='*')}"
    return m.group(0)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of HTTP headers with ``Authorization``-like and cookie values masked."""
    hidden = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
    return {
        k: (REDACTED if k.lower() in hidden or is_secret_name(k) else v) for k, v in headers.items()
    }


def _secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """Each secret as given and percent-encoded; longest first so a secret containing another
    is replaced whole. Very short strings are skipped: masking ``ab`` everywhere helps no one."""
    forms: set[str] = set()
    for s in secrets:
        if not s or len(s) < 3:
            continue
        forms |= {s, quote(s, safe=""), quote_plus(s, safe="")}
    return sorted(forms, key=len, reverse=True)


class Redactor:
    """Masks known secrets (and every pattern above) in any text: ``Redactor([token])(text)``.

    Give it the user name and password with :meth:`for_basic` to also mask the Base64
    ``user:password`` of a Basic ``Authorization`` header.
    """

    def __init__(self, secrets: Iterable[str | None] = ()):
        self._secrets = [s for s in secrets if s]

    @classmethod
    def for_credentials(
        cls, *, token: str | None = None, username: str | None = None, password: str | None = None
    ) -> Redactor:
        basic = None
        if username and password:
            basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        return cls([token, password, basic])

    def __call__(self, text: object) -> str:
        return redact_text(text, self._secrets)
