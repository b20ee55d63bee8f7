"""Anonymised copies built once per worker and shared by the read-only tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from synthetic_data.anonymise import AnonymiseOptions, anonymise

from .helpers import all_text_values

SEED = 20240611


@pytest.fixture(scope="session")
def demo_source_url(pg_server, openimis_demo_template) -> Iterator[str]:
    """A clone of the real openIMIS demo database (never written by the tests)."""
    name = pg_server.create_database(template=openimis_demo_template, prefix="anon_src")
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def demo_pg_copy(pg_server, openimis_schema_template, demo_source_url):
    """Demo data anonymised into an empty REAL openIMIS schema on PostgreSQL, no shift, k=3 report."""
    name = pg_server.create_database(template=openimis_schema_template, prefix="anon_pg")
    url = pg_server.url(name)
    baseline = all_text_values(url)  # the base data an empty openIMIS schema ships
    report = anonymise(demo_source_url, url, AnonymiseOptions(seed=SEED, k=3, chunk_rows=50))
    yield url, report, baseline
    pg_server.drop_database(name)


def _sqlite_copy(tmp_path_factory, source_url: str, stem: str, **options):
    path = tmp_path_factory.mktemp("anon") / f"{stem}.db"
    url = f"sqlite:///{path}"
    report = anonymise(source_url, url, AnonymiseOptions(seed=SEED, **options))
    return url, report


@pytest.fixture(scope="session")
def demo_sqlite_shift5(tmp_path_factory, demo_source_url):
    return _sqlite_copy(tmp_path_factory, demo_source_url, "shift5", shift_months=5)


@pytest.fixture(scope="session")
def demo_sqlite_shift48(tmp_path_factory, demo_source_url):
    return _sqlite_copy(tmp_path_factory, demo_source_url, "shift48", shift_months=48)
