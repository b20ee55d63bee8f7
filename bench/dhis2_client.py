"""Throughput of the DHIS2 client's own work, each against a floor measured in the same run.

1. Pre-flight validation of N values against an offline snapshot, vs a bare loop that only
   builds each value's key (the floor of any per-value check).
2. Chunking + ADX serialisation as ``push`` does it (groups, size cap, re-serialise per chunk),
   vs one ``write_adx`` call over the whole sorted list (the floor: no chunking).
3. End to end: push of M values to the DHIS2 emulator (tests/dhis2_emulator) in 4 MiB chunks,
   and read-back. The emulator is pure Python, so this measures it more than the client.

Run: .venv/bin/python bench/dhis2_client.py [N] [M]   (defaults 1_000_000 and 20_000)
"""

from __future__ import annotations

import io
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adx.adx_xml import sort_values, write_adx  # noqa: E402
from adx.dhis2.chunking import iter_chunks  # noqa: E402
from adx.dhis2.client import DHIS2Client  # noqa: E402
from adx.dhis2.preflight import preflight  # noqa: E402
from adx.dhis2.push import DEFAULT_MAX_BYTES, _adx_serialiser, _bodies  # noqa: E402
from adx.dhis2.snapshot import MetadataSnapshot  # noqa: E402
from adx.model import Category, CategoryOption, DataElement, DataSetDefinition, DataValue  # noqa: E402

SEX = Category("SEX", "Sex", (CategoryOption("F", "F"), CategoryOption("M", "M")))
AGE = Category("AGE", "Age", tuple(CategoryOption(f"A{i}", f"A{i}") for i in range(10)))
T = TypeVar("T")

DS = DataSetDefinition(
    "DS_B", "Bench", "Monthly",
    (DataElement("B_CASES", "Cases", (SEX, AGE)), DataElement("B_AMOUNT", "Amount", value_type="NUMBER")),
)  # fmt: skip


def make_values(n: int, org_units: int) -> list[DataValue]:
    out: list[DataValue] = []
    per_cell = 21
    cells = max(1, n // per_cell)
    for c in range(cells):
        k = c // org_units
        ou, pe = f"OU_{c % org_units:05d}", f"{2020 + k // 12}{k % 12 + 1:02d}"
        for sex in ("F", "M"):
            for a in range(10):
                out.append(
                    DataValue(
                        "DS_B", pe, ou, "B_CASES", str(c % 97), (("SEX", sex), ("AGE", f"A{a}"))
                    )
                )
        out.append(DataValue("DS_B", pe, ou, "B_AMOUNT", f"{c % 1000}.25"))
    return out[:n]


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the seconds it took."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _check(ok: bool, detail: object) -> None:
    """Stop the benchmark when a run is wrong (a measurement of a wrong result is worthless)."""
    if not ok:
        raise SystemExit(f"benchmark run is wrong: {detail}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    ous = max(1, n // (21 * 12))
    values = make_values(n, ous)
    snap = MetadataSnapshot.from_definitions(
        [DS], [f"OU_{i:05d}" for i in range(ous)], open_future_periods={"DS_B": 1}
    )
    print(f"{len(values):,} values, {ous:,} org units")

    problems, t_pre = timed(lambda: preflight(values, snap, today=date(2100, 1, 1)))
    _check(problems == [], problems[:3])
    _, t_floor = timed(
        lambda: {
            (v.data_set, v.period, v.org_unit, v.data_element, frozenset(v.category_options))
            for v in values
        }
    )
    print(f"preflight        {len(values) / t_pre:>12,.0f} values/s  ({t_pre:.2f}s)")
    print(f"  floor (keys)   {len(values) / t_floor:>12,.0f} values/s  ({t_floor:.2f}s)")

    ordered = sort_values(values)
    serialise = _adx_serialiser(None)

    def chunked() -> tuple[int, int]:
        total = chunks = 0
        for chunk in iter_chunks(ordered, max_bytes=DEFAULT_MAX_BYTES):
            for body, _, _ in _bodies(chunk, serialise, DEFAULT_MAX_BYTES):
                total += len(body)
                chunks += 1
        return total, chunks

    (size, chunks), t_chunk = timed(chunked)
    _, t_whole = timed(lambda: write_adx(ordered, io.BytesIO()))
    print(
        f"chunk+serialise  {len(values) / t_chunk:>12,.0f} values/s  ({t_chunk:.2f}s, {chunks} chunks, {size / 2**20:.0f} MiB)"
    )
    print(f"  floor (1 doc)  {len(values) / t_whole:>12,.0f} values/s  ({t_whole:.2f}s)")

    from adx.dhis2.metadata import OrgUnit, build_bundle
    from adx.model import Catalogue
    from tests.dhis2_emulator.server import Dhis2Emulator

    small = make_values(m, max(1, m // (21 * 12)))
    small_ous = sorted({v.org_unit for v in small})
    with Dhis2Emulator() as emu:
        emu.add_user("admin", "district", ("ALL",))
        # the emulator's own throw-away account, made two lines above
        c = DHIS2Client(emu.url, username="admin", password="district")  # noqa: S106
        units = [OrgUnit("ROOT", "Root")] + [OrgUnit(o, o, "ROOT") for o in small_ous]
        _check(c.post_metadata(build_bundle(Catalogue((DS,)), org_units=units)).ok(), "metadata")
        result, t_push = timed(lambda: c.push(small))
        # 2.43 (the emulator's default profile) counts every written value as updated, zeros
        # of zero-significant elements are not stored before it: compare what was written.
        written = result.imported + result.counts.updated
        _check(result.ok() and written == len(small), result.summary())
        back, t_read = timed(lambda: c.read_values("DS_B", {v.period for v in small}, small_ous))
        _check(len(back) == len(small), f"read back {len(back)} of {len(small)}")
    print(
        f"push (emulator)  {len(small) / t_push:>12,.0f} values/s  ({t_push:.2f}s, {len(result.chunks)} chunks)"
    )
    print(f"read (emulator)  {len(small) / t_read:>12,.0f} values/s  ({t_read:.2f}s)")
    print(
        f"peak RSS of the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
