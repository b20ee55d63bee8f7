"""Fixtures: the hand-made edge-case database on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from openimis_db.engine import make_engine

from . import scenario
from .rows import create_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def scenario_engine(request, tmp_path):
    """Engine of a database holding ``scenario.build()`` rows, on each back end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scenario.db'}"
    else:
        url = request.getfixturevalue("new_pg_db")()
    engine = make_engine(url)
    create_schema(engine)
    scenario.build().write(engine)
    yield engine
    engine.dispose()
