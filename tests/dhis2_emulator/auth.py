"""Authentication as DHIS2 2.41 answers it: Basic, ``ApiToken d2pat_…``, 302 to the login page (§3.7)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
import string
import zlib
from dataclasses import dataclass

from .store import Store, Token, User

LOGIN_PATH = "/dhis-web-commons/security/login.action"
_TOKEN_HEADER = re.compile(r"^ApiToken (?P<token>[a-z0-9-._~+/]+=*)$", re.IGNORECASE)
_ALPHABET = string.ascii_letters + string.digits


def new_token_key() -> str:
    """``d2pat_`` + 32 random base64-alphabet chars + the 10-digit zero-padded CRC32 of the first part."""
    body = "d2pat_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    return body + f"{zlib.crc32(body.encode()):010d}"


def checksum_ok(key: str) -> bool:
    if not key.startswith("d2pat_") or len(key) != 48:
        return False
    body, digits = key[:38], key[38:]
    return digits.isdigit() and int(digits) == zlib.crc32(body.encode())


@dataclass
class AuthResult:
    """Either a user, or the HTTP response DHIS2 sends instead (401 JSON or 302 redirect)."""

    user: User | None = None
    status: int = 200
    message: str | None = None
    redirect: bool = False


def authenticate(store: Store, headers) -> AuthResult:
    header = headers.get("Authorization")
    if not header:
        if (headers.get("X-Requested-With") or "").lower() == "xmlhttprequest":
            return AuthResult(status=401, message="Unauthorized")
        return AuthResult(status=302, redirect=True)
    scheme = header.split(" ", 1)[0].lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode(
                "utf-8"
            )
            username, _, password = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError, IndexError):
            return AuthResult(status=401, message="Unauthorized")
        with store.lock:
            user = store.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password):
            return AuthResult(status=401, message="Unauthorized")
        if user.disabled:
            return AuthResult(status=401, message="Account disabled")
        return AuthResult(user=user)
    if scheme == "apitoken":
        match = _TOKEN_HEADER.match(header.strip())
        if not match:
            return AuthResult(status=401, message="Invalid token")
        key = match.group("token")
        if not checksum_ok(key):
            return AuthResult(status=401, message="Invalid token")
        with store.lock:
            token: Token | None = store.tokens.get(key)
            user = store.users.get(token.username) if token else None
        if token is None or user is None:
            return AuthResult(status=401, message="The API token does not exists")
        if token.expires is not None and token.expires <= dt.datetime.now(dt.UTC).replace(
            tzinfo=None
        ):
            return AuthResult(status=401, message="The API token has expired")
        return AuthResult(user=user)
    # Unknown scheme (e.g. "Bearer" without OAuth2 configured): treated as no usable credentials.
    return AuthResult(status=401, message="Unauthorized")
