"""Shared fixtures: PostgreSQL databases with the real openIMIS schema, and the shared/ folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgServer, shared_dir

pytest_plugins = ["tests.generated_fixtures", "tests.dhis2_emulator.fixtures"]


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def openimis_schema_template(pg_server: PgServer, shared: Path) -> Iterator[str]:
    """A template database holding the real openIMIS PostgreSQL schema and base data."""
    name = pg_server.create_database(prefix="tpl_schema")
    pg_server.run_sql_file(name, shared / "openimis-db/postgresql/schema.sql")
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def openimis_demo_template(
    pg_server: PgServer, openimis_schema_template: str, shared: Path
) -> Iterator[str]:
    """A template database with the real schema plus openIMIS's demo data."""
    name = pg_server.create_database(template=openimis_schema_template, prefix="tpl_demo")
    pg_server.run_sql_file(name, shared / "openimis-db/postgresql/demo_data.sql")
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def new_pg_db(pg_server: PgServer) -> Iterator[Callable[..., str]]:
    """Factory: ``new_pg_db(template=None) -> URL`` of a fresh database, dropped after the test."""
    created: list[str] = []

    def make(template: str | None = None) -> str:
        name = pg_server.create_database(template=template)
        created.append(name)
        return pg_server.url(name)

    yield make
    for name in created:
        pg_server.drop_database(name)


@pytest.fixture
def openimis_pg_url(new_pg_db, openimis_schema_template) -> str:
    """URL of a fresh database with the real openIMIS schema (no demo data)."""
    return new_pg_db(openimis_schema_template)


@pytest.fixture
def openimis_demo_url(new_pg_db, openimis_demo_template) -> str:
    """URL of a fresh database with the real openIMIS schema and demo data."""
    return new_pg_db(openimis_demo_template)
