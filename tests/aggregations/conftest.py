"""Fixtures: the hand-made edge-case database on SQLite and on PostgreSQL (built once per session;
tests only read it)."""

from __future__ import annotations

import pytest

from openimis_db.engine import make_engine

from . import scenario
from .rows import create_schema


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def scenario_engine(request, tmp_path_factory):
    """Engine of a database holding ``scenario.build()`` rows, on each back end (read-only)."""
    dbname = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scenario') / 'scenario.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        dbname = server.create_database(prefix="agg_scenario")
        url = server.url(dbname)
    engine = make_engine(url)
    create_schema(engine)
    scenario.build().write(engine)
    yield engine
    engine.dispose()
    if dbname is not None:
        request.getfixturevalue("pg_server").drop_database(dbname)
