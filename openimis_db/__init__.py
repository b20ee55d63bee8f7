"""The openIMIS database as this project sees it: tables, coded values, engines. No business logic."""

from openimis_db import codes, tables
from openimis_db.engine import DatabaseURLError, make_engine, redact_url
from openimis_db.tables import MODELED_TABLES, metadata

__all__ = [
    "codes",
    "tables",
    "metadata",
    "MODELED_TABLES",
    "make_engine",
    "redact_url",
    "DatabaseURLError",
]
