"""A generated openIMIS database (SQLite, 2,000 insurees) anonymised into a real schema on PostgreSQL."""

from __future__ import annotations

import pytest

from synthetic_data.anonymise import AnonymiseOptions, anonymise

from .conftest import SEED
from .helpers import (
    all_text_values,
    fk_violations,
    leaks,
    real_schema_fk_violations,
    source_identifiers,
    table_rows,
)
from .indicators import (
    birth_month_enrolment_periods,
    check_age_split,
    compare,
    expected_patient_moves,
    indicators,
)


@pytest.fixture(scope="module")
def generated_copy(pg_server, openimis_schema_template, small_sqlite_url):
    name = pg_server.create_database(template=openimis_schema_template, prefix="anon_gen")
    url = pg_server.url(name)
    baseline = all_text_values(url)
    report = anonymise(small_sqlite_url, url, AnonymiseOptions(seed=SEED, k=5, suppress=False))
    yield url, report, baseline
    pg_server.drop_database(name)


def test_generated_database_leaks_nothing_and_keeps_integrity(small_sqlite_url, generated_copy):
    url, report, baseline = generated_copy
    found = source_identifiers(small_sqlite_url)
    assert len(found["chfid"]) >= 2000 and len(found["name"]) > 20
    assert leaks(small_sqlite_url, url, baseline) == {}
    assert fk_violations(url) == []
    assert real_schema_fk_violations(url)[1] == []
    for name in ("tblInsuree", "tblClaim", "tblPolicy", "tblClaimServices"):
        assert report.tables[name].rows == len(table_rows(small_sqlite_url, name)) > 0


def test_generated_database_indicators_identical_except_birthday_month_ages(
    small_sqlite_url, generated_copy
):
    url, _, _ = generated_copy
    source = indicators(small_sqlite_url, "202301", "202412")
    target = indicators(url, "202301", "202412")
    special = compare(source, target, 0)
    moves, moved = expected_patient_moves(small_sqlite_url, url)
    assert moved > 0  # the birthday-month exception is really exercised here
    new_periods = birth_month_enrolment_periods(small_sqlite_url, 0)
    assert new_periods  # birth-month enrolments exist, so OI_INSUREES_NEW's exception is exercised
    check_age_split(special, moves, new_periods)


def test_create_mode_on_an_empty_postgresql_database(new_pg_db, demo_source_url):
    import psycopg2

    url = new_pg_db()
    report = anonymise(demo_source_url, url, AnonymiseOptions(seed=SEED))
    assert report.target_mode == "create"
    assert fk_violations(url) == []
    assert len(table_rows(url, "tblClaim")) == 24
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:  # sequences advanced past the copied keys
            cur.execute("""SELECT nextval(pg_get_serial_sequence('"tblInsuree"', 'InsureeID'))""")
            nxt = cur.fetchone()[0]
            cur.execute('SELECT max("InsureeID") FROM "tblInsuree"')
            assert nxt > cur.fetchone()[0]
    finally:
        conn.close()
