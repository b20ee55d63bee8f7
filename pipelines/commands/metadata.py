"""``openimis-dhis2 metadata``: the DHIS2 metadata bundle of the configured catalogue."""

from __future__ import annotations

import argparse
import json
import os
import sys

from pipelines.commands._common import CommandError, check_database, progress


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "metadata",
        help="write (or push) the DHIS2 metadata bundle: data sets, elements, categories, indicators",
        description="Build the /api/metadata bundle of the catalogue (data sets, data elements, "
        "categories, options, combos and the DHIS2 indicators) with the configured codes. "
        "Product options come from the database when --db (or OPENIMIS_DB_URL) is given, "
        "else from the configuration. Org units are not included: DHIS2 already has them.",
    )
    parser.add_argument("--out", metavar="FILE", help="write the bundle here (default: stdout)")
    parser.add_argument(
        "--push", action="store_true", help="POST it to DHIS2 (DHIS2_URL, DHIS2_TOKEN)"
    )
    parser.add_argument("--config", metavar="FILE", help="catalogue / mapping TOML file")
    parser.add_argument("--db", metavar="URL", help="openIMIS database, for the product codes")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from adx.dhis2.metadata import build_bundle
    from aggregations import build_catalogue, load_config, product_codes, reference_reads
    from openimis_db.snapshot import read_snapshot

    config = load_config(args.config or os.environ.get("OPENIMIS_DHIS2_CONFIG") or None)
    products = None
    url = args.db or os.environ.get("OPENIMIS_DB_URL")
    if url:
        check_database(url)
        with tempfile.TemporaryDirectory(prefix="openimis-dhis2-ref-") as tmp:
            products = product_codes(read_snapshot(url, reference_reads(), Path(tmp)))
    bundle = build_bundle(build_catalogue(config, products))
    text = json.dumps(bundle, indent=2, ensure_ascii=False)
    if args.out:
        from atomic_files import write_text

        write_text(args.out, text + "\n")
        progress(f"metadata bundle written to {args.out}")
    elif not args.push:
        sys.stdout.write(text + "\n")
    if args.push:
        from pipelines.commands.push import dhis2_client

        # One-line errors when DHIS2_URL, the credentials or a DHIS2_* setting is wrong.
        with dhis2_client() as client:
            result = client.post_metadata(bundle)
        stats = ", ".join(f"{k} {v}" for k, v in result.stats.items())
        print(f"metadata import {result.status}: {stats}")
        for err in result.errors:
            print(f"  - {err}")
        if not result.ok():
            raise CommandError(
                f"DHIS2 refused the metadata ({len(result.errors)} error(s), listed above)"
            )
    return 0
