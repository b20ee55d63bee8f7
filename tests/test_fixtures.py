"""The test database fixtures load the real openIMIS files."""

from sqlalchemy import text

from openimis_db import make_engine


def test_demo_database_has_openimis_demo_rows(openimis_demo_url):
    engine = make_engine(openimis_demo_url)
    with engine.connect() as conn:
        claims = conn.execute(
            text('SELECT COUNT(*) FROM "tblClaim" WHERE "ValidityTo" IS NULL')
        ).scalar()
        insurees = conn.execute(
            text('SELECT COUNT(*) FROM "tblInsuree" WHERE "ValidityTo" IS NULL')
        ).scalar()
    engine.dispose()
    # SCHEMA.md §7 (counted there on the same files): 10 current claims, 60 current insurees.
    assert (claims, insurees) == (10, 60)
