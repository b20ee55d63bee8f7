"""The org unit mapping file (``load_mapping``): accepted shapes and every refusal, with the
expected dictionaries and messages written by hand from the CSV text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aggregations.config import ConfigError
from aggregations.orgunits import load_mapping


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "mapping.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_kinds_blanks_and_a_byte_order_mark(tmp_path):
    path = write(
        tmp_path,
        "openimis_code,dhis2_id,kind\r\nR1,ouR1,location\r\nHF1,ouHF1,facility\r\n"
        " X , ouX ,\r\nY,ouY, \r\nHF1,ouHF1,facility\r\n",
        "utf-8-sig",  # Excel's CSV: a BOM before the header
    )
    assert load_mapping(path) == {
        ("location", "R1"): "ouR1",
        ("facility", "HF1"): "ouHF1",
        ("*", "X"): "ouX",
        ("*", "Y"): "ouY",
    }


def test_two_columns_without_kind_apply_to_both_sides(tmp_path):
    path = write(tmp_path, "openimis_code,dhis2_id\nR1,ouR1\n")
    assert load_mapping(path) == {("*", "R1"): "ouR1"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("code,id\nR1,ouR1\n", "header must have openimis_code,dhis2_id[,kind], got ['code', 'id']"),
        ("openimis_code,dhis2_id,kind\nR1,ouR1,\nR2,ouR2,region\n",
         "line 3: kind must be location or facility, got 'region'"),
        ("openimis_code,dhis2_id\nR1,ouR1\nR2,\n", "line 3: empty openimis_code or dhis2_id"),
        ("openimis_code,dhis2_id\n,ouR1\n", "line 2: empty openimis_code or dhis2_id"),
        ("openimis_code,dhis2_id\nR9\n", "line 2: empty openimis_code or dhis2_id"),
        ("openimis_code,dhis2_id,kind\nR1,ouR1,location\nR1,ouR2,location\n",
         "line 3: 'R1' is mapped twice"),
    ],
)  # fmt: skip
def test_refusals_name_the_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    sep = ": " if message.startswith("header") else " "
    with pytest.raises(
        ConfigError, match=rf"^mapping_file {re.escape(str(path))}{sep}{re.escape(message)}$"
    ):
        load_mapping(path)


def test_missing_file_names_it_and_the_reason(tmp_path):
    path = tmp_path / "absent.csv"
    with pytest.raises(ConfigError) as e:
        load_mapping(path)
    assert str(e.value) == f"mapping_file: cannot read {path}: No such file or directory"
