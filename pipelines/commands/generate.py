"""``openimis-dhis2 generate``: write a synthetic openIMIS database (tables + realistic, messy rows)."""

from __future__ import annotations

import argparse
import re
import sys
import time


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return value


def _profile_codes() -> list[str]:
    from synthetic_data.profiles import profile_codes

    return profile_codes()


def _country(text: str) -> str:
    from synthetic_data.profiles import ProfileError, load_profile

    try:
        return load_profile(text).code
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "generate",
        help="generate a synthetic openIMIS database (SQLite, PostgreSQL, SQL Server)",
        description=(
            "Generate a deterministic synthetic openIMIS database: locations with populations, health "
            "facilities, families and insurees, policies and contributions, claims with items and services, "
            "plus deliberate real-data mess (history rows, deleted rows, odd codes, accented names). "
            "Either creates the tables in an empty database (--create-schema, the default) or adds rows to a "
            "database that already holds the real openIMIS schema (--into-existing)."
        ),
        epilog=(
            "examples:\n"
            "  openimis-dhis2 generate --db sqlite:///demo.db --preset small\n"
            "  openimis-dhis2 generate --db sqlite:///np.db --preset small --country NP\n"
            "  openimis-dhis2 generate --db postgresql://user@host/openimis --into-existing --preset medium\n"
            "  openimis-dhis2 generate --db 'mssql+pyodbc://user:pass@host/db?driver=ODBC+Driver+18+for+SQL+Server'"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db", required=True, metavar="URL", help="target database URL (password is never printed)"
    )
    p.add_argument(
        "--preset",
        choices=("small", "medium", "large"),
        default="small",
        help="size: small ~2,000 insurees, medium ~100,000, large ~1,000,000 (>=3M claims); default small",
    )
    p.add_argument(
        "--insurees",
        type=_positive,
        metavar="N",
        help="number of insurees (overrides the preset's size)",
    )
    p.add_argument(
        "--seed", type=_positive, default=42, metavar="N", help="random seed (default 42)"
    )
    p.add_argument(
        "--start",
        default="2023-01",
        metavar="YYYY-MM",
        help="first month of activity (default 2023-01)",
    )
    p.add_argument(
        "--months", type=_positive, default=24, metavar="N", help="months of activity (default 24)"
    )
    p.add_argument(
        "--country",
        type=_country,
        default="international",
        metavar="CODE",
        help="country profile of names, phone formats and demographics: "
        f"{', '.join(_profile_codes())} (default international)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--create-schema",
        dest="mode",
        action="store_const",
        const="create",
        help="create the openIMIS tables in an empty database (default)",
    )
    mode.add_argument(
        "--into-existing",
        dest="mode",
        action="store_const",
        const="into_existing",
        help="insert into a database already loaded with openIMIS's schema.sql (base data required)",
    )
    p.set_defaults(func=run, mode="create")


def run(args: argparse.Namespace) -> int:
    from openimis_db.engine import redact_url
    from synthetic_data import GenerationError, GenerationOptions, generate

    if not re.fullmatch(r"\d{4}-\d{2}", args.start or ""):
        raise GenerationError(f"--start must be YYYY-MM, got {args.start!r}")
    options = GenerationOptions(
        preset=args.preset,
        insurees=args.insurees,
        seed=args.seed,
        start=args.start,
        months=args.months,
        mode=args.mode,
        country=args.country,
    )
    target = redact_url(args.db)
    print(
        f"generating preset {options.preset} ({options.n_insurees:,} insurees, seed {options.seed}, "
        f"{options.start} + {options.months} months, {options.mode}, country {args.country}) into {target}",
        file=sys.stderr,
    )
    last = {"t": 0.0}

    def progress(table: str, rows: int) -> None:
        now = time.monotonic()
        if now - last["t"] >= 0.5 or args.verbose:
            print(f"  {table}: {rows:,} rows", file=sys.stderr, flush=True)
            last["t"] = now

    report = generate(args.db, options, progress=progress)
    width = max(len(name) for name in report.rows)
    print(f"generated {report.total_rows:,} rows into {target} in {report.seconds:.1f}s")
    print(
        f"activity months {report.first_month}..{report.last_month}, seed {report.seed}, "
        f"mode {report.mode}, country {report.country}"
    )
    for name, n in report.rows.items():
        print(f"  {name:<{width}}  {n:>12,}")
    return 0
