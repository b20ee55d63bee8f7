"""DHIS2Settings.from_env: one reader of every DHIS2_* variable, validated with one-line
messages, shared by the client, the Dagster resource and the CLI."""

from __future__ import annotations

import pytest
import requests

from adx.dhis2.client import DHIS2Client, DHIS2ConnectionError
from adx.dhis2.settings import DHIS2Settings, DHIS2SettingsError
from pipelines.resources import dhis2_from_env
from tests.dhis2_client.scripted import session_with


def test_defaults_are_the_documented_ones():
    s = DHIS2Settings.from_env({})
    assert (s.url, s.verify, s.timeout, s.attempts) == (None, True, (10.0, 300.0), 5)
    assert (s.max_retry_after, s.async_timeout, s.poll_interval) == (300.0, 3600.0, 1.0)
    assert (s.dry_run, s.async_import, s.conflict_tolerance) == (False, False, 0)
    assert not s.configured and not s.has_credentials


def test_every_wait_is_read_and_reaches_the_client():
    env = {
        "DHIS2_URL": "https://h.example/dhis", "DHIS2_TOKEN": "d2pat_x",
        "DHIS2_CONNECT_TIMEOUT": "3", "DHIS2_READ_TIMEOUT": "42.5", "DHIS2_HTTP_ATTEMPTS": "2",
        "DHIS2_RETRY_AFTER_MAX": "7", "DHIS2_ASYNC_TIMEOUT": "120", "DHIS2_POLL_INTERVAL": "0.5",
        "DHIS2_VERIFY": "/etc/ca.pem",
    }  # fmt: skip
    client = DHIS2Client.from_env(env)
    assert client.timeout == (3.0, 42.5) and client.verify == "/etc/ca.pem"
    assert (client.retries.attempts, client.retries.max_retry_after) == (2, 7.0)
    assert (client.async_timeout, client.poll_interval) == (120.0, 0.5)
    resource = dhis2_from_env(env)
    assert resource.to_settings().with_(url="x", token="t") == DHIS2Settings.from_env(env).with_(
        url="x", token="t"
    )


def test_summary_wait_is_read_and_reaches_the_client():
    env = {"DHIS2_URL": "https://h.example", "DHIS2_SUMMARY_TIMEOUT": "4.5"}
    assert DHIS2Settings.from_env(env).summary_timeout == 4.5
    assert DHIS2Client.from_env(env).summary_timeout == 4.5
    assert DHIS2Client.from_env({"DHIS2_URL": "https://h.example"}).summary_timeout == 30.0


@pytest.mark.parametrize(
    ("name", "raw", "accepted"),
    [
        ("DHIS2_HTTP_ATTEMPTS", "abc", "an integer >= 1"),
        ("DHIS2_HTTP_ATTEMPTS", "0", "an integer >= 1"),
        ("DHIS2_CONFLICT_TOLERANCE", "-1", "an integer >= 0"),
        ("DHIS2_READ_TIMEOUT", "soon", "a number of seconds > 0"),
        ("DHIS2_CONNECT_TIMEOUT", "0", "a number of seconds > 0"),
        ("DHIS2_ASYNC_TIMEOUT", "inf", "a number of seconds > 0"),
        ("DHIS2_RETRY_AFTER_MAX", "-5", "a number of seconds >= 0"),
        ("DHIS2_POLL_INTERVAL", "nan", "a number of seconds >= 0"),
        ("DHIS2_SUMMARY_TIMEOUT", "later", "a number of seconds >= 0"),
        ("DHIS2_ASYNC", "maybe", "1/0, true/false"),
    ],
)
def test_bad_values_name_the_variable_and_the_accepted_form(name, raw, accepted):
    with pytest.raises(DHIS2SettingsError) as info:
        DHIS2Settings.from_env({name: raw})
    message = str(info.value)
    assert message.startswith(f"{name}={raw!r}") and accepted in message and "\n" not in message


def test_credentials_in_the_url_become_basic_auth_and_leave_the_url():
    s = DHIS2Settings.from_env({"DHIS2_URL": "https://etl:dis%40trict@h.example/dhis"})
    assert (s.url, s.username, s.password, s.has_credentials) == (
        "https://h.example/dhis", "etl", "dis@trict", True,
    )  # fmt: skip
    assert "trict" not in repr(s)
    # An explicit token wins; the URL is stripped either way.
    s = DHIS2Settings.from_env({"DHIS2_URL": "https://etl:pw@h", "DHIS2_TOKEN": "d2pat_y"})
    assert (s.url, s.username, s.token) == ("https://h", None, "d2pat_y")


def test_tls_failure_keeps_its_reason():
    ssl_error = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: /api/system/info "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: self-signed certificate (_ssl.c:1000)')))"
    )
    session, adapter = session_with([ssl_error])
    client = DHIS2Client("https://h", token="d2pat_z", session=session)
    with pytest.raises(DHIS2ConnectionError) as info:
        client.system_info()
    assert info.value.reason == "TLS: certificate verify failed: self-signed certificate"
    assert "DHIS2_VERIFY" in str(info.value) and len(adapter.requests) == 1
