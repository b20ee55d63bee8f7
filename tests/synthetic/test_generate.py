"""The generator against real targets: constraints, modes, sequences, atomicity, determinism, bad options."""

from __future__ import annotations

import pytest

from openimis_db import tables as t
from synthetic_data import GenerationError, GenerationOptions, generate
from tests.synthetic.helpers import content_hashes, rows, scalar

FK_COUNT = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
SCHEMA_OBJECTS = (
    "SELECT (SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'),"
    " (SELECT string_agg(pg_get_constraintdef(oid), ';' ORDER BY conname) FROM pg_constraint)"
)


def test_into_existing_real_schema_commits_and_keeps_openimis_working(openimis_pg_url):
    fks_before = scalar(openimis_pg_url, FK_COUNT)
    objects_before = rows(openimis_pg_url, SCHEMA_OBJECTS)
    max_loc_before = scalar(openimis_pg_url, 'SELECT max("LocationId") FROM "tblLocations"')
    report = generate(
        openimis_pg_url, GenerationOptions(insurees=400, seed=7, mode="into_existing")
    )
    assert report.rows["tblInsuree"] >= 400 and report.rows["tblClaim"] > 400
    # every FK is back (and was validated when re-added)
    assert scalar(openimis_pg_url, FK_COUNT) == fks_before
    # ... and so is every index and constraint, with the same definition
    assert rows(openimis_pg_url, SCHEMA_OBJECTS) == objects_before
    # base data untouched; new ids start after the existing ones
    assert (
        scalar(
            openimis_pg_url,
            f'SELECT count(*) FROM "tblLocations" WHERE "LocationId" <= {max_loc_before}',
        )
        == 4
    )
    # sequences advanced: openIMIS-style inserts without explicit ids still work
    new_id = scalar(
        openimis_pg_url,
        """INSERT INTO "tblICDCodes" ("ValidityFrom", "ICDCode", "ICDName", "AuditUserID")
           VALUES (now(), 'Z99', 'test', 1) RETURNING "ICDID" """,
    )
    assert new_id > scalar(
        openimis_pg_url, 'SELECT max("ICDID") FROM "tblICDCodes" WHERE "ICDCode" <> \'Z99\''
    )
    # the generated rows satisfy the real schema's checks a second time, set-based
    assert scalar(
        openimis_pg_url,
        'SELECT count(*) FROM "tblHF" h JOIN "tblLegalForms" l ON l."LegalFormCode" = h."LegalForm"',
    ) == scalar(openimis_pg_url, 'SELECT count(*) FROM "tblHF"')


def test_failed_generation_leaves_the_target_unchanged(openimis_pg_url):
    generate(openimis_pg_url, GenerationOptions(insurees=100, seed=3, mode="into_existing"))
    before = rows(openimis_pg_url, 'SELECT count(*), max("ClaimID") FROM "tblClaim"')
    fks = scalar(openimis_pg_url, FK_COUNT)
    # same seed again: identical UUIDs violate the UNIQUE constraints -> one clear error, full rollback
    with pytest.raises(GenerationError, match="constraint|UUID|unique|duplicate"):
        generate(openimis_pg_url, GenerationOptions(insurees=100, seed=3, mode="into_existing"))
    assert rows(openimis_pg_url, 'SELECT count(*), max("ClaimID") FROM "tblClaim"') == before
    assert scalar(openimis_pg_url, FK_COUNT) == fks


def test_create_mode_on_empty_postgresql(new_pg_db):
    url = new_pg_db()
    report = generate(url, GenerationOptions(insurees=300, seed=5))
    assert scalar(url, 'SELECT count(*) FROM "tblClaim"') == report.rows["tblClaim"]
    model_fks = sum(len(table.foreign_keys) for table in t.metadata.tables.values())
    assert scalar(url, FK_COUNT) == model_fks  # every FK of the model, re-created after the load
    assert rows(url, 'SELECT "Code" FROM "tblGender" ORDER BY 1') == [("F",), ("M",), ("O",)]
    with pytest.raises(GenerationError, match="already holds openIMIS tables"):
        generate(url, GenerationOptions(insurees=300, seed=6))


def test_create_mode_sqlite_matches_report(small_sqlite_url):
    counts = {
        name: scalar(small_sqlite_url, f'SELECT count(*) FROM "{name}"')
        for name in ("tblInsuree", "tblClaim")
    }
    assert 2000 <= counts["tblInsuree"] <= 2100  # 2,000 current insurees plus history copies
    assert (
        scalar(small_sqlite_url, 'SELECT count(*) FROM "tblInsuree" WHERE "LegacyID" IS NULL')
        == 2000
    )
    assert counts["tblClaim"] > 5000
    assert scalar(small_sqlite_url, "PRAGMA foreign_key_check") is None


def test_same_seed_same_contents_other_seed_differs(tmp_path):
    opts = GenerationOptions(insurees=250, seed=11)
    a, b, c = (f"sqlite:///{tmp_path / n}" for n in ("a.db", "b.db", "c.db"))
    generate(a, opts)
    generate(b, opts)
    generate(c, GenerationOptions(insurees=250, seed=12))
    ha, hb, hc = content_hashes(a), content_hashes(b), content_hashes(c)
    assert ha == hb
    differing = {name for name in ha if ha[name] != hc[name]}
    assert {"tblInsuree", "tblFamilies", "tblClaim", "tblClaimItems", "tblPolicy"} <= differing


def test_default_span_is_fixed_not_today(small_sqlite_url):
    first, last = rows(small_sqlite_url, 'SELECT min("DateFrom"), max("DateFrom") FROM "tblClaim"')[
        0
    ]
    assert first.startswith("2023-01") and last.startswith("2024-12")


def test_span_options(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    report = generate(url, GenerationOptions(insurees=120, seed=1, start="2020-11", months=3))
    assert (report.first_month, report.last_month) == ("202011", "202101")
    first, last = rows(url, 'SELECT min("DateFrom"), max("DateFrom") FROM "tblClaim"')[0]
    assert first >= "2020-11-01" and last < "2021-02-01"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "huge"}, "unknown preset"),
        ({"months": 0}, "months"),
        ({"months": 500}, "months"),
        ({"start": "2023-13"}, "start must be YYYY-MM"),
        ({"start": "01-2023"}, "start must be YYYY-MM"),
        ({"insurees": 0}, "insurees"),
        ({"insurees": 3_000_000}, "insurees"),
        ({"seed": -1}, "seed"),
        ({"mode": "append"}, "mode"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(GenerationError, match=message):
        GenerationOptions(**kwargs)


def test_bad_targets(tmp_path):
    with pytest.raises(GenerationError, match="unsupported database"):
        generate("oracle://x/y", GenerationOptions(insurees=50))
    with pytest.raises(GenerationError, match="no openIMIS schema"):
        generate(
            f"sqlite:///{tmp_path / 'empty.db'}",
            GenerationOptions(insurees=50, mode="into_existing"),
        )
