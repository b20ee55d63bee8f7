"""Entry point: generate a synthetic openIMIS database into a URL or engine."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import DatabaseURLError, make_engine
from synthetic_data._util import rng_for
from synthetic_data.bulk_load import bulk_insert
from synthetic_data.claims import build_claims
from synthetic_data.context import Context
from synthetic_data.options import GenerationError, GenerationOptions, GenerationReport
from synthetic_data.people import build_people, family_sizes
from synthetic_data.policies import build_policies
from synthetic_data.reference import build_reference
from synthetic_data.target import advance_sequences, prepare

CHUNK_FAMILIES = (
    20_000  # ~90,000 insurees and ~350,000 claims per chunk: bounds memory at any scale
)
Progress = Callable[[str, int], None]


def generate(
    url_or_engine: str | sa.Engine,
    options: GenerationOptions | None = None,
    progress: Progress | None = None,
) -> GenerationReport:
    """Write a synthetic openIMIS database; ``progress(table, rows_written_so_far)`` after each batch.

    Everything is written in one transaction (deferred foreign keys are checked at commit), so a
    failure leaves the target as it was.
    """
    options = options or GenerationOptions()
    t0 = time.perf_counter()
    own_engine = isinstance(url_or_engine, str)
    try:
        engine = make_engine(url_or_engine) if own_engine else url_or_engine
    except DatabaseURLError as exc:
        raise GenerationError(str(exc)) from exc
    try:
        offsets = prepare(engine, options.mode)
        ctx = Context(options=options, id_offsets=offsets, progress=progress)
        per_table: dict[str, float] = {}
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
            _write_all(ctx, conn, per_table)
            advance_sequences(conn)
    except sa.exc.OperationalError as exc:
        raise GenerationError(
            f"cannot write to the database: {str(exc.orig).strip().splitlines()[0]}"
        ) from exc
    except sa.exc.IntegrityError as exc:
        raise GenerationError(
            f"the generated rows violate a constraint: {str(exc.orig).strip().splitlines()[0]}"
        ) from exc
    finally:
        if own_engine:
            engine.dispose()
    first = np.datetime64(ctx.span_start, "D").astype("datetime64[M]")
    last = np.datetime64(ctx.span_end - 1, "D").astype("datetime64[M]")
    return GenerationReport(
        rows=dict(ctx.rows),
        first_month=str(first).replace("-", ""),
        last_month=str(last).replace("-", ""),
        seconds=time.perf_counter() - t0,
        seed=options.seed,
        mode=options.mode,
        dialect=engine.dialect.name,
        seconds_per_table=per_table,
    )


def _write_all(ctx: Context, conn: sa.Connection, per_table: dict[str, float]) -> None:
    def write(name: str, frame: pd.DataFrame) -> None:
        t1 = time.perf_counter()
        n = bulk_insert(conn, t.metadata.tables[name], frame)
        per_table[name] = per_table.get(name, 0.0) + time.perf_counter() - t1
        ctx.count(name, n)

    ref = build_reference(ctx)
    for name, frame in ref.frames.items():
        write(name, frame)
    sizes = family_sizes(rng_for(ctx.seed, 2), ctx.options.n_insurees)
    for chunk, lo in enumerate(range(0, len(sizes), CHUNK_FAMILIES)):
        people = build_people(
            ctx, ref, rng_for(ctx.seed, 10, chunk), sizes[lo : lo + CHUNK_FAMILIES]
        )
        write("tblFamilies", people.families)
        write("tblInsuree", people.insurees)
        policies, insuree_policy, premiums, cover = build_policies(
            ctx, ref, rng_for(ctx.seed, 11, chunk), people
        )
        write("tblPolicy", policies)
        write("tblInsureePolicy", insuree_policy)
        write("tblPremium", premiums)
        claims, items, services = build_claims(
            ctx, ref, rng_for(ctx.seed, 12, chunk), people, cover
        )
        write("tblClaim", claims)
        write("tblClaimItems", items)
        write("tblClaimServices", services)
