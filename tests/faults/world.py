"""The fault suite's world: a small generated openIMIS database, the DHIS2 emulator, the CLI.

Everything goes through stable entry points: the ``openimis-dhis2`` command line (in process via
``pipelines.cli.main``, or as a child process when it must be killed) and the emulator's store.
The convergence oracle reads the exported dataValueSets JSON with ``json`` and maps the
emulator's UIDs back to codes itself; it shares no code with the pipeline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
RANGE = "202301:202412"  # 24 months
DATASET = "OI_CLAIMS"
# Final files of a run: exports, snapshot manifest and reconciliation JSON, Parquet (snapshot and
# checked values), and the push ledger (SQLite: transactional, checked with integrity_check).
FINAL_SUFFIXES = (".adx.xml", ".json", ".parquet", ".sqlite")


def cli_args(db_url: str, out: Path, *extra: str) -> list[str]:
    return ["push", "--db", db_url, "--period", RANGE, "--dataset", DATASET, "--out", str(out),
            *extra]  # fmt: skip


def run_cli(db_url: str, out: Path, *extra: str) -> int:
    """One in-process run of ``openimis-dhis2 push`` (the environment carries DHIS2_*)."""
    from pipelines.cli import main

    return main(cli_args(db_url, out, *extra))


def kill_cli_when(
    db_url: str,
    out: Path,
    env: dict[str, str],
    trigger: Callable[[str], bool],
    delay: float,
    timeout: float = 150.0,
) -> tuple[bool, str]:
    """Run the CLI in a child process; SIGKILL it ``delay`` s after a stderr line matches ``trigger``.

    Returns (killed, stderr so far). ``killed`` is False when the run ended before the trigger.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *cli_args(db_url, out)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    killed = threading.Event()

    def killer() -> None:
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed.set()

    deadline = time.monotonic() + timeout
    armed = False
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if not armed and trigger(line):
            armed = True
            threading.Thread(target=killer, daemon=True).start()
        if time.monotonic() > deadline:
            proc.kill()
            break
    proc.wait(timeout=30)
    return killed.is_set(), "".join(lines)


def when_requests(emulator, count: int, action: Callable[[], None], path: str = "/dataValueSets"):
    """Call ``action`` once the emulator has received ``count`` POSTs to ``path`` (mid-push)."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if len(emulator.requests.matching("POST", path)) >= count:
                action()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return done  # set it to stop watching


# --- oracles ------------------------------------------------------------------------------


def exported_values(out: Path) -> Counter:
    """Multiset of (element code, period, org unit code, COC uid, value) of every exported JSON."""
    values: Counter = Counter()
    for path in sorted(out.glob(f"{DATASET}_*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for v in doc["dataValues"]:
            values[
                (v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"], v["value"])
            ] += 1
    return values


def dhis2_values(emulator) -> Counter:
    """The same multiset for what the emulator stores (deleted values excluded)."""
    objects = emulator.store.objects
    de_code = {uid: o.get("code") for uid, o in objects["dataElements"].items()}
    ou_code = {uid: o.get("code") for uid, o in objects["organisationUnits"].items()}
    stored: Counter = Counter()
    for v in emulator.data_values():
        stored[
            (
                de_code[v["dataElement"]],
                v["period"],
                ou_code[v["orgUnit"]],
                v["categoryOptionCombo"],
                v["value"],
            )
        ] += 1
    return stored


def convergence_problems(emulator, out: Path) -> list[str]:
    """Why DHIS2's state differs from the export (empty when it equals it exactly)."""
    sent, stored = exported_values(out), dhis2_values(emulator)
    problems = []
    if not sent:
        problems.append("nothing was exported")
    dupes = [k for k, n in sent.items() if n > 1]
    if dupes:
        problems.append(f"{len(dupes)} duplicated value(s) in the export, e.g. {dupes[0]}")
    sent_keys = {k[:4]: k[4] for k in sent}
    stored_keys = {k[:4]: k[4] for k in stored}
    lost = sorted(set(sent_keys) - set(stored_keys))
    stale = sorted(set(stored_keys) - set(sent_keys))
    wrong = sorted(k for k in set(sent_keys) & set(stored_keys) if sent_keys[k] != stored_keys[k])
    for label, keys in (("lost", lost), ("stale", stale), ("different", wrong)):
        if keys:
            problems.append(f"{len(keys)} {label} value(s), e.g. {keys[0]}")
    return problems


def partial_files(out: Path, shared: Path) -> list[str]:
    """Files under the output folder that are not complete final files."""
    schema = etree.XMLSchema(etree.parse(str(shared / "dhis2/adx-schema/adx_loose.xsd")))
    problems = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.name
        if not name.endswith(FINAL_SUFFIXES) or name.startswith("."):
            problems.append(f"stray file {path.relative_to(out)}")
            continue
        try:
            if name.endswith(".json"):
                json.loads(path.read_text(encoding="utf-8"))
            elif name.endswith(".sqlite"):
                import sqlite3

                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                    (verdict,) = con.execute("PRAGMA integrity_check").fetchone()
                if verdict != "ok":
                    problems.append(f"{name}: SQLite integrity_check: {verdict}")
            elif name.endswith(".adx.xml"):
                doc = etree.parse(str(path))
                if not schema.validate(doc):
                    problems.append(f"{name}: not valid ADX ({schema.error_log.last_error})")
            else:
                import pyarrow.parquet as pq

                pq.read_metadata(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a partial file
            problems.append(f"{path.relative_to(out)}: unreadable ({type(exc).__name__}: {exc})")
    return problems


def child_env(emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DHIS2_", "OPENIMIS_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DHIS2_URL=emulator.url,
        DHIS2_TOKEN=emulator.admin_token,
        DHIS2_HTTP_ATTEMPTS="2",
    )
    env.pop("DAGSTER_HOME", None)
    return env
