"""Benchmark the DuckDB catalogue (snapshot + compute + reconcile) against the extraction floor
and a naive pandas baseline, in one run.

    .venv/bin/python bench/aggregate.py [--db URL] [--preset large|medium|small] [--keep]
                                        [--first 202401] [--months 12]

Without --db, a scratch PostgreSQL database ``openimis_dhis2_bench_<preset>`` on 127.0.0.1:5432
(override the server with BENCH_PG_URL) is filled by ``synthetic_data.generate`` (seed 42,
2023-01..2024-12); with --keep it is kept and reused by the next run, otherwise dropped.

For OI_ENROLMENT + OI_CLAIMS together, in the same run:
- floor: a binary ``COPY`` of exactly the columns and rows the snapshot reads (``bench/_floor.py``),
  into /dev/null: the least reading these rows can cost the server and the wire;
- ours, for the 12-month range and for one month: extract (the snapshot: the only time the
  openIMIS server is busy), compute (DuckDB + pandas mapping), reconcile, total;
- naive: the needed raw rows read into pandas (``read_sql``) and aggregated there per month.
Prints seconds, the ratios ours/floor, naive/ours, server-busy/floor, 1 month / 12 months, and
the process's peak RSS after our runs and after the naive runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import psycopg2
from psycopg2 import sql as psql
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adx.periods import parse_period  # noqa: E402
from aggregations import (  # noqa: E402
    CatalogueConfig,
    compute_dataset,
    reconcile,
    snapshot_reads,
)
from bench._floor import copy_floor  # noqa: E402
from openimis_db.engine import make_engine, redact_url  # noqa: E402
from openimis_db.snapshot import read_snapshot  # noqa: E402

SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(wall seconds, result), without any tracing overhead."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- scratch database
def ensure_db(preset: str, keep: bool) -> tuple[str, bool]:
    """URL of a generated database; True when it was created by this run (and must be dropped)."""
    name = f"openimis_dhis2_bench_{preset}"
    admin = psycopg2.connect(f"{SERVER}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
    url = f"{SERVER}/{name}"
    if exists and keep:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                n = conn.execute(text('SELECT COUNT(*) FROM "tblClaim"')).scalar()
        except Exception:  # noqa: BLE001 - an unfinished scratch database is regenerated
            n = 0
        finally:
            engine.dispose()
        if n:
            print(f"reusing {name} ({n} claims)")
            return url, False
    from synthetic_data import GenerationOptions, generate

    with admin.cursor() as cur:
        cur.execute(psql.SQL("DROP DATABASE IF EXISTS {}").format(psql.Identifier(name)))
        cur.execute(psql.SQL("CREATE DATABASE {}").format(psql.Identifier(name)))
    admin.close()
    print(f"generating preset {preset} into {name} (this can take minutes) ...", flush=True)
    t0 = time.perf_counter()
    report = generate(url, GenerationOptions(preset=preset, seed=42))
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("COMMIT"))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"generated in {time.perf_counter() - t0:.0f} s: {report.rows}")
    return url, not keep


def drop_db(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(f"{SERVER}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(psql.SQL("DROP DATABASE IF EXISTS {}").format(psql.Identifier(name)))
    admin.close()


# --------------------------------------------------------------------------- naive baseline
BANDS = [0, 6, 13, 19, 26, 36, 56, 76]


def _age_band(dob: pd.Series, ref: pd.Series | pd.Timestamp) -> pd.Series:
    ref = pd.to_datetime(ref)
    dob = pd.to_datetime(dob)
    age = (
        (ref.year - dob.dt.year)
        - ((ref.month * 100 + ref.day) < (dob.dt.month * 100 + dob.dt.day)).astype(int)
        if isinstance(ref, pd.Timestamp)
        else (ref.dt.year - dob.dt.year)
        - ((ref.dt.month * 100 + ref.dt.day) < (dob.dt.month * 100 + dob.dt.day)).astype(int)
    )
    band = pd.Series(-1, index=dob.index)
    for i, low in enumerate(BANDS):
        band = band.mask(age >= low, i)
    return band.mask(dob.isna() | (age < 0), -1)


def naive(engine, dataset: str, periods) -> dict[tuple[str, str], float]:
    """Read the needed raw rows into pandas, then aggregate per month there. Returns totals."""
    out: dict[tuple[str, str], float] = {}
    with engine.connect() as conn:
        if dataset == "OI_ENROLMENT":
            ins = pd.read_sql(
                text(
                    'SELECT i."InsureeID", i."Gender", i."DOB", f."LocationId" FROM "tblInsuree" i '
                    'JOIN "tblFamilies" f ON f."FamilyID" = i."FamilyID" '
                    'WHERE i."ValidityTo" IS NULL AND f."ValidityTo" IS NULL'
                ),
                conn,
            )
            ip = pd.read_sql(
                text(
                    'SELECT ip."InsureeID", ip."EffectiveDate", ip."ExpiryDate", p."PolicyStatus", p."PolicyStage", '
                    'p."EnrollDate", i."Gender", i."DOB", f."LocationId" FROM "tblInsureePolicy" ip '
                    'JOIN "tblPolicy" p ON p."PolicyID" = ip."PolicyId" JOIN "tblInsuree" i ON i."InsureeID" = ip."InsureeID" '
                    'LEFT JOIN "tblFamilies" f ON f."FamilyID" = i."FamilyID" '
                    'WHERE ip."ValidityTo" IS NULL AND p."ValidityTo" IS NULL AND i."ValidityTo" IS NULL'
                ),
                conn,
            )
            pol = pd.read_sql(
                text(
                    'SELECT p."PolicyID", p."FamilyID", p."PolicyStatus", p."PolicyStage", p."EnrollDate", '
                    'p."EffectiveDate", p."ExpiryDate", f."LocationId", f."ValidityTo" AS fam_to, pr."ProductCode" '
                    'FROM "tblPolicy" p LEFT JOIN "tblFamilies" f ON f."FamilyID" = p."FamilyID" '
                    'LEFT JOIN "tblProduct" pr ON pr."ProdID" = p."ProdID" AND pr."ValidityTo" IS NULL '
                    'WHERE p."ValidityTo" IS NULL'
                ),
                conn,
            )
            prem = pd.read_sql(
                text(
                    'SELECT pm."Amount", pm."PayDate", pm."isPhotoFee", p."EffectiveDate", p."ExpiryDate", '
                    'f."LocationId", pr."ProductCode" FROM "tblPremium" pm JOIN "tblPolicy" p ON p."PolicyID" = pm."PolicyID" '
                    'LEFT JOIN "tblFamilies" f ON f."FamilyID" = p."FamilyID" '
                    'LEFT JOIN "tblProduct" pr ON pr."ProdID" = p."ProdID" AND pr."ValidityTo" IS NULL '
                    'WHERE pm."ValidityTo" IS NULL AND p."ValidityTo" IS NULL'
                ),
                conn,
            )
        else:
            claims = pd.read_sql(
                text(
                    'SELECT c."ClaimID", c."HFID", c."ClaimStatus", c."VisitType", c."DateFrom", c."DateTo", '
                    'c."DateClaimed", c."DateProcessed", c."Claimed", c."Approved", i."Gender", i."DOB", d."ICDCode" '
                    'FROM "tblClaim" c LEFT JOIN "tblInsuree" i ON i."InsureeID" = c."InsureeID" '
                    'LEFT JOIN "tblICDCodes" d ON d."ICDID" = c."ICDID" WHERE c."ValidityTo" IS NULL'
                ),
                conn,
            )
            lines = pd.read_sql(
                text(
                    'SELECT l."ClaimID", l."ClaimItemStatus" AS st, l."QtyProvided", l."RemuneratedAmount", x."ItemType" AS typ '
                    'FROM "tblClaimItems" l JOIN "tblClaim" c ON c."ClaimID" = l."ClaimID" '
                    'LEFT JOIN "tblItems" x ON x."ItemID" = l."ItemID" WHERE l."ValidityTo" IS NULL AND c."ValidityTo" IS NULL '
                    'UNION ALL SELECT l."ClaimID", l."ClaimServiceStatus", l."QtyProvided", l."RemuneratedAmount", x."ServCategory" '
                    'FROM "tblClaimServices" l JOIN "tblClaim" c ON c."ClaimID" = l."ClaimID" '
                    'LEFT JOIN "tblServices" x ON x."ServiceID" = l."ServiceID" WHERE l."ValidityTo" IS NULL AND c."ValidityTo" IS NULL'
                ),
                conn,
            )
    for p in periods:
        start, end, last = pd.Timestamp(p.start), pd.Timestamp(p.end), pd.Timestamp(p.last_day)
        if dataset == "OI_ENROLMENT":
            g = (
                ins.assign(band=_age_band(ins["DOB"], last))
                .groupby(["LocationId", "Gender", "band"], dropna=False)
                .size()
            )
            out[("OI_INSUREES_REGISTERED", p.id)] = g.sum()
            eff, exp = pd.to_datetime(ip["EffectiveDate"]), pd.to_datetime(ip["ExpiryDate"])
            cov = ip[(eff <= last) & (exp > last) & (ip["PolicyStatus"] != 1)].drop_duplicates(
                "InsureeID"
            )
            g = (
                cov.assign(band=_age_band(cov["DOB"], last))
                .groupby(["LocationId", "Gender", "band"], dropna=False)
                .size()
            )
            out[("OI_INSUREES_COVERED", p.id)] = g.sum()
            enr = pd.to_datetime(ip["EnrollDate"])
            new = ip[(ip["PolicyStage"] == "N") & (enr >= start) & (enr < end)]
            new = (
                new.assign(EnrollDate=pd.to_datetime(new["EnrollDate"]))
                .sort_values("EnrollDate")
                .drop_duplicates("InsureeID")
            )
            g = (
                new.assign(band=_age_band(new["DOB"], new["EnrollDate"]))
                .groupby(["LocationId", "Gender", "band"], dropna=False)
                .size()
            )
            out[("OI_INSUREES_NEW", p.id)] = g.sum()
            peff, pexp, penr = (
                pd.to_datetime(pol[c]) for c in ("EffectiveDate", "ExpiryDate", "EnrollDate")
            )
            ni = pol["PolicyStatus"] != 1
            prev = start - pd.Timedelta(days=1)
            for code, mask in (
                ("OI_POLICIES_ACTIVE", ni & (peff <= last) & (pexp > last)),
                ("OI_POLICIES_ACTIVE_PREV", ni & (peff <= prev) & (pexp > prev)),
                ("OI_POLICIES_NEW", (pol["PolicyStage"] == "N") & (penr >= start) & (penr < end)),
                (
                    "OI_POLICIES_RENEWED",
                    (pol["PolicyStage"] == "R") & (penr >= start) & (penr < end),
                ),
                ("OI_POLICIES_EXPIRED", ni & (pexp >= start) & (pexp < end)),
            ):
                out[(code, p.id)] = (
                    pol[mask].groupby(["LocationId", "ProductCode"], dropna=False).size().sum()
                )
            fam = pol[ni & (peff <= last) & (pexp > last) & pol["fam_to"].isna()]
            out[("OI_FAMILIES_COVERED", p.id)] = (
                fam.groupby("LocationId", dropna=False)["FamilyID"].nunique().sum()
            )
            ok = prem[prem["isPhotoFee"] != True]  # noqa: E712 - NULL counts as not a photo fee
            pay = pd.to_datetime(ok["PayDate"])
            amount = ok["Amount"].astype(float)
            out[("OI_CONTRIBUTIONS_COLLECTED", p.id)] = (
                amount[(pay >= start) & (pay < end)]
                .groupby([ok["LocationId"], ok["ProductCode"]], dropna=False)
                .sum()
                .sum()
            )
            e, x = pd.to_datetime(ok["EffectiveDate"]), pd.to_datetime(ok["ExpiryDate"])
            lo, hi = e.where(e > start, start), x.where(x < end, end)
            days = (hi - lo).dt.days.clip(lower=0)
            cover = (x - e).dt.days
            earned = (amount * days / cover).where(cover > 0, 0)
            out[("OI_CONTRIBUTIONS_EARNED", p.id)] = (
                earned.groupby([ok["LocationId"], ok["ProductCode"]], dropna=False).sum().sum()
            )
        else:
            ref = pd.to_datetime(claims["DateTo"].fillna(claims["DateFrom"]))
            c = claims[(ref >= start) & (ref < end)]
            cref = ref[(ref >= start) & (ref < end)]
            out[("OI_CLAIMS", p.id)] = (
                c.groupby(["HFID", "ClaimStatus", "VisitType"], dropna=False).size().sum()
            )
            out[("OI_CLAIMS_PATIENT", p.id)] = (
                c.assign(band=_age_band(c["DOB"], cref))
                .groupby(["HFID", "Gender", "band"], dropna=False)
                .size()
                .sum()
            )
            out[("OI_CLAIMED_AMOUNT", p.id)] = (
                c.groupby(["HFID", "ClaimStatus"])["Claimed"].sum().astype(float).sum()
            )
            out[("OI_CLAIMS_DIAGNOSIS", p.id)] = (
                c.groupby(["HFID", c["ICDCode"].str[:3]], dropna=False).size().sum()
            )
            ln = lines.merge(c[["ClaimID", "HFID", "ClaimStatus"]], on="ClaimID")
            out[("OI_LINES_QTY", p.id)] = (
                ln.groupby(["HFID", "typ", "st"], dropna=False)["QtyProvided"]
                .sum()
                .astype(float)
                .sum()
            )
            proc = pd.to_datetime(claims["DateProcessed"])
            pc = claims[(proc >= start) & (proc < end)]
            out[("OI_CLAIMS_PROCESSED", p.id)] = pc.groupby("HFID").size().sum()
    return out


# --------------------------------------------------------------------------- main
DATASETS = ("OI_ENROLMENT", "OI_CLAIMS")


def ours(url: str, periods, cfg: CatalogueConfig, workdir: Path) -> dict:
    """Snapshot, compute and reconcile both data sets; seconds per step, frames, problems."""
    reads = snapshot_reads(DATASETS, periods, cfg)
    directory = Path(tempfile.mkdtemp(dir=workdir))
    t_extract, snap = timed(lambda: read_snapshot(url, reads, directory))
    out: dict = {"extract": t_extract, "compute": 0.0, "reconcile": 0.0, "frames": {}}
    out["rows"] = sum(t.rows for t in snap.tables.values())
    out["bytes"] = sum(t.bytes for t in snap.tables.values())
    for ds in DATASETS:
        t_c, frame = timed(lambda ds=ds: compute_dataset(snap, ds, periods, cfg))
        t_r, problems = timed(lambda ds=ds, f=frame: reconcile(snap, ds, f, periods, cfg))
        out["compute"] += t_c
        out["reconcile"] += t_r
        out[f"{ds}_compute"], out[f"{ds}_reconcile"] = t_c, t_r
        out["frames"][ds] = (frame, problems)
    out["total"] = out["extract"] + out["compute"] + out["reconcile"]
    return out


def run(url: str, first: str, months: int, singles: int) -> None:
    del singles  # a range is one pass now; the single month is timed directly
    cfg = CatalogueConfig()
    periods, cur = [], parse_period(first)
    for _ in range(months):
        periods.append(cur)
        cur = parse_period(f"{cur.end.year:04d}{cur.end.month:02d}")
    single = [periods[len(periods) // 2]]
    print(f"database: {redact_url(url)}; range {periods[0].id}..{periods[-1].id}; "
          f"single month {single[0].id}; {os.cpu_count()} CPUs")  # fmt: skip
    reads = snapshot_reads(DATASETS, periods, cfg)
    copy_floor(url, reads)  # warm the server's cache so every timing sees a warm database
    floor = copy_floor(url, reads)
    floor_one = copy_floor(url, snapshot_reads(DATASETS, single, cfg))
    with tempfile.TemporaryDirectory(prefix="bench-aggregate-") as tmp:
        rng = ours(url, periods, cfg, Path(tmp))
        one = ours(url, single, cfg, Path(tmp))
    rss_ours = peak_rss_mib()
    engine = make_engine(url)
    t_naive = {}
    mismatches = {}
    for ds in DATASETS:
        t_naive[ds], totals = timed(lambda ds=ds: naive(engine, ds, periods))
        frame = rng["frames"][ds][0]
        got = (
            frame.assign(v=frame["value"].astype(float))
            .groupby(["data_element", "period"])["v"]
            .sum()
        )
        mismatches[ds] = [
            k for k, v in totals.items() if k in got.index and abs(got[k] - float(v)) > 0.5
        ]
    engine.dispose()
    rss_naive = peak_rss_mib()
    naive_total = sum(t_naive.values())

    print(f"\nsnapshot: {rng['rows']:,} rows, {rng['bytes'] / 1e6:,.0f} MB Parquet (12 months)")
    print(
        f"{'':<22}{'extract':>9}{'compute':>9}{'reconcile':>10}{'total':>9}{'floor':>8}{'total/floor':>12}"
    )
    for name, r, fl in (("12 months", rng, floor["TOTAL"]), ("1 month", one, floor_one["TOTAL"])):
        print(f"{name:<22}{r['extract']:>8.2f}s{r['compute']:>8.2f}s{r['reconcile']:>9.2f}s"
              f"{r['total']:>8.2f}s{fl:>7.2f}s{r['total'] / fl:>12.2f}")  # fmt: skip
    for ds in DATASETS:
        print(f"  {ds:<20}{'':>9}{rng[ds + '_compute']:>8.2f}s{rng[ds + '_reconcile']:>9.2f}s"
              f"   naive {t_naive[ds]:.2f}s")  # fmt: skip
    print("floor per table (12 months): " + ", ".join(
        f"{k} {v:.2f}s" for k, v in floor.items() if k != "TOTAL"))  # fmt: skip
    print(
        f"\nours / floor (12 months, everything):   {rng['total'] / floor['TOTAL']:.2f}  (target <= 3)"
    )
    print(
        f"server busy / floor (extract / floor):   {rng['extract'] / floor['TOTAL']:.2f}  (target <= 1.5)"
    )
    print(
        f"naive pandas / ours (12 months):         {naive_total / rng['total']:.2f}  (target >= 10)"
    )
    print(
        f"1 month / 12 months (total):             {one['total'] / rng['total']:.2f}  (target <= 0.33)"
    )
    print(f"peak RSS: {rss_ours:,.0f} MiB after our runs (target <= 1,536), "
          f"{rss_naive:,.0f} MiB after the naive runs")  # fmt: skip
    for ds in DATASETS:
        print(f"{ds}: {len(rng['frames'][ds][0]):,} values; reconcile: "
              f"{len(rng['frames'][ds][1])} problem(s); naive vs ours: {len(mismatches[ds])} total(s) differ")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--db", help="existing openIMIS database URL (default: generate a scratch PG database)"
    )
    ap.add_argument("--preset", default="large", choices=["small", "medium", "large"])
    ap.add_argument(
        "--keep", action="store_true", help="keep (and reuse) the generated scratch database"
    )
    ap.add_argument("--first", default="202401", help="first month of the range (YYYYMM)")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument(
        "--singles",
        type=int,
        default=12,
        help="single-month runs actually timed (evenly spread); the 12x total is scaled from them",
    )
    args = ap.parse_args(argv)
    created = False
    url = args.db
    if url is None:
        url, created = ensure_db(args.preset, args.keep)
    try:
        run(url, args.first, args.months, args.singles)
    finally:
        if created:
            drop_db(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
