"""Fixtures with generated synthetic openIMIS databases (preset small, seed 42, span 2023-01..2024-12).

- ``small_sqlite_url`` (session): a SQLite file created by the generator (create mode).
- ``generated_pg_template`` (session): name of a PostgreSQL template database = the real openIMIS
  schema.sql (with its base data) plus the generated rows (into_existing mode).
- ``generated_pg_url`` (function): URL of a fresh clone of that template, dropped after the test.

xdist-safe: each worker builds its own files/databases under unique names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

SMALL_SEED = 42


@pytest.fixture(scope="session")
def small_sqlite_url(tmp_path_factory) -> str:
    from synthetic_data import GenerationOptions, generate

    path = tmp_path_factory.mktemp("generated") / "small.db"
    url = f"sqlite:///{path}"
    generate(url, GenerationOptions(preset="small", seed=SMALL_SEED))
    return url


@pytest.fixture(scope="session")
def generated_pg_template(pg_server, openimis_schema_template) -> Iterator[str]:
    from synthetic_data import GenerationOptions, generate

    name = pg_server.create_database(template=openimis_schema_template, prefix="tpl_gen")
    generate(
        pg_server.url(name),
        GenerationOptions(preset="small", seed=SMALL_SEED, mode="into_existing"),
    )
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def generated_pg_url(new_pg_db, generated_pg_template) -> str:
    return new_pg_db(generated_pg_template)
