"""``openimis-dhis2 generate``: exit codes, messages, progress on stderr, summary on stdout."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from tests.synthetic.helpers import scalar


def test_generate_small_sqlite(tmp_path, capsys):
    db = tmp_path / "demo.db"
    assert (
        main(
            [
                "generate",
                "--db",
                f"sqlite:///{db}",
                "--insurees",
                "150",
                "--seed",
                "9",
                "--months",
                "6",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "generated" in out and "tblClaim" in out and "202301..202306" in out
    assert "generating" in err and "rows" in err  # progress goes to stderr
    assert (
        scalar(f"sqlite:///{db}", 'SELECT count(*) FROM "tblInsuree" WHERE "LegacyID" IS NULL')
        == 150
    )


def test_generate_into_existing_postgresql(openimis_pg_url, capsys):
    assert main(["generate", "--db", openimis_pg_url, "--into-existing", "--insurees", "100"]) == 0
    assert "into_existing" in capsys.readouterr().out
    assert (
        scalar(openimis_pg_url, 'SELECT count(*) FROM "tblInsuree" WHERE "LegacyID" IS NULL') == 100
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--months", "0"], "months must be"),
        (["--start", "2023-13"], "start must be YYYY-MM"),
        (["--start", "2023-1"], "start must be YYYY-MM"),
        (["--insurees", "5"], "insurees must be"),
    ],
)
def test_bad_values_exit_1_with_one_line(tmp_path, capsys, extra, message):
    assert main(["generate", "--db", f"sqlite:///{tmp_path / 'x.db'}", *extra]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("openimis-dhis2 generate: error:") and message in err


def test_non_empty_target_and_bad_urls(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'y.db'}"
    assert main(["generate", "--db", url, "--insurees", "50"]) == 0
    capsys.readouterr()
    assert main(["generate", "--db", url, "--insurees", "50"]) == 1
    assert "already holds openIMIS tables" in capsys.readouterr().err
    assert main(["generate", "--db", "nosuchdb://x"]) == 1
    assert "unsupported database" in capsys.readouterr().err
    assert main(["generate", "--db", "postgresql://alice:s3cr3t-pw@127.0.0.1:1/none"]) == 1
    err = capsys.readouterr().err
    assert "cannot write to the database" in err and "s3cr3t-pw" not in err and "***" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["generate"],  # --db is required
        ["generate", "--db", "sqlite://", "--preset", "huge"],
        ["generate", "--db", "sqlite://", "--months", "many"],
        ["generate", "--db", "sqlite://", "--create-schema", "--into-existing"],
    ],
)
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--preset",
        "--insurees",
        "--seed",
        "--start",
        "--months",
        "--create-schema",
        "--into-existing",
    ):
        assert flag in out


def test_generate_with_a_country_profile(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'np.db'}"
    assert main(["generate", "--db", url, "--insurees", "120", "--country", "np"]) == 0
    assert "country NP" in capsys.readouterr().out
    devanagari = scalar(
        url,
        """SELECT count(*) FROM "tblInsuree" WHERE "LastName" GLOB '*[अ-ह]*'""",
    )
    assert devanagari > 60


def test_generate_unknown_country_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--country", "XX"])
    assert exc.value.code == 2
    assert "unknown country profile 'XX'" in capsys.readouterr().err
