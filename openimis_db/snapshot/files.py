"""Snapshot files: Parquet per table and the manifest, each written atomically with
``atomic_files`` (a temporary name in the same folder, fsynced, then renamed: a reader never sees
a half-written file)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from atomic_files import PendingFile, write_bytes

from .model import DateWindow, Snapshot, SnapshotError, SnapshotTable, TableRead

__all__ = ["ParquetSink", "write_manifest", "load_snapshot", "MANIFEST"]

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


class ParquetSink:
    """Streams record batches of one schema into ``<directory>/<table>.parquet`` (atomic on ``close``).

    Every batch is cast to the sink's schema, so a file's types never depend on the rows (a table with
    0 rows still has its typed columns)."""

    def __init__(self, directory: Path, table: str, schema: pa.Schema) -> None:
        self._file = PendingFile(directory / f"{table}.parquet")
        self.final = self._file.final
        self.tmp = self._file.path
        self.schema = schema
        self.rows = 0
        try:
            self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        except BaseException:
            self._file.discard()
            raise

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        if batch.schema != self.schema:
            batch = batch.cast(self.schema)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> int:
        """Finish the file, fsync, rename into place; return its size in bytes."""
        self._writer.close()
        return self._file.commit().stat().st_size

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # already failing; the temp file goes either way
            self._writer.close()
        self._file.discard()


def write_manifest(snapshot: Snapshot) -> Path:
    """The manifest, written last: its presence means every table file is complete."""
    body = {
        "version": MANIFEST_VERSION,
        "taken_at": snapshot.taken_at.isoformat(),
        "dialect": snapshot.dialect,
        "tables": {
            name: {
                "file": st.path.name,
                "rows": st.rows,
                "bytes": st.bytes,
                "seconds": round(st.seconds, 3),
            }
            for name, st in snapshot.tables.items()
        },
        "reads": [r.to_json() for r in snapshot.reads],
    }
    path = snapshot.directory / MANIFEST
    write_bytes(path, json.dumps(body, indent=2).encode("utf-8"))
    return path


def _read_from_json(d: dict[str, Any]) -> TableRead:
    window = d.get("window")
    return TableRead(
        table=d["table"],
        columns=tuple(d["columns"]),
        current_only=d["current_only"],
        any_date_in=tuple(d["any_date_in"]),
        through_claim=d["through_claim"],
        window=None
        if window is None
        else DateWindow(
            datetime.fromisoformat(window[0]).date(), datetime.fromisoformat(window[1]).date()
        ),
    )


def load_snapshot(directory: Path) -> Snapshot:
    """Re-open a snapshot written by ``read_snapshot`` (its manifest must be there)."""
    directory = Path(directory)
    path = directory / MANIFEST
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(
            f"no snapshot at {directory}: {MANIFEST} is missing (the snapshot was never completed)"
        ) from None
    tables = {}
    for name, d in body["tables"].items():
        file = directory / d["file"]
        if not file.exists():
            raise SnapshotError(
                f"snapshot at {directory}: {file.name} listed in {MANIFEST} is missing"
            )
        tables[name] = SnapshotTable(name, file, d["rows"], d["bytes"], d["seconds"])
    return Snapshot(
        directory=directory,
        tables=tables,
        taken_at=datetime.fromisoformat(body["taken_at"]),
        dialect=body["dialect"],
        reads=tuple(_read_from_json(r) for r in body.get("reads", [])),
    )
