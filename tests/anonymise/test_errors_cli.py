"""Unknown layouts, refused targets, determinism, extra source columns and the CLI."""

from __future__ import annotations

import json

import psycopg2
import pytest

from pipelines.cli import main
from synthetic_data.anonymise import AnonymiseError, AnonymiseOptions, anonymise, fakes

from .conftest import SEED
from .helpers import all_text_values, table_rows


def _sql(url: str, *statements: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            for s in statements:
                cur.execute(s)
        conn.commit()
    finally:
        conn.close()


def test_missing_column_fails_naming_table_and_column(openimis_demo_url, tmp_path):
    _sql(openimis_demo_url, 'ALTER TABLE "tblClaim" DROP COLUMN "VisitType"')
    with pytest.raises(AnonymiseError, match=r"tblClaim lacks column\(s\) VisitType"):
        anonymise(openimis_demo_url, f"sqlite:///{tmp_path / 'x.db'}", AnonymiseOptions(seed=1))
    assert (
        not (tmp_path / "x.db").exists()
        or all_text_values(f"sqlite:///{tmp_path / 'x.db'}") == set()
    )


def test_missing_table_fails_naming_it(openimis_demo_url, tmp_path):
    _sql(openimis_demo_url, 'DROP TABLE "tblPayer" CASCADE')
    with pytest.raises(AnonymiseError, match=r"table\(s\) tblPayer not found"):
        anonymise(openimis_demo_url, f"sqlite:///{tmp_path / 'x.db'}", AnonymiseOptions(seed=1))


def test_extra_source_columns_are_reported_and_not_copied(openimis_demo_url, tmp_path):
    _sql(
        openimis_demo_url,
        'ALTER TABLE "tblInsuree" ADD COLUMN "JsonExt" text',
        """UPDATE "tblInsuree" SET "JsonExt" = '{"nickname": "Secret Nick"}'""",
        # a source name sharing a word with the fake pool: that word must never be used as a fake
        f"""UPDATE "tblInsuree" SET "OtherNames" = 'Rose {fakes.FIRST_NAMES[0]}' WHERE "InsureeID" = 1""",
    )
    target = f"sqlite:///{tmp_path / 'x.db'}"
    report = anonymise(openimis_demo_url, target, AnonymiseOptions(seed=SEED))
    assert report.tables["tblInsuree"].source_columns_not_copied == ["JsonExt"]
    texts = all_text_values(target)
    assert not any("Secret Nick" in v for v in texts)
    assert fakes.FIRST_NAMES[0] not in texts


def test_non_empty_target_is_refused_and_left_untouched(demo_source_url, demo_pg_copy):
    url, _, _ = demo_pg_copy
    before = table_rows(url, "tblInsuree")
    with pytest.raises(AnonymiseError, match=r"target is not empty: .*tblHF \(29 rows\)"):
        anonymise(demo_source_url, url, AnonymiseOptions(seed=1))
    with pytest.raises(AnonymiseError, match="already has openIMIS table"):
        anonymise(demo_source_url, url, AnonymiseOptions(seed=1, target_mode="create"))
    assert table_rows(url, "tblInsuree").equals(before)


def test_same_seed_same_output_different_seed_different_names(demo_source_url, tmp_path):
    urls = {}
    for label, seed in (("a", 99), ("b", 99), ("c", 100)):
        urls[label] = f"sqlite:///{tmp_path / label}.db"
        anonymise(demo_source_url, urls[label], AnonymiseOptions(seed=seed, shift_months=3))
    from openimis_db import tables as t

    for name in t.MODELED_TABLES:
        assert table_rows(urls["a"], name).equals(table_rows(urls["b"], name)), name
    a, c = table_rows(urls["a"], "tblInsuree"), table_rows(urls["c"], "tblInsuree")
    for col in ("OtherNames", "CHFID", "InsureeUUID", "DOB"):
        assert (a[col] != c[col]).mean() > 0.5, col


def test_options_are_validated():
    with pytest.raises(AnonymiseError, match="either shift_months or shift_to"):
        AnonymiseOptions(shift_months=2, shift_to="2024-01")
    with pytest.raises(AnonymiseError, match="YYYY-MM"):
        AnonymiseOptions(shift_to="2024-13")
    with pytest.raises(AnonymiseError, match="suppress needs k"):
        AnonymiseOptions(suppress=True)
    assert AnonymiseOptions().seed is not None  # a random key when none is given


def test_cli_help_and_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["anonymise", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--source",
        "--target",
        "--seed",
        "--shift-months",
        "--shift-to",
        "--k",
        "--suppress",
        "--report",
    ):
        assert flag in out
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "anonymise",
                "--source",
                "x",
                "--target",
                "y",
                "--shift-months",
                "2",
                "--shift-to",
                "2024-01",
            ]
        )
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["anonymise", "--source", "x", "--target", "y", "--k", "1"])
    assert exc.value.code == 2


def test_cli_failure_is_one_line_without_secrets(capsys, tmp_path):
    empty = tmp_path / "empty.db"
    rc = main(
        [
            "anonymise",
            "--source",
            f"sqlite:///{empty}",
            "--target",
            "postgresql://u:s3cr3t@127.0.0.1:1/x",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "openimis-dhis2 anonymise: error:" in err and "s3cr3t" not in err
    assert "not an openIMIS database" in err


def test_cli_shift_to_with_k_suppression_and_json_report(demo_source_url, tmp_path, capsys):
    target = f"sqlite:///{tmp_path / 'cli.db'}"
    report_file = tmp_path / "report.json"
    rc = main(
        [
            "anonymise",
            "--source",
            demo_source_url,
            "--target",
            target,
            "--seed",
            "5",
            "--shift-to",
            "2024-03",
            "--k",
            "3",
            "--suppress",
            "--report",
            str(report_file),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "date shift: +45 month(s) (latest source month 2020-06)" in out
    doc = json.loads(report_file.read_text())
    assert doc["shift_months"] == 45 and doc["tables"]["tblInsuree"]["rows"] == 144
    k = doc["k_anonymity"]
    assert k["reference_date"] == "2024-03-31" and k["suppressed"]
    # independently: current insurees whose sex is now unknown = the suppressed ones
    ins = table_rows(target, "tblInsuree")
    src = table_rows(demo_source_url, "tblInsuree")
    current = ins[ins["ValidityTo"].isna()]
    assert (
        current["Gender"].isna().sum() - src[src["ValidityTo"].isna()]["Gender"].isna().sum()
        == k["insurees_suppressed"]
    )
    assert k["insurees_suppressed"] == k["insurees_in_cells_below_k"] > 0
    assert k["insurees_in_cells_below_k_after"] <= k["insurees_in_cells_below_k"]
    # the latest claim/policy month (2020-06 in the source) moved to 2024-03
    claims, policies = table_rows(target, "tblClaim"), table_rows(target, "tblPolicy")
    latest = max(
        max(claims["DateFrom"]), max(claims["DateTo"].dropna()), max(policies["EnrollDate"])
    )
    assert latest.strftime("%Y-%m") == "2024-03"
