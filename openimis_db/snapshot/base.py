"""What every per-dialect reader provides (used by ``read_snapshot``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .files import ParquetSink
from .model import TableRead

__all__ = ["DialectReader", "Timeouts"]


class Timeouts:
    """Lock and statement timeouts in seconds (``statement`` None: no limit)."""

    def __init__(self, lock: float, statement: float | None) -> None:
        self.lock = lock
        self.statement = statement


class DialectReader(Protocol):
    dialect: str
    where: str  # the database URL without password, for messages

    def begin(self) -> datetime:
        """Connect, start the one read-only transaction; return the snapshot moment (UTC)."""

    def read(self, read: TableRead, sql: str, sink: ParquetSink) -> None:
        """Stream the rows of ``sql`` into ``sink``; raise ``SnapshotError`` naming the table."""

    def cancel(self) -> None:
        """Cancel the running statement server-side (called from another thread or a signal)."""

    def close(self) -> None:
        """End the transaction and release the connection (never raises)."""
