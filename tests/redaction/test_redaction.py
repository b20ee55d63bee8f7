"""One redaction for every place a secret can be: URL user-info, query parameters, ODBC
strings (raw and inside ``odbc_connect``), Authorization headers, known secrets in any form."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from redaction import REDACTED, Redactor, redact_headers, redact_odbc, redact_text, redact_url

SECRET = "S3cr3t-P@ss;w=rd"  # holds the separators that break naive patterns


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "postgresql://reader:hunter22@db.example/openimis",
            "postgresql://reader:***@db.example/openimis",
        ),
        (
            "https://admin:district@dhis2.example.org/dhis",
            "https://admin:***@dhis2.example.org/dhis",
        ),
        (
            "postgresql://reader@db/openimis?password=hunter22",
            "postgresql://reader@db/openimis?password=***",
        ),
        (
            "postgresql://reader@db/openimis?sslmode=require&PWD=hunter22",
            "postgresql://reader@db/openimis?sslmode=require&PWD=***",
        ),
        ("https://h/api?token=d2pat_abc123&x=1", "https://h/api?token=***&x=1"),
        ("https://h/api?api_key=k123456&secret=s123456", "https://h/api?api_key=***&secret=***"),
        ("https://h/api?access_token=a1b2c3d4", "https://h/api?access_token=***"),
        ("https://h/api?Api-Key=zz99zz99", "https://h/api?Api-Key=***"),
    ],
)
def test_redact_url_masks_password_and_secret_parameters(url, kept):
    assert redact_url(url) == kept
    assert "hunter22" not in redact_url(url) and "district" not in redact_url(url)


def test_redact_url_keeps_what_is_not_secret():
    assert redact_url("https://dhis2.example.org/dhis") == "https://dhis2.example.org/dhis"
    assert redact_url("sqlite:////tmp/demo.db") == "sqlite:////tmp/demo.db"
    assert redact_url("postgresql://reader@db:5432/x?sslmode=require") == (
        "postgresql://reader@db:5432/x?sslmode=require"
    )


def test_password_with_url_specials_is_masked_whole():
    url = f"postgresql://u:{quote(SECRET, safe='')}@h/db?password={quote_plus(SECRET)}"
    out = redact_url(url)
    assert quote(SECRET, safe="") not in out and quote_plus(SECRET) not in out and "w=rd" not in out


def test_odbc_connection_strings_raw_and_inside_a_url():
    odbc = "DRIVER={ODBC Driver 18};SERVER=h;UID=sa;PWD=hunter22;Password={p;w}"
    assert redact_odbc(odbc) == "DRIVER={ODBC Driver 18};SERVER=h;UID=sa;PWD=***;Password=***"
    url = "mssql+pyodbc:///?odbc_connect=" + quote_plus(odbc)
    out = redact_url(url)
    assert "hunter22" not in out and "p;w" not in out and "p%3Bw" not in out
    assert "SERVER%3Dh" in out  # the rest of the connection string stays readable
    text = redact_text(f"cannot connect: {url}")
    assert "hunter22" not in text and "SERVER%3Dh" in text


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: ApiToken d2pat_abcdef0123456789",
        "{'Authorization': 'Basic YWRtaW46ZGlzdHJpY3Q='}",
        '"authorization": "Bearer eyJhbGciOi.J9x_y"',
        "sent with Bearer eyJhbGciOiJIUzI1NiJ9.payload",
        "ApiToken d2pat_abcdef0123456789 refused",
    ],
)
def test_authorization_headers_in_text(text):
    out = redact_text(text)
    assert REDACTED in out
    for secret in ("d2pat_abcdef0123456789", "YWRtaW46ZGlzdHJpY3Q=", "eyJhbGciOi"):
        assert secret not in out


def test_prose_is_left_alone():
    text = "Basic authentication failed for user 'admin'; key ideas: none"
    assert redact_text(text) == text


def test_redact_headers_mapping():
    headers = {"Authorization": "ApiToken d2pat_x", "Cookie": "JSESSIONID=1", "Accept": "a/b"}
    assert redact_headers(headers) == {
        "Authorization": REDACTED,
        "Cookie": REDACTED,
        "Accept": "a/b",
    }


def test_text_patterns_user_info_query_and_odbc():
    text = (
        "error at https://etl:district@h/api/x?password=p4ss&pe=202401 "
        "and Driver=x;Pwd=hunter22; and postgresql://u:pw123@db/x"
    )
    out = redact_text(text)
    for secret in ("district", "p4ss", "hunter22", "pw123"):
        assert secret not in out
    assert "pe=202401" in out and "https://etl:***@h/api/x" in out


def test_redactor_masks_known_secrets_in_every_form():
    token = "d2pat_Ab3dEf6hIj9kLm2nOp5q"
    redact = Redactor.for_credentials(token=token, username="admin", password=SECRET)
    basic = base64.b64encode(f"admin:{SECRET}".encode()).decode()
    for form in (SECRET, quote(SECRET, safe=""), quote_plus(SECRET), token, basic):
        out = redact(f"x {form} y")
        assert form not in out and REDACTED in out, form
    assert Redactor([None, "", "ab"])("ab cd") == "ab cd"  # too short to be worth masking


def test_secret_containing_another_is_masked_whole():
    out = Redactor(["abc", "abcdef"])("abcdef")
    assert out == REDACTED
