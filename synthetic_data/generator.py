"""Entry point: generate a synthetic openIMIS database into a URL or engine."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import DatabaseURLError, make_engine
from synthetic_data._util import rng_for
from synthetic_data.bulk_load import BulkLoadError, bulk_insert
from synthetic_data.claims import build_claims
from synthetic_data.context import Context
from synthetic_data.options import GenerationError, GenerationOptions, GenerationReport
from synthetic_data.people import IDENTITY_STREAM, build_people, family_sizes
from synthetic_data.policies import build_policies
from synthetic_data.reference import build_reference
from synthetic_data.target import (
    advance_sequences,
    prepare,
    restore_constraints,
    suspend_constraints,
)

CHUNK_FAMILIES = (
    20_000  # ~90,000 insurees and ~350,000 claims per chunk: bounds memory at any scale
)
QUEUE_BATCHES = 4  # frames waiting to be loaded (memory bound)
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
    own_engine = isinstance(url_or_engine, str)  # an engine made here is disposed of here
    try:
        engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    except DatabaseURLError as exc:
        raise GenerationError(str(exc)) from exc
    try:
        offsets = prepare(engine, options.mode)
        ctx = Context(options=options, id_offsets=offsets, progress=progress)
        per_table: dict[str, float] = {}
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
                # for this transaction only: sort-based index builds and the FK validation joins
                # re-run at the end stay in memory instead of spilling to disk in small batches
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
                conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            saved = suspend_constraints(conn)
            _load(ctx, conn, per_table)
            t1 = time.perf_counter()
            restore_constraints(conn, saved)
            advance_sequences(conn)
            per_table["(constraints)"] = time.perf_counter() - t1
    except sa.exc.OperationalError as exc:
        raise GenerationError(
            f"cannot write to the database: {str(exc.orig).strip().splitlines()[0]}"
        ) from exc
    except BulkLoadError as exc:
        raise GenerationError(
            f"the generated rows do not fit the target: {str(exc).splitlines()[0]}"
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
        country=ctx.profile.code,
    )


def _load(ctx: Context, conn: sa.Connection, per_table: dict[str, float]) -> None:
    """Generate in a worker thread while this thread loads: numpy/pyarrow and the database's COPY
    release the GIL, so on two cores generation and loading overlap. The queue bounds memory."""
    # (table, frame) batches, then None: the producer is done
    batches: queue.Queue[tuple[str, pd.DataFrame] | None] = queue.Queue(maxsize=QUEUE_BATCHES)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in _batches(ctx):
                while not stop.is_set():
                    try:
                        batches.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # re-raised in the loading thread
            failure.append(exc)
        finally:
            batches.put(None)

    worker = threading.Thread(target=produce, name="synthetic-data-generator", daemon=True)
    worker.start()
    try:
        while (item := batches.get()) is not None:
            name, frame = item
            t1 = time.perf_counter()
            n = bulk_insert(conn, t.metadata.tables[name], frame)
            per_table[name] = per_table.get(name, 0.0) + time.perf_counter() - t1
            ctx.count(name, n)
    finally:
        stop.set()
        while worker.is_alive():  # drain so the producer can finish
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.1)
        worker.join()
    if failure:
        raise failure[0]


def _batches(ctx: Context) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, frame) in load order; ids and RNG streams are fixed by chunk number, so the contents
    never depend on timing."""
    ref = build_reference(ctx)
    yield from ref.frames.items()
    sizes = family_sizes(
        rng_for(ctx.seed, 2), ctx.options.n_insurees, ctx.profile.demographics.household_size
    )
    for chunk, lo in enumerate(range(0, len(sizes), CHUNK_FAMILIES)):
        people = build_people(
            ctx,
            ref,
            rng_for(ctx.seed, 10, chunk),
            sizes[lo : lo + CHUNK_FAMILIES],
            rng_for(ctx.seed, IDENTITY_STREAM, chunk),
        )
        yield "tblFamilies", people.families
        yield "tblInsuree", people.insurees
        policies, insuree_policy, premiums, cover = build_policies(
            ctx, ref, rng_for(ctx.seed, 11, chunk), people
        )
        yield "tblPolicy", policies
        yield "tblInsureePolicy", insuree_policy
        yield "tblPremium", premiums
        del policies, insuree_policy, premiums
        claims, items, services = build_claims(
            ctx, ref, rng_for(ctx.seed, 12, chunk), people, cover
        )
        yield "tblClaim", claims
        yield "tblClaimItems", items
        yield "tblClaimServices", services
