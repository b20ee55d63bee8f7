"""Comparison of the indicators computed on a source and on its anonymised copy.

The expected differences are derived independently: plain SQL lists each current claim with its
facility, reference date and patient (sex, DOB) in source and target; a claim whose patient's age band
differs between the two must be in the patient's birthday month, and moving exactly those claims from
the source band to the target band must turn the source's OI_CLAIMS_PATIENT into the target's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pandas as pd

from adx.periods import month_range, parse_period
from aggregations import load_config
from openimis_db.engine import make_engine
from tests.aggregations.snap import compute_dataset

from .helpers import age, normalise_frame, shift_period

AGE_SPLIT = {"OI_CLAIMS_PATIENT", "OI_INSUREES_NEW"}
DAY_COUNTS = {"OI_SETTLEMENT_DAYS", "OI_CONTRIBUTIONS_EARNED"}
BANDS = [(0, 5), (6, 12), (13, 18), (19, 25), (26, 35), (36, 55), (56, 75)]


def indicators(url: str, first: str, last: str) -> pd.DataFrame:
    config = load_config(None)
    engine = make_engine(url)
    try:
        frames = [
            compute_dataset(engine, ds, month_range(first, last), config)
            for ds in ("OI_ENROLMENT", "OI_CLAIMS")
        ]
        years = range(int(first[:4]), int(last[:4]) + 1)
        frames.append(
            compute_dataset(engine, "OI_POPULATION", [parse_period(str(y)) for y in years], config)
        )
    finally:
        engine.dispose()
    return normalise_frame(pd.concat(frames, ignore_index=True))


def shifted(frame: pd.DataFrame, months: int) -> pd.DataFrame:
    out = frame.copy()
    monthly = out["period"].str.len() == 6
    out.loc[monthly, "period"] = [shift_period(p, months) for p in out.loc[monthly, "period"]]
    return out


def as_dict(frame: pd.DataFrame) -> dict[tuple, Decimal]:
    key = [
        "data_set",
        "period",
        "org_unit",
        "data_element",
        "category_options",
        "attribute_options",
    ]
    return {tuple(r[:-1]): r[-1] for r in frame[[*key, "value"]].itertuples(index=False)}


def age_code(dob: dt.date | None, ref: dt.date) -> str:
    if dob is None or dob > ref:
        return "AGE_UNKNOWN"
    a = age(dob, ref)
    for lo, hi in BANDS:
        if lo <= a <= hi:
            return f"AGE_{lo}_{hi}"
    return "AGE_76PLUS"


def sex_code(g: str | None) -> str:
    return f"SEX_{g}" if g in ("M", "F", "O") else "SEX_UNKNOWN"


CLAIMS_SQL = """
SELECT c."ClaimID", COALESCE(c."DateTo", c."DateFrom"), h."HFCode", i."Gender", i."DOB"
FROM "tblClaim" c JOIN "tblHF" h ON h."HfID" = c."HFID" JOIN "tblInsuree" i ON i."InsureeID" = c."InsureeID"
WHERE c."ValidityTo" IS NULL
"""


def claim_patients(url: str) -> dict[int, tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(CLAIMS_SQL).all()
    finally:
        engine.dispose()

    def d(v):
        return dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v

    return {r[0]: (d(r[1]), r[2].strip(), r[3], d(r[4])) for r in rows}


def expected_patient_moves(source_url: str, target_url: str) -> tuple[Counter, int]:
    """(cell -> change of OI_CLAIMS_PATIENT, number of claims moved); asserts the birthday-month rule."""
    src, tgt = claim_patients(source_url), claim_patients(target_url)
    assert src.keys() == tgt.keys()
    moves: Counter = Counter()
    moved = 0
    for claim, (ref_s, hf, sex, dob_s) in src.items():
        ref_t, hf_t, sex_t, dob_t = tgt[claim]
        assert (hf_t, sex_t) == (hf, sex)
        a_s, a_t = age_code(dob_s, ref_s), age_code(dob_t, ref_t)
        if a_s != a_t:
            assert dob_s.month == ref_s.month, (
                f"claim {claim}: age band moved outside the birthday month"
            )
            moved += 1
            period = f"{ref_t.year:04d}{ref_t.month:02d}"
            moves[(period, hf, f"SEX={sex_code(sex)};AGE={a_s}")] -= 1
            moves[(period, hf, f"SEX={sex_code(sex)};AGE={a_t}")] += 1
    return moves, moved


def compare(source: pd.DataFrame, target: pd.DataFrame, months: int, skip=frozenset()) -> dict:
    """Assert equality element by element (after shifting the source's periods); return the
    age-split elements' (source, target) dicts for the caller's exact checks."""
    src, tgt = as_dict(shifted(source, months)), as_dict(target)
    assert src.keys() == tgt.keys()
    special: dict[str, tuple[dict, dict]] = {e: ({}, {}) for e in AGE_SPLIT}
    diffs = []
    for k, v in src.items():
        element = k[3]
        if element in skip:
            continue
        if element in AGE_SPLIT:
            special[element][0][k] = v
            special[element][1][k] = tgt[k]
        elif v != tgt[k]:
            diffs.append((k, v, tgt[k]))
    assert diffs == []
    return special


def totals_by_sex(values: dict) -> Counter:
    out: Counter = Counter()
    for k, v in values.items():
        sex = k[4].split(";")[0]
        out[(k[1], k[2], k[3], sex)] += v
    return out


NEW_IN_BIRTH_MONTH_SQL = """
SELECT p."EnrollDate", i."DOB"
FROM "tblInsureePolicy" ip JOIN "tblPolicy" p ON p."PolicyID" = ip."PolicyId"
JOIN "tblInsuree" i ON i."InsureeID" = ip."InsureeID"
WHERE ip."ValidityTo" IS NULL AND p."ValidityTo" IS NULL AND i."ValidityTo" IS NULL
  AND p."PolicyStage" = 'N'
"""


def birth_month_enrolment_periods(source_url: str, months: int) -> set[str]:
    """Periods (of the copy) holding a new enrolment in the insuree's birth month (source data)."""
    engine = make_engine(source_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(NEW_IN_BIRTH_MONTH_SQL).all()
    finally:
        engine.dispose()
    out = set()
    for enrolled, dob in rows:
        enrolled, dob = str(enrolled)[:10], str(dob)[:10]  # ISO text on SQLite, dates on PostgreSQL
        if enrolled[5:7] == dob[5:7]:
            out.add(shift_period(enrolled[:4] + enrolled[5:7], months))
    return out


def check_age_split(special: dict, moves: Counter, new_periods: set[str] | None = None) -> None:
    """Totals and sex split identical; OI_CLAIMS_PATIENT's age split equals source + exact moves;
    OI_INSUREES_NEW's age split differs only in periods with a birth-month enrolment."""
    for element, (s, t) in special.items():
        assert totals_by_sex(s) == totals_by_sex(t), element
    if new_periods is not None:
        s, t = special["OI_INSUREES_NEW"]
        assert {k[1] for k in s if s[k] != t[k]} <= new_periods
    s, t = special["OI_CLAIMS_PATIENT"]
    expected = dict(s)
    for (period, hf, options), delta in moves.items():
        key = next(k for k in expected if k[1] == period and k[2] == hf and k[4] == options)
        expected[key] += delta
    assert expected == t
