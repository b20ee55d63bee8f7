"""Benchmark: 1,000,000 data values to ADX XML and to dataValueSets JSON.

Each measurement runs in its own subprocess so peak memory (ru_maxrss) belongs to it alone:
  gen    - generate the values lazily and drop them (the cost every writer pays; every mode
           also times its own generation, subtracted for the 'excl. gen' column)
  adx    - adx.adx_xml.write_adx            floor-adx  - the same bytes with bare f-strings
  json   - adx.dvs_json.write_json          floor-json - the same bytes with bare f-strings
  validate - adx.xsd.validate_adx of the ADX file (written before timing)
  read   - adx.adx_xml.read_adx of that file (includes building the DataValues)
Times are CPU seconds of the child process (time.process_time), so other jobs on the machine
do not distort them; wall-clock seconds are printed too. Output goes to a sink that only counts bytes (we measure serialisation, not the disk). Before
timing, the script checks that each floor writes exactly the same bytes as the real writer.

Usage: .venv/bin/python bench/serialize.py [--values 1000000]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adx.model import DataValue  # noqa: E402

EXPORTED = datetime(2024, 2, 1, 6, 0, tzinfo=UTC)
SEXES = ("SEX_F", "SEX_M", "SEX_O", "SEX_UNKNOWN")
AGES = ("AGE_0_5", "AGE_6_12", "AGE_13_18", "AGE_19_25", "AGE_26_35", "AGE_36_55", "AGE_56_75",
        "AGE_76P", "AGE_UNKNOWN")  # fmt: skip
DISAGGREGATED = ("OI_INSUREES_REGISTERED", "OI_INSUREES_COVERED", "OI_INSUREES_NEW")
PLAIN = ("OI_FAMILIES_COVERED", "OI_POLICIES_ACTIVE", "OI_POLICIES_NEW")
PER_GROUP = len(DISAGGREGATED) * len(SEXES) * len(AGES) + len(PLAIN)  # 111 values per group


def values(n: int, clock: list[float] | None = None) -> Iterator[DataValue]:
    """``n`` values shaped like the enrolment data set: org unit x month groups of 111 values.

    Generated lazily one group at a time; with ``clock``, the time spent generating is added to
    ``clock[0]`` (two timer reads per group), so a writer's own time can be told apart.
    """
    options = [(("SEX", s), ("AGE", a)) for s in SEXES for a in AGES]
    made = 0
    g = 0
    timer = time.process_time  # CPU time: robust when other jobs share the machine
    while made < n:
        t0 = timer()
        ou = f"OU_{g % 5000:05d}"
        pe = f"2024{g // 5000 % 12 + 1:02d}"
        batch = [
            DataValue("OI_ENROLMENT", pe, ou, de, str((g * 7 + i) % 5000), opts)
            for de in DISAGGREGATED
            for i, opts in enumerate(options)
        ]
        batch += [DataValue("OI_ENROLMENT", pe, ou, de, str(g % 977)) for de in PLAIN]
        batch = batch[: n - made]
        made += len(batch)
        g += 1
        if clock is not None:
            clock[0] += timer() - t0
        yield from batch


class Sink(io.RawIOBase):
    """Counts bytes; keeps them only when asked (for the same-bytes check)."""

    def __init__(self, keep: bool = False) -> None:
        self.n = 0
        self.parts: list[bytes] | None = [] if keep else None

    def kept(self) -> bytes:
        """The bytes written (a Sink made with ``keep=True``)."""
        if self.parts is None:
            raise ValueError("this Sink does not keep its bytes")
        return b"".join(self.parts)

    def writable(self) -> bool:
        return True

    def write(self, b: ReadableBuffer) -> int:
        size = memoryview(b).nbytes
        self.n += size
        if self.parts is not None:
            self.parts.append(bytes(b))
        return size


def floor_adx(vals: Iterable[DataValue], out: BinaryIO) -> int:
    """The same ADX bytes with a bare string builder: no escaping, no checks, no lxml."""
    from adx.periods import to_adx

    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<adx xmlns=\"urn:ihe:qrph:adx:2015\" "
             f"exported=\"{EXPORTED.strftime('%Y-%m-%dT%H:%M:%SZ')}\">"]  # fmt: skip
    key = None
    n = 0
    periods: dict[str, str] = {}
    for v in vals:
        k = (v.data_set, v.org_unit, v.period, v.attribute_options)
        if k != key:
            if key is not None:
                parts.append("</group>")
            pe = periods.get(v.period) or periods.setdefault(v.period, to_adx(v.period))
            parts.append(f'<group dataSet="{v.data_set}" orgUnit="{v.org_unit}" period="{pe}">')
            key = k
        cats = "".join(f' {c}="{o}"' for c, o in v.category_options)
        parts.append(f'<dataValue dataElement="{v.data_element}"{cats} value="{v.value}"/>')
        n += 1
        if len(parts) > 4096:
            out.write("".join(parts).encode())
            parts.clear()
    parts.append("</group></adx>" if key is not None else "</adx>")
    out.write("".join(parts).encode())
    return n


def floor_json(vals: Iterable[DataValue], out: BinaryIO) -> int:
    """The same dataValueSets JSON bytes with a bare string builder (COC UIDs looked up once)."""
    from adx.dhis2.metadata import coc_uid

    parts = ['{"dataElementIdScheme":"CODE","orgUnitIdScheme":"CODE","dataSetIdScheme":"CODE",'
             '"categoryOptionComboIdScheme":"UID","dataValues":[']  # fmt: skip
    cocs: dict[tuple[tuple[str, str], ...], str] = {}
    n = 0
    for v in vals:
        coc = cocs.get(v.category_options) or cocs.setdefault(
            v.category_options, coc_uid(v.category_options)
        )
        sep = "," if n else ""
        parts.append(
            f'{sep}{{"dataElement":"{v.data_element}","categoryOptionCombo":"{coc}",'
            f'"period":"{v.period}","orgUnit":"{v.org_unit}","value":"{v.value}"}}'
        )
        n += 1
        if len(parts) > 4096:
            out.write("".join(parts).encode())
            parts.clear()
    parts.append("]}")
    out.write("".join(parts).encode())
    return n


def run(mode: str, n: int, target: Sink | Path, clock: list[float] | None = None) -> int:
    """Run one mode over ``n`` values; writers write to a Sink, readers read a file."""
    # a Sink is a raw binary stream: what the writers' BinaryIO parameter means
    out = cast(BinaryIO, target)
    if mode == "gen":
        count = 0
        for _ in values(n, clock):
            count += 1
        return count
    if mode == "adx":
        from adx.adx_xml import write_adx

        return write_adx(values(n, clock), out, exported=EXPORTED)
    if mode == "json":
        from adx.dvs_json import write_json

        return write_json(values(n, clock), out)
    if mode == "floor-adx":
        return floor_adx(values(n, clock), out)
    if mode == "floor-json":
        return floor_json(values(n, clock), out)
    if mode in ("validate", "read"):
        # The input file is written before timing starts (see child()).
        from adx.adx_xml import read_adx
        from adx.xsd import validate_adx

        if mode == "validate":
            errors = validate_adx(cast(Path, target))
            if errors:
                raise SystemExit(f"benchmark ADX is not XSD-valid: {errors[:3]}")
            return n
        return sum(1 for _ in read_adx(cast(Path, target)))
    raise SystemExit(f"unknown mode {mode}")


def child(mode: str, n: int) -> None:
    # Warm imports outside the timing.
    import adx.adx_xml  # noqa: F401
    import adx.dvs_json  # noqa: F401

    sink = Sink()
    target: Sink | Path = sink
    if mode in ("validate", "read"):
        import tempfile

        from adx.adx_xml import write_adx

        target = Path(tempfile.mkdtemp()) / "bench.adx.xml"
        with open(target, "wb") as fh:
            write_adx(values(n), fh, exported=EXPORTED)
        sink.n = target.stat().st_size
    clock = [0.0]
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    w0, t0 = time.perf_counter(), time.process_time()
    count = run(mode, n, target, clock)
    seconds = time.process_time() - t0
    wall = time.perf_counter() - w0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if isinstance(target, Path):
        target.unlink()
        target.parent.rmdir()
    print(
        json.dumps(
            {
                "mode": mode,
                "count": count,
                "seconds": seconds,
                "wall": wall,
                "gen_seconds": clock[0],
                "bytes": sink.n,
                "peak_mib": peak_kib / 1024,
                "growth_mib": (peak_kib - before_kib) / 1024,
            }
        )
    )


def same_bytes_check(n: int) -> None:
    for real, floor in (("adx", "floor-adx"), ("json", "floor-json")):
        a, b = Sink(keep=True), Sink(keep=True)
        run(real, n, a)
        run(floor, n, b)
        if a.kept() != b.kept():
            raise SystemExit(f"floor {floor} does not write the same bytes as {real}")
    from adx.xsd import validate_adx

    a = Sink(keep=True)
    run("adx", n, a)
    errors = validate_adx(a.kept())
    if errors:
        raise SystemExit(f"benchmark ADX is not XSD-valid: {errors[:3]}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--values", type=int, default=1_000_000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.values)
        return
    same_bytes_check(5_000)
    print(f"same-bytes check: writers and floors agree on {5_000} values; ADX output XSD-valid")
    results = {}
    for mode in ("gen", "adx", "floor-adx", "json", "floor-json", "validate", "read"):
        # each mode in a fresh interpreter (its own peak RSS); argv is this script and its own modes
        proc = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--child", mode, "--values", str(args.values)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[mode] = json.loads(proc.stdout)
    gen = results["gen"]["seconds"]
    n = args.values
    print(f"\n{n:,} values, {PER_GROUP} values per group; generating them alone: {gen:.2f} CPU s "
          f"({n / gen:,.0f} values/s), peak RSS {results['gen']['peak_mib']:.0f} MiB")  # fmt: skip
    print(
        f"{'mode':<11} {'wall s':>7} {'CPU s':>7} {'values/s':>12} {'values/s excl. gen':>19} {'MB out':>8} {'peak RSS MiB':>13} {'of which run':>12}"
    )
    for mode in ("adx", "floor-adx", "json", "floor-json"):
        r = results[mode]
        net = r["seconds"] - r["gen_seconds"]  # generation timed in the same process
        print(f"{mode:<11} {r['wall']:>7.2f} {r['seconds']:>7.2f} {n / r['seconds']:>12,.0f} {n / net if net > 0 else float('inf'):>19,.0f} "
              f"{r['bytes'] / 1e6:>8.1f} {r['peak_mib']:>13.0f} {r['growth_mib']:>12.1f}")  # fmt: skip
    print(
        "(peak RSS includes the interpreter with lxml and pandas, imported by adx.model; "
        "'of which run' is the growth during the measured run)"
    )
    for mode in ("validate", "read"):
        r = results[mode]
        print(f"{mode:<11} {r['wall']:>7.2f} {r['seconds']:>7.2f} {n / r['seconds']:>12,.0f} {'':>19} "
              f"{r['bytes'] / 1e6:>8.1f} {r['peak_mib']:>13.0f} {r['growth_mib']:>12.1f}   (ADX file -> {'XSD check' if mode == 'validate' else 'DataValues'})")  # fmt: skip
    for real in ("adx", "json"):
        own = results[real]["seconds"] - results[real]["gen_seconds"]
        floor = results[f"floor-{real}"]["seconds"] - results[f"floor-{real}"]["gen_seconds"]
        print(
            f"{real}: writer CPU time {own:.2f} s = {own / floor:.2f}x its bare string-builder floor ({floor:.2f} s)"
        )


if __name__ == "__main__":
    main()
