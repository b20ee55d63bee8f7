"""Facts -> DHIS2 data values (pandas): option codes, org unit roll-up and ids, exact decimals.

Complete option grid (INDICATORS.md v1.1): for every (period, org unit) with at least one
non-zero value, every data element of the data set is written with every category option
combination, zeros included (a value that drops to zero must overwrite the old one in DHIS2).
The options come from the catalogue and the snapshot's current products, never from the rows,
so a one-month run equals the same month inside a range run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from adx.model import FRAME_COLUMNS, encode_options
from adx.periods import Period
from atomic_files import write_text

from .catalogue import (
    AGE_UNKNOWN,
    DIAGNOSIS_OTHER,
    PRODUCT_UNKNOWN,
    default_options,
    product_option,
)
from .config import LEVEL_TYPE, CatalogueConfig
from .errors import UnmappedOrgUnitsError
from .periods import check_periods
from .registry import (
    AMOUNT,
    DATASET_SIDE,
    ELEMENTS,
    FIXED_OPTIONS,
    POPULATION,
    ElementSpec,
    dataset_period_type,
    resolve_dataset,
)

CENT = Decimal("0.01")


def option_mapper(category: str, config: CatalogueConfig):
    """raw database value (string or None) -> default option code, catch-all included."""
    if category in FIXED_OPTIONS:
        table = {str(raw): code for raw, code, _ in FIXED_OPTIONS[category] if raw is not None}
        other = next((code for raw, code, _ in FIXED_OPTIONS[category] if raw is None), None)
        if other is None:  # no catch-all (data-quality issues): an unknown value is a bug

            def strict(v):
                if v not in table:
                    raise ValueError(f"{category}: no option for the value {v!r}")
                return table[v]

            return strict
        return lambda v: table.get(v, other) if v is not None else other
    if category == "AGE":
        codes = [f"AGE_{b.code_suffix}" for b in config.age_bands]
        return lambda v: (
            codes[int(v)] if v is not None and 0 <= int(v) < len(codes) else AGE_UNKNOWN
        )
    if category == "PRODUCT":
        return lambda v: product_option(v) if v else PRODUCT_UNKNOWN
    if category == "DIAGNOSIS":
        groups = sorted(enumerate(config.diagnosis_groups), key=lambda ig: (ig[1].width(), ig[0]))

        def diag(v):
            if not v:
                return DIAGNOSIS_OTHER
            code = v.strip().upper()
            for _, g in groups:  # the narrowest matching group wins (caesarean inside delivery)
                for lo, hi in g.ranges:
                    if lo <= code[: len(lo)] <= hi:
                        return f"DIAGNOSIS_{g.code}"
            return DIAGNOSIS_OTHER

        return diag
    raise KeyError(category)


def round_cents(value: Fraction | Decimal | int) -> Decimal:
    """Exact value rounded half-up to cents (one rounding, at the very end)."""
    frac = Fraction(value)
    sign = -1 if frac < 0 else 1
    cents = math.floor(abs(frac) * 100 + Fraction(1, 2))
    return Decimal(sign * cents).scaleb(-2)


def format_value(value: Fraction | Decimal | int, spec: ElementSpec, where: str) -> str:
    if spec.kind == AMOUNT:
        q = round_cents(value)
        if not q.is_finite() or q < 0:
            raise ValueError(
                f"{where}: {spec.code} = {q} is negative or not finite; check the source rows"
            )
        text = format(q, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if value < 0:
        raise ValueError(f"{where}: {spec.code} = {value} is negative; check the source rows")
    return str(int(value))


def _at_or_below_level(
    frame: pd.DataFrame, org_units: pd.DataFrame, config: CatalogueConfig
) -> pd.DataFrame:
    """Population figures of locations above the residence level (a region's own figure when
    reporting by ward) cannot be attributed to one org unit of that level: they are left out."""
    order = "RDWV"
    allowed = set(order[order.index(LEVEL_TYPE[config.residence_level]) :])
    res = org_units[org_units["side"] == "residence"].set_index("key")["type"]
    types = pd.Series(frame["org_key"].to_numpy(), dtype="Int64").map(res)
    keep = ~types.isin(set(order) - allowed).to_numpy()
    return frame[keep]


def _roll_up(
    frame: pd.DataFrame, org_units: pd.DataFrame, side: str, config: CatalogueConfig
) -> pd.Series:
    """DHIS2 org unit id of every fact row; raises listing every unmapped org unit."""
    ou = org_units[org_units["side"] == side]
    keys = pd.Series(frame["org_key"].astype("Int64").to_numpy(), dtype="Int64")
    by_key = ou.set_index("key")
    target = keys.map(by_key["rollup_key"])
    org = target.map(by_key["org_unit"])
    missing = org.isna()
    if missing.any():
        codes = set()
        kind = "HfID" if side == "facility" else "LocationId"
        for key in keys[missing].unique():
            if pd.isna(key):
                codes.add(
                    f"{kind}=NULL (family without a location)"
                    if side == "residence"
                    else "HfID=NULL"
                )
            elif key not in by_key.index:
                codes.add(f"{kind}={key} (not in the openIMIS table)")
            elif pd.isna(by_key.at[key, "rollup_key"]):
                codes.add(
                    f"{by_key.at[key, 'code']} ({kind}={key}, type {by_key.at[key, 'type']}, "
                    f"has no {config.residence_level} above it)"
                )
            else:
                tgt = by_key.at[key, "rollup_key"]
                codes.add(
                    str(by_key.at[tgt, "code"])
                    if not pd.isna(by_key.at[tgt, "code"])
                    else f"{kind}={tgt}"
                )
        written = None
        if config.unmapped_file is not None:
            write_text(config.unmapped_file, "\n".join(sorted(codes)) + "\n")
            written = config.unmapped_file
        raise UnmappedOrgUnitsError(codes, written)
    return org.astype("string")


def build_dataset(
    dataset_code: str,
    facts: pd.DataFrame,
    periods: Sequence[Period],
    config: CatalogueConfig,
    org_units: pd.DataFrame,
    product_codes: Sequence[str],
) -> pd.DataFrame:
    """Data values of one data set as a frame with ``adx.model.FRAME_COLUMNS``.

    ``facts``: long-form rows (``compute.FACT_COLUMNS``); ``product_codes``: the snapshot's
    current product codes (``compute.product_codes``), the PRODUCT options with the configured ones.
    """
    ds = resolve_dataset(dataset_code, config)
    periods = check_periods(ds, periods, dataset_period_type(ds, config))
    wanted_periods = {p.id for p in periods}
    specs = [e for e in ELEMENTS if e.data_set == ds]
    products = list(config.products) + sorted(product_codes)
    frame = facts[
        facts["measure"].isin([e.code for e in specs]) & facts["period"].isin(wanted_periods)
    ]
    if ds == POPULATION:
        frame = _at_or_below_level(frame, org_units, config)
    frame = frame.assign(org_unit=_roll_up(frame, org_units, DATASET_SIDE[ds], config).to_numpy())

    # Sum exactly per (element, period, org unit, options): ints first, then Decimal for divisors.
    totals: dict[tuple, Fraction | int] = {}
    spec_by = {e.code: e for e in specs}
    mappers = {cat: option_mapper(cat, config) for e in specs for cat in e.categories}
    grouped = frame.groupby(
        ["measure", "period", "org_unit", "dim1", "dim2", "divisor"], dropna=False
    )["value"].sum()
    for (measure, period, org, d1, d2, divisor), value in grouped.items():
        spec = spec_by[measure]
        raw = [None if pd.isna(d) else d for d in (d1, d2)]
        opts = tuple(mappers[cat](raw[i]) for i, cat in enumerate(spec.categories))
        key = (measure, period, org, opts)
        # Amounts stay exact fractions (hundredths over cover days) until the final rounding.
        amount = Fraction(int(value), 100 * int(divisor)) if spec.kind == AMOUNT else int(value)
        totals[key] = totals.get(key, 0) + amount

    # Every element x option combination for every (period, org unit) with a non-zero value.
    cells = sorted({(k[1], k[2]) for k, v in totals.items() if v != 0})
    combos = {
        e.code: list(
            itertools.product(
                *[
                    [code for code, _ in default_options(cat, config, products)]
                    for cat in e.categories
                ]
            )
        )
        for e in specs
    }
    c = config.code
    # Codes and encoded option strings are worked out once per element, not per value.
    layout = [
        (
            e,
            c(e.code),
            [
                (
                    opts,
                    encode_options(
                        tuple((c(cat), c(opt)) for cat, opt in zip(e.categories, opts, strict=True))
                    ),
                )
                for opts in combos[e.code]
            ],
        )
        for e in specs
    ]
    ds_code = c(ds)
    columns: list[list[str]] = [[], [], [], [], [], []]
    for period, org in cells:
        where = f"{ds} {period} {org}"
        for e, de_code, options in layout:
            for opts, encoded in options:
                value = totals.get((e.code, period, org, opts), 0)
                text = "0" if value == 0 else format_value(value, e, where)
                for col, v in zip(
                    columns, (ds_code, period, org, de_code, encoded, text), strict=True
                ):
                    col.append(v)
    out = pd.DataFrame(
        {
            name: pd.array(col, dtype="string")
            for name, col in zip(
                ("data_set", "period", "org_unit", "data_element", "category_options", "value"),
                columns,
                strict=True,
            )
        }
    )
    out["attribute_options"] = pd.array([""] * len(out), dtype="string")
    result = out[list(FRAME_COLUMNS)]
    return result.sort_values(list(FRAME_COLUMNS[:5]), ignore_index=True)
