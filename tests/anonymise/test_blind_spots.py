"""Every identifying column of every openIMIS table is replaced or dropped (issue 11.8).

Needs no data: the identifying columns are derived here, independently of ``policy.py``, from the
real openIMIS DDL (``openimis-db/postgresql/schema.sql``) by name patterns plus an explicit list
reviewed against SCHEMA.md. A column is safe when its table is not copied, when the column is
not copied (not in ``openimis_db.tables``), or when the policy replaces, drops or regenerates it.
The only identifying-looking columns kept are listed, with the reason, in ``REVIEWED_PUBLIC``.

The transform test then gives a non-blank value to every column of every copied table (the leak
tests over real or generated data miss a column that happens to be blank there, e.g. ``Fax``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import types as sat

from openimis_db import tables as t
from synthetic_data.anonymise.policy import REPLACED_KINDS, Action, action_of
from synthetic_data.anonymise.pseudonym import AvoidSet, Pseudonymiser
from synthetic_data.anonymise.transform import TableTransformer

# Column names that identify a person or a household, or carry free text / secrets.
IDENTIFYING_NAME = re.compile(
    r"(lastname|othernames|^(payer|login|doc|image|photofile)name$|phone|fax|e-?mail|address"
    r"|photo|chfid|passport|confirmationno|receipt|guarantee|^code$|officercode|veocode"
    r"|claimadmincode|claimcode|^dob$|veodob|geolocation|password|emergency|contact"
    r"|explanation|justification|adjustment|^comment$|ethnicity|uuid)",
    re.IGNORECASE,
)
# Reviewed by reading SCHEMA.md and the DDL: identifying columns the pattern alone would miss.
EXPLICIT_IDENTIFYING = {
    ("tblFamilies", "ConfirmationNo"),
    ("tblInsuree", "CurrentAddress"),
    ("tblOfficer", "permanentaddress"),
    ("tblOfficer", "VEOLastName"),
    ("tblOfficer", "VEOOtherNames"),
    ("tblPremium", "Receipt"),
    ("tblPayment", "ReceiptNo"),
    ("tblClaim", "GuaranteeId"),
    ("tblPhotos", "PhotoFileName"),
    ("tblFromPhone", "DocName"),
    ("tblUsers", "LoginName"),
    ("tblUsers", "StoredPassword"),
    ("tblEmailSettings", "EmailPassword"),
    ("tblIMISDefaults", "SMSPassword"),
    ("tblIMISDefaults", "FTPPassword"),
}
# Identifying-looking columns that are copied unchanged on purpose (docs/anonymise.md "kept").
REVIEWED_PUBLIC = {
    ("tblHF", "HFAddress"): "health facilities are public places",
    ("tblHF", "HFCode"): "facility codes are public (DHIS2 org units)",
    ("tblLocations", "LocationCode"): "public place codes",
    ("tblGender", "Code"): "coded value",
    ("tblPayer", "PayerType"): "coded value",
    ("tblInsuree", "PhotoDate"): "a date; the photo itself (PhotoID) is dropped",
    ("tblOfficer", "PhoneCommunication"): "a yes/no flag, not a phone number",
    ("tblPremium", "isPhotoFee"): "a yes/no flag, not a photo",
}

SCHEMA_SQL = "openimis-db/postgresql/schema.sql"
_TABLE = re.compile(r'CREATE TABLE "public"\."(\w+)" \((.*?)\n\);', re.S)
_COLUMN = re.compile(r'^\s*"(\w+)"\s', re.M)


def schema_columns(shared: Path) -> dict[str, list[str]]:
    """Every table of the real openIMIS DDL and its columns."""
    text = (shared / SCHEMA_SQL).read_text(encoding="utf-8")
    return {name: _COLUMN.findall(body) for name, body in _TABLE.findall(text)}


def identifying_columns(shared: Path) -> set[tuple[str, str]]:
    found = {
        (table, col)
        for table, cols in schema_columns(shared).items()
        for col in cols
        if IDENTIFYING_NAME.search(col)
    }
    return found | EXPLICIT_IDENTIFYING


def test_schema_is_parsed_and_the_reviewed_lists_are_not_stale(shared):
    tables = schema_columns(shared)
    assert len(tables) >= 60 and "Fax" in tables["tblHF"] and "Fax" in tables["tblPayer"]
    for table, col in {*EXPLICIT_IDENTIFYING, *REVIEWED_PUBLIC}:
        assert col in tables.get(table, ()), f"{table}.{col} is not in the openIMIS schema"


def test_every_identifying_column_of_every_table_is_replaced_or_dropped(shared):
    safe_actions = REPLACED_KINDS | {Action.DROP, Action.UUID, Action.DOB}
    leaks = []
    for table, col in sorted(identifying_columns(shared)):
        if table not in t.MODELED_TABLES:
            continue  # the table is not copied at all
        modeled = {c.name.lower(): c.name for c in t.metadata.tables[table].c}
        if col.lower() not in modeled:
            continue  # the column is not copied (listed in the report as not copied)
        action = action_of(table, modeled[col.lower()])
        if action not in safe_actions and (table, col) not in REVIEWED_PUBLIC:
            leaks.append(f"{table}.{col}: {action.value}")
    assert leaks == [], "identifying columns copied as is: fix anonymise/policy.py"


def test_the_identifying_set_covers_the_known_contact_columns(shared):
    cols = identifying_columns(shared)
    # the two columns of issue 11.7 and one of each kind
    for must in [
        ("tblHF", "Fax"),
        ("tblPayer", "Fax"),
        ("tblHF", "eMail"),
        ("tblInsuree", "Phone"),
        ("tblInsuree", "passport"),
        ("tblOfficer", "VEOPhone"),
        ("tblFamilies", "FamilyAddress"),
        ("tblInsuree", "PhotoID"),
        ("tblClaimAdmin", "EmailId"),
    ]:
        assert must in cols, must


def _value_for(table: str, col, i: int):
    """A non-blank, distinctive source value of the column's type."""
    if isinstance(col.type, sat.DateTime):
        return dt.datetime(1987, 3, 14, 10, 30)
    if isinstance(col.type, sat.Date):
        return dt.date(1987, 3, 14)
    if isinstance(col.type, sat.Boolean):
        return True
    if isinstance(col.type, (sat.Integer, sat.Numeric, sat.Float)):
        return 4000 + i
    if "uuid" in col.name.lower():
        return f"6f1c2d3e-4a5b-4c6d-8e7f-{i:012d}"
    if "mail" in col.name.lower():
        return f"leak{i}.person@real-domain.org"
    if "phone" in col.name.lower() or "fax" in col.name.lower():
        return f"+255 77{i:02d} 31{i:02d}45"
    return f"Leak{i}Zq{table[3:7]}"


@pytest.mark.parametrize("table", t.MODELED_TABLES)
def test_transform_never_outputs_a_replaced_source_value(table):
    cols = list(t.metadata.tables[table].c)
    row = tuple(_value_for(table, c, i) for i, c in enumerate(cols))
    avoid = AvoidSet.of_values(str(v) for v in row if isinstance(v, str))
    transformer = TableTransformer(table, Pseudonymiser(seed=20240, avoid=avoid), 0)
    out = transformer.frame([row]).iloc[0]
    checked = 0
    for col, source in zip(cols, row, strict=True):
        action = action_of(table, col.name)
        if action is Action.KEEP or action is Action.DOB:
            continue
        got = out[col.name]
        if action is Action.DROP:
            assert got is None, f"{table}.{col.name} not dropped"
            continue
        checked += 1
        assert got is not None and str(got).strip(), f"{table}.{col.name} replaced by a blank"
        # the source value appears in no output cell of the row, under any column
        for other in cols:
            assert str(source) not in str(out[other.name]), f"{table}.{col.name} -> {other.name}"
    replaced = [c.name for c in cols if action_of(table, c.name) in REPLACED_KINDS]
    assert checked >= len(replaced)
