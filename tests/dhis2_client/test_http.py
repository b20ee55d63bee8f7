"""Retry policy, Retry-After, redaction and chunking (pure parts, no server)."""

from __future__ import annotations

import email.utils
import time

import pytest

from adx.dhis2.chunking import UnsortedValuesError, iter_chunks, iter_groups
from adx.dhis2.http import RetryPolicy, parse_retry_after
from adx.dhis2.settings import split_userinfo
from adx.model import DataValue
from redaction import Redactor


def test_backoff_is_exponential_and_capped():
    p = RetryPolicy(backoff=0.5, max_delay=3.0, jitter=0.0)
    assert [p.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_bounds():
    p = RetryPolicy(backoff=1.0, jitter=0.1)
    for _ in range(50):
        assert 1.0 <= p.delay(1) <= 1.1


def test_retry_after_seconds_and_http_date_win_over_backoff():
    p = RetryPolicy(backoff=0.5, jitter=0.0, max_retry_after=60)
    assert p.delay(1, "7") == 7.0
    assert p.delay(1, "3600") == 60  # capped
    future = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 15 <= parse_retry_after(future) <= 21
    assert parse_retry_after("soon") is None
    assert p.delay(2, "soon") == 1.0  # unparseable: normal backoff


def test_retried_statuses_exclude_409_and_other_4xx():
    statuses = RetryPolicy().statuses
    assert statuses == {429, 502, 503, 504}


def test_redactor_and_userinfo():
    r = Redactor(["d2pat_secret123", None, "pw", "hunter22"])
    assert (
        r("GET https://x/api?token=d2pat_secret123 hunter22") == "GET https://x/api?token=*** ***"
    )
    assert r("pw stays (too short to redact safely)") == "pw stays (too short to redact safely)"
    assert split_userinfo("https://admin:dis%40trict@dhis2.example.org/dhis") == (
        "https://dhis2.example.org/dhis",
        "admin",
        "dis@trict",
    )
    assert split_userinfo("http://h:8080/") == ("http://h:8080/", None, None)


def _v(ds, ou, pe, de, value="1", aoc=()):
    return DataValue(ds, pe, ou, de, value, (), aoc)


def test_groups_never_split_and_lists_are_sorted():
    values = [
        _v("A", "OU2", "202401", "X"),
        _v("A", "OU1", "202401", "X"),
        _v("A", "OU1", "202401", "Y"),
    ]
    groups = list(iter_groups(values))
    assert [[(v.org_unit, v.data_element) for v in g] for g in groups] == [
        [("OU1", "X"), ("OU1", "Y")],
        [("OU2", "X")],
    ]


def test_unsorted_stream_is_refused():
    stream = iter(
        [
            _v("A", "OU1", "202401", "X"),
            _v("A", "OU2", "202401", "X"),
            _v("A", "OU1", "202401", "Y"),
        ]
    )
    with pytest.raises(UnsortedValuesError, match="not sorted"):
        list(iter_groups(stream))


def test_chunks_respect_group_count_and_byte_cap():
    values = [_v("A", f"OU{i:02d}", "202401", f"DE{j}") for i in range(10) for j in range(5)]
    chunks = list(iter_chunks(values, max_groups=3))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert sum(len(g) for c in chunks for g in c) == 50
    # Each group holds 5 values of ~70 bytes: a 1000 byte cap fits at most 2 groups.
    chunks = list(iter_chunks(values, max_bytes=1000))
    assert all(len(c) <= 2 for c in chunks)
    assert sorted(v.org_unit for c in chunks for g in c for v in g) == sorted(
        v.org_unit for v in values
    )
    # A cap smaller than one group still sends each group whole.
    chunks = list(iter_chunks(values, max_bytes=10))
    assert [len(c) for c in chunks] == [1] * 10
