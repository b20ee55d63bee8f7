"""A requests transport adapter that answers from a script, for transport-level client tests
(retries, redirects, auth errors, async polling) without a server."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import requests


class Scripted(requests.adapters.BaseAdapter):
    """Each item: an exception to raise, or ``(status, body, headers)`` (body: JSON-able or bytes)."""

    def __init__(self, script: Iterable[Any]):
        super().__init__()
        self.script = list(script)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # noqa: ARG002 - requests' adapter signature
        self.requests.append(request)
        if not self.script:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        status, body, headers = (item + ({},))[:3] if len(item) == 2 else item
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update({"Content-Type": "application/json", **headers})
        response.url = request.url
        response.request = request
        response.reason = {200: "OK", 302: "Found", 401: "Unauthorized", 409: "Conflict"}.get(
            status, "X"
        )
        return response

    def close(self):
        pass


def session_with(script: Iterable[Any]) -> tuple[requests.Session, Scripted]:
    adapter = Scripted(script)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter
