"""Atomic outputs (issue 11.3): after a writer error or a full disk, no partial file remains.

A full disk is a file-size limit (``RLIMIT_FSIZE``) in a subprocess, with ``SIGXFSZ`` ignored so
that the write fails with ``EFBIG`` as it would with ``ENOSPC``.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from atomic_files import atomic_open, atomic_path, write_text
from pipelines.automation import MONTHLY_JOB
from pipelines.definitions import build_definitions
from pipelines.resources import DHIS2Resource
from pipelines.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = [dg.AssetKey(k) for k in ("claims_snapshot", "claims_dataset", "claims_export")]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_writer_error_leaves_no_file_and_keeps_the_previous_one(tmp_path):
    target = tmp_path / "OI_CLAIMS_202402.json"
    with pytest.raises(RuntimeError, match="writer broke"), atomic_open(target) as fh:
        fh.write(b'{"dataValues": [')
        raise RuntimeError("writer broke")
    assert _files(tmp_path) == []
    write_text(target, "good\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer broke")
    assert _files(tmp_path) == ["OI_CLAIMS_202402.json"] and target.read_text() == "good\n"


def test_published_file_gets_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_killed_writers_temporary_file_is_removed_by_the_next_writer(tmp_path):
    """SIGKILL leaves the temporary file behind (nothing can clean up); the next write of the
    same file removes it, but never a live writer's file nor one from another host."""
    target = tmp_path / "OI_CLAIMS_202402.json"
    code = (
        "import os, signal, sys; from atomic_files import atomic_open\n"
        "with atomic_open(sys.argv[1]) as fh:\n"
        "    fh.write(b'{\"dataValues\": [')\n"
        "    fh.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)], check=False, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL
    (leftover,) = _files(tmp_path)
    assert leftover.startswith(f".{target.name}.") and leftover.endswith(".tmp")
    host = leftover[len(target.name) + 2 :].split("-")[0]
    live = tmp_path / f".{target.name}.{host}-{os.getppid()}.0123abcd.tmp"  # a running writer
    elsewhere = tmp_path / f".{target.name}.otherhost-999999.0123abcd.tmp"  # a dead pid
    live.write_bytes(b"")
    elsewhere.write_bytes(b"")
    write_text(target, "{}")
    assert _files(tmp_path) == sorted([target.name, live.name, elsewhere.name])


def _limited(limit: int):
    def pre() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def test_full_disk_leaves_no_file(tmp_path):
    code = (
        "import sys; from atomic_files import atomic_open\n"
        "try:\n"
        "    with atomic_open(sys.argv[1]) as fh:\n"
        "        for _ in range(64): fh.write(b'x' * 4096)\n"
        "except OSError as exc:\n"
        "    print(exc.errno, exc.filename); sys.exit(3)\n"
    )
    target = tmp_path / "big.bin"
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)], check=False,
        preexec_fn=_limited(10_000), capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    number, name = done.stdout.split()
    assert int(number) == errno.EFBIG and name == str(target)  # the final name, not the temp
    assert _files(tmp_path) == []


def test_cli_export_on_a_full_disk_leaves_no_partial_export(small_sqlite_url, tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DHIS2_", "DAGSTER_HOME"))}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", "--db", small_sqlite_url,
         "--period", "202402", "--out", str(out), "--dataset", "OI_CLAIMS"], check=False,
        preexec_fn=_limited(100_000),  # the Parquet files fit, the ADX / JSON exports do not
        capture_output=True, text=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("openimis-dhis2 export: error: ") and "File too large" in last
    assert "OI_CLAIMS_202402" in last and ".tmp" not in last
    left = _files(out)
    assert not [f for f in left if f.startswith("OI_CLAIMS_") or f.endswith(".tmp")], left


@pytest.mark.parametrize("writer", ["adx.adx_xml.write_adx", "adx.dvs_json.write_json"])
def test_export_writer_error_mid_stream_leaves_no_file(
    openimis_demo_url, tmp_path, monkeypatch, writer
):
    module_name, _, name = writer.rpartition(".")
    module = sys.modules.get(module_name) or __import__(module_name, fromlist=[name])

    def broken(values, out, **kwargs):
        out.write(b"<adx" if name == "write_adx" else b'{"dataValues": [')
        raise RuntimeError(f"{name} failed mid-stream")

    monkeypatch.setattr(module, name, broken)
    monkeypatch.setenv("OPENIMIS_DB_URL", openimis_demo_url)
    defs = build_definitions(
        Settings(start="201801", out_dir=str(tmp_path), retries=0), DHIS2Resource()
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(MONTHLY_JOB).execute_in_process(
            instance=instance, partition_key="201902", asset_selection=CLAIMS, raise_on_error=False
        )
    assert not result.success
    left = _files(tmp_path)
    assert not [
        f for f in left if f.startswith("OI_CLAIMS_") or ".tmp" in f or ".adx-check" in f
    ], left
    assert "parquet/claims_dataset/201902.parquet" in left  # the step before it did finish
