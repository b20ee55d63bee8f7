"""Independent oracles for the anonymisation tests: plain SQL over source and target.

Nothing here imports the code under test: the identifying values are listed by hand from the openIMIS
schema (SCHEMA.md), and the target is searched through its own catalogue (every text column of every
table, modeled or not).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import make_engine

# Direct identifiers of people, by kind: (table, column) read with plain SQL from the source.
IDENTIFYING: dict[str, list[tuple[str, str]]] = {
    "name": [
        ("tblInsuree", "LastName"),
        ("tblInsuree", "OtherNames"),
        ("tblOfficer", "LastName"),
        ("tblOfficer", "OtherNames"),
        ("tblOfficer", "VEOLastName"),
        ("tblOfficer", "VEOOtherNames"),
        ("tblClaimAdmin", "LastName"),
        ("tblClaimAdmin", "OtherNames"),
        ("tblPayer", "PayerName"),
    ],
    "phone": [
        ("tblInsuree", "Phone"),
        ("tblOfficer", "Phone"),
        ("tblOfficer", "VEOPhone"),
        ("tblClaimAdmin", "Phone"),
        ("tblPayer", "Phone"),
        ("tblPayer", "Fax"),
        ("tblHF", "Phone"),
        ("tblHF", "Fax"),
    ],
    "email": [
        ("tblInsuree", "Email"),
        ("tblOfficer", "EmailId"),
        ("tblClaimAdmin", "EmailId"),
        ("tblPayer", "eMail"),
        ("tblHF", "eMail"),
    ],
    "address": [
        ("tblInsuree", "CurrentAddress"),
        ("tblFamilies", "FamilyAddress"),
        ("tblOfficer", "permanentaddress"),
        ("tblPayer", "PayerAddress"),
    ],
    "id_number": [
        ("tblInsuree", "passport"),
        ("tblFamilies", "ConfirmationNo"),
        ("tblPremium", "Receipt"),
        ("tblClaim", "GuaranteeId"),
        ("tblOfficer", "Code"),
        ("tblOfficer", "VEOCode"),
        ("tblClaimAdmin", "ClaimAdminCode"),
    ],
    "chfid": [("tblInsuree", "CHFID")],
    "claim_code": [("tblClaim", "ClaimCode")],
    "free_text": [
        ("tblClaim", "Explanation"),
        ("tblClaim", "Adjustment"),
        ("tblClaimItems", "Explanation"),
        ("tblClaimItems", "Justification"),
        ("tblClaimServices", "Explanation"),
        ("tblClaimServices", "Justification"),
        ("tblInsuree", "GeoLocation"),
    ],
}

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Public values that are kept on purpose (a source person may share a word with a place).
PUBLIC: list[tuple[str, str]] = [
    ("tblLocations", "LocationName"),
    ("tblLocations", "LocationCode"),
    ("tblHF", "HFName"),
    ("tblHF", "HFCode"),
    ("tblHF", "HFAddress"),
    ("tblProduct", "ProductName"),
    ("tblProduct", "ProductCode"),
    ("tblItems", "ItemName"),
    ("tblServices", "ServName"),
    ("tblICDCodes", "ICDName"),
    ("tblICDCodes", "ICDCode"),
    ("tblGender", "Gender"),
]


def q(name: str) -> str:
    return '"' + name + '"'


def column_values(url: str, table: str, column: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT DISTINCT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL"
            ).all()
    finally:
        engine.dispose()
    return {str(r[0]).strip() for r in rows if str(r[0]).strip()}


def source_identifiers(url: str) -> dict[str, set[str]]:
    return {
        kind: set().union(*(column_values(url, tb, c) for tb, c in cols))
        for kind, cols in IDENTIFYING.items()
    }


def public_values(url: str) -> set[str]:
    return {v.casefold() for tb, c in PUBLIC for v in column_values(url, tb, c)}


def all_text_values(url: str) -> set[str]:
    """Every non-NULL value of every text column of every table of the database."""
    engine = make_engine(url)
    out: set[str] = set()
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                cols = conn.exec_driver_sql(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', "
                    "'character', 'uuid', 'json', 'jsonb')"
                ).all()
            else:
                cols = []
                for (tb,) in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).all():
                    for info in conn.exec_driver_sql(f"PRAGMA table_info({q(tb)})").all():
                        ctype = str(info[2]).upper()
                        if any(k in ctype for k in ("CHAR", "TEXT", "CLOB")):
                            cols.append((tb, info[1]))
            for tb, col in cols:
                for (v,) in conn.exec_driver_sql(
                    f"SELECT DISTINCT CAST({q(col)} AS TEXT) FROM {q(tb)} WHERE {q(col)} IS NOT NULL"
                ):
                    out.add(str(v))
    finally:
        engine.dispose()
    return out


def leaks(
    source_url: str, target_url: str, baseline: set[str] = frozenset()
) -> dict[str, list[str]]:
    """Source identifying values found in the target: exact (case-insensitive) anywhere, or, for
    values of 8+ characters, inside any longer target text. Public values are excluded, and so are
    texts the target already held before the copy (``baseline``: an empty openIMIS schema ships base
    data such as ``tblControls.Usage = 'Insuree'``)."""
    found: dict[str, list[str]] = {}
    target = all_text_values(target_url) - set(baseline)
    folded = {v.strip().casefold() for v in target}
    # substrings are searched in every text but the random hex of UUIDs, where any 8-character
    # code made of hex digits turns up by chance (exact matches are still checked there)
    long_text = "\n".join(sorted(v for v in folded if not UUID_RE.fullmatch(v)))
    public = public_values(source_url)
    for kind, values in source_identifiers(source_url).items():
        hits = []
        for v in values:
            f = v.casefold()
            if f in public:
                continue
            if f in folded or (len(f) >= 8 and f in long_text):
                hits.append(v)
        if hits:
            found[kind] = sorted(hits)
    return found


def table_rows(url: str, table: str) -> pd.DataFrame:
    """All rows of a modeled table, ordered by key (small test databases only)."""
    tb = t.metadata.tables[table]
    pk = next(iter(tb.primary_key.columns))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tb).order_by(pk)).all()
    finally:
        engine.dispose()
    return pd.DataFrame([dict(r._mapping) for r in rows], columns=[c.name for c in tb.c])


def fk_violations(url: str) -> list[str]:
    """Rows whose modeled foreign key points nowhere (plain anti-joins)."""
    problems = []
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for name in t.MODELED_TABLES:
                for fk in t.metadata.tables[name].foreign_keys:
                    child, parent = fk.parent, fk.column
                    sql = (
                        f"SELECT COUNT(*) FROM {q(name)} c WHERE c.{q(child.name)} IS NOT NULL AND NOT "
                        f"EXISTS (SELECT 1 FROM {q(parent.table.name)} p WHERE p.{q(parent.name)} = "
                        f"c.{q(child.name)})"
                    )
                    n = conn.exec_driver_sql(sql).scalar_one()
                    if n:
                        problems.append(f"{name}.{child.name} -> {parent.table.name}: {n} rows")
    finally:
        engine.dispose()
    return problems


def normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Indicator frame with plain-Python comparable values, sorted."""
    out = frame.copy()
    out["value"] = [Decimal(str(v)).normalize() if v is not None else None for v in out["value"]]
    out = out.astype({c: str for c in out.columns if c != "value"})
    return out.sort_values(list(out.columns[:-1])).reset_index(drop=True)


def shift_period(period: str, months: int) -> str:
    y, m = divmod(int(period[:4]) * 12 + int(period[4:]) - 1 + months, 12)
    return f"{y:04d}{m + 1:02d}"


def age(dob: dt.date, ref: dt.date) -> int:
    return ref.year - dob.year - ((ref.month, ref.day) < (dob.month, dob.day))


REAL_FKS_SQL = """
SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
"""


def real_schema_fk_violations(url: str) -> tuple[int, list[str]]:
    """(number of single-column FKs of the PostgreSQL database, those with dangling rows), checked
    with anti-joins over every foreign key the catalogue declares, modeled table or not."""
    import psycopg2

    conn = psycopg2.connect(url)
    problems = []
    try:
        with conn.cursor() as cur:
            cur.execute(REAL_FKS_SQL)
            fks = cur.fetchall()
            for child, col, parent, pcol in fks:
                cur.execute(
                    f"SELECT count(*) FROM {child} c WHERE c.{q(col)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {parent} p WHERE p.{q(pcol)} = c.{q(col)})"
                )
                n = cur.fetchone()[0]
                if n:
                    problems.append(f"{child}.{col} -> {parent}: {n}")
    finally:
        conn.close()
    return len(fks), problems
