"""Benchmark the indicator catalogue's set-based SQL against a naive pandas baseline and a floor.

    .venv/bin/python bench/aggregate.py [--db URL] [--preset large|medium|small] [--keep]
                                        [--first 202401] [--months 12]

Without --db, a scratch PostgreSQL database ``openimis_dhis2_bench_<preset>`` on 127.0.0.1:5432
(override the server with BENCH_PG_URL) is filled by ``synthetic_data.generate`` (seed 42,
2023-01..2024-12); with --keep it is kept and reused by the next run, otherwise dropped.

For OI_ENROLMENT and OI_CLAIMS (and the yearly OI_POPULATION), in the same run:
- ours: ``compute_dataset`` (one SQL query per source fact + pandas build) for one month and
  for a 12-month range, plus the 12 single-month runs one after the other;
- naive: the needed raw rows read into pandas (``read_sql``) and aggregated there per month
  (the same definitions, vectorised) for the same 12 months;
- floor: plain ``SELECT COUNT(*)`` over the same tables and joins the fact queries scan.
Prints wall seconds (warm database), the ratios ours/naive, ours/floor and 12-month-range /
12 x single-month, and the process's peak RSS after our runs and after the naive runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import psycopg2
from psycopg2 import sql as psql
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adx.periods import parse_period, yearly  # noqa: E402
from aggregations import CatalogueConfig, compute_dataset, reconcile  # noqa: E402
from openimis_db.engine import make_engine, redact_url  # noqa: E402

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


# --------------------------------------------------------------------------- floor
FLOOR_SQL = {
    "OI_ENROLMENT": [
        'SELECT COUNT(*) FROM "tblInsuree" i JOIN "tblFamilies" f ON f."FamilyID" = i."FamilyID"',
        'SELECT COUNT(*) FROM "tblInsureePolicy" ip JOIN "tblPolicy" p ON p."PolicyID" = ip."PolicyId" '
        'JOIN "tblInsuree" i ON i."InsureeID" = ip."InsureeID" LEFT JOIN "tblFamilies" f ON f."FamilyID" = i."FamilyID"',
        'SELECT COUNT(*) FROM "tblPolicy" p LEFT JOIN "tblFamilies" f ON f."FamilyID" = p."FamilyID" '
        'LEFT JOIN "tblProduct" pr ON pr."ProdID" = p."ProdID"',
        'SELECT COUNT(*) FROM "tblPremium" pm JOIN "tblPolicy" p ON p."PolicyID" = pm."PolicyID" '
        'LEFT JOIN "tblFamilies" f ON f."FamilyID" = p."FamilyID"',
    ],
    "OI_CLAIMS": [
        'SELECT COUNT(*) FROM "tblClaim" c LEFT JOIN "tblInsuree" i ON i."InsureeID" = c."InsureeID" '
        'LEFT JOIN "tblICDCodes" d ON d."ICDID" = c."ICDID"',
        'SELECT COUNT(*) FROM "tblClaimItems" l JOIN "tblClaim" c ON c."ClaimID" = l."ClaimID" '
        'LEFT JOIN "tblItems" x ON x."ItemID" = l."ItemID"',
        'SELECT COUNT(*) FROM "tblClaimServices" l JOIN "tblClaim" c ON c."ClaimID" = l."ClaimID" '
        'LEFT JOIN "tblServices" x ON x."ServiceID" = l."ServiceID"',
    ],
    "OI_POPULATION": ['SELECT COUNT(*) FROM "tblLocations"'],
}


def floor(engine, dataset: str) -> int:
    with engine.connect() as conn:
        return sum(int(conn.execute(text(q)).scalar()) for q in FLOOR_SQL[dataset])


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
def run(url: str, first: str, months: int, singles: int) -> None:
    engine = make_engine(url)
    cfg = CatalogueConfig()
    periods, cur = [], parse_period(first)
    for _ in range(months):
        periods.append(cur)
        cur = parse_period(f"{cur.end.year:04d}{cur.end.month:02d}")
    single = [periods[len(periods) // 2]]
    sample = periods[:: max(1, len(periods) // singles)][:singles]
    print(
        f"database: {redact_url(url)}; range {periods[0].id}..{periods[-1].id}; single month {single[0].id}"
    )
    with engine.connect() as conn:
        for tbl in (
            "tblInsuree",
            "tblPolicy",
            "tblInsureePolicy",
            "tblPremium",
            "tblClaim",
            "tblClaimItems",
            "tblClaimServices",
        ):
            n = conn.execute(text(f'SELECT COUNT(*) FROM "{tbl}"')).scalar()
            print(f"  {tbl}: {n:,} rows", flush=True)
    # Ours first for both data sets, then the naive baseline: peak RSS only grows, so the peak
    # read after our runs is ours, and the one after the naive runs is the naive baseline's.
    ours: dict[str, tuple] = {}
    for ds in ("OI_ENROLMENT", "OI_CLAIMS"):
        compute_dataset(
            engine, ds, single, cfg
        )  # warm the cache so every timing sees a warm database
        t_one, _ = timed(lambda ds=ds: compute_dataset(engine, ds, single, cfg))
        t_rng, frame = timed(lambda ds=ds: compute_dataset(engine, ds, periods, cfg))
        t_sample = sum(
            timed(lambda ds=ds, m=m: compute_dataset(engine, ds, [m], cfg))[0] for m in sample
        )
        ours[ds] = (t_one, t_rng, t_sample * len(periods) / len(sample), frame)
        print(f"{ds}: ours done ({t_one:.1f}s, {t_rng:.1f}s)", flush=True)
    pop = [yearly(periods[0].start.year)]
    t_pop, fpop = timed(lambda: compute_dataset(engine, "OI_POPULATION", pop, cfg))
    rss_ours = peak_rss_mib()
    rows = []
    for ds in ("OI_ENROLMENT", "OI_CLAIMS"):
        t_one, t_rng, t_each, frame = ours[ds]
        t_floor, n_floor = timed(lambda ds=ds: floor(engine, ds))
        t_rec, problems = timed(
            lambda ds=ds, frame=frame: reconcile(engine, ds, frame, periods, cfg)
        )
        t_naive, totals = timed(lambda ds=ds: naive(engine, ds, periods))
        # Sanity: the naive baseline computed the same numbers (float, so compare loosely).
        got = (
            frame.assign(v=frame["value"].astype(float))
            .groupby(["data_element", "period"])["v"]
            .sum()
        )
        mismatch = [k for k, v in totals.items() if k in got.index and abs(got[k] - float(v)) > 0.5]
        rows.append(
            (
                ds,
                t_one,
                t_rng,
                t_each,
                t_naive,
                t_floor,
                len(frame),
                n_floor,
                t_rec,
                len(problems),
                len(mismatch),
            )
        )
        print(f"{ds}: naive and floor done", flush=True)
    rss_naive = peak_rss_mib()
    engine.dispose()

    print()
    print(
        f"{'data set':<14}{'1 month':>9}{'12 mo':>9}{'12x1 mo':>9}{'naive12':>9}{'floor':>8}"
        f"{'ours/naive':>11}{'ours/floor':>11}{'12mo/12x1':>10}{'values':>11}"
    )
    for ds, one, rng, each, nv, fl, nvals, *_ in rows:
        print(
            f"{ds:<14}{one:>8.2f}s{rng:>8.2f}s{each:>8.2f}s{nv:>8.2f}s{fl:>7.2f}s"
            f"{rng / nv:>11.2f}{rng / fl:>11.2f}{rng / each:>10.2f}{nvals:>11,}"
        )
    if len(sample) != len(periods):
        print(
            f"12x1 mo = {len(periods)}/{len(sample)} x the time of {len(sample)} single-month runs "
            f"({', '.join(p.id for p in sample)})"
        )
    print(
        f"peak RSS of the process: {rss_ours:,.0f} MiB after our runs, {rss_naive:,.0f} MiB after the naive runs"
    )
    for ds, *_, nfl, rec, nprob, nmis in rows:
        print(
            f"{ds}: floor scanned {nfl:,} joined rows; reconcile {rec:.2f}s, {nprob} problem(s); "
            f"naive vs ours: {nmis} total(s) differ"
        )
    print(f"OI_POPULATION {pop[0].id}: {t_pop:.2f}s, {len(fpop):,} values")
    print(
        "ratios: ours/naive < 1 = faster than reading the rows into pandas; ours/floor = cost over a bare "
        "COUNT(*) scan of the same joins; 12mo/12x1 = one range run vs twelve single-month runs"
    )


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
