"""Issue 9: the defects a real DHIS2 2.39-2.43 exposes, on fixtures from dhis2-core and on every profile.

Fixtures under ``tests/fixtures/dhis2/<version>/`` name the dhis2-core path and tag they come from
(``_source``) and how the body was obtained (``_how``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adx.dhis2.import_summary import ImportResult, parse_import_summary
from adx.dhis2.jobs import job_id_of
from adx.dhis2.metadata_api import post_metadata, update_category_option_combos
from adx.dhis2.push import PushOptions
from adx.model import DataValue
from adx.periods import PeriodError, to_adx
from tests.dhis2_client.test_client_transport import client as scripted_client
from tests.dhis2_client.test_emulator import make_client
from tests.dhis2_client.world import DEFINITIONS, PERIODS, bundle, cube, stored

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dhis2"


def fixture(name: str) -> tuple[int, dict]:
    raw = json.loads((FIXTURES / name).read_text())
    assert raw["_source"].startswith("dhis2-core 2.4") and raw["_how"]
    return raw["_http_status"], raw["body"]


def result_of(name: str, values_sent: int = 0) -> ImportResult:
    http, body = fixture(name)
    return ImportResult((parse_import_summary(body, http_status=http, values_sent=values_sent),))


# ---- parsers on DHIS2's own bodies -----------------------------------------------------------------
def test_merged_adx_conflict_counts_every_ignored_value():
    """500 values under ONE merged conflict without indexes are 500 rejected values, not 1."""
    result = result_of("2.41/adx_merged_conflicts.json", values_sent=512)
    assert len(result.conflicts) == 1 and result.conflicts[0].indexes == ()
    assert result.status == "SUCCESS" and result.http_statuses == (200,)
    assert result.rejected_values == 500
    assert not result.ok(tolerance=10) and result.ok(tolerance=500)


def test_one_value_under_two_e7641_conflicts_is_one_rejected_value():
    result = result_of("2.41/e7641_one_value_two_data_sets.json", values_sent=2)
    assert len(result.conflicts) == 2
    assert result.rejected_values == 1 and result.ok(tolerance=1) and not result.ok()


def test_242_fatal_adx_problem_rejects_every_value_sent():
    result = result_of("2.42/adx_fatal.json", values_sent=40)
    assert result.status == "ERROR" and result.conflicts == ()
    assert "OI_NOPE" in (result.description or "")
    assert result.rejected_values == 40 and not result.ok(tolerance=1000)


def test_243_decoding_error_has_index_minus_one_and_rejects_everything():
    result = result_of("2.43/e8103_unknown_code.json", values_sent=40)
    (conflict,) = result.conflicts
    assert conflict.error_code == "E8103" and conflict.indexes == (-1,)
    assert result.rejected_values == 40


def test_243_rejected_group_counts_its_values():
    result = result_of("2.43/group_rejected_e8030.json", values_sent=5)
    assert result.updated == 3 and result.rejected_values == 2


def test_async_start_and_maintenance_bodies():
    _, body = fixture("2.41/async_started.json")
    assert job_id_of(body) == "JobUid00001"
    http, body = fixture("2.43/maintenance_per_combo.json")
    assert (http, body["message"]) == (200, "Import was successful.")


# ---- through the emulator, every profile ---------------------------------------------------------
@pytest.fixture
def dhis2(dhis2_emulator):
    client = make_client(dhis2_emulator)
    assert client.post_metadata(bundle()).ok()
    return dhis2_emulator, client


def test_many_values_with_one_unknown_code_fail_a_tolerance_in_values(dhis2):
    emulator, client = dhis2
    good = cube(org_units=("OU_A",), periods=("202401",))
    bad = [DataValue("DS_T", p, o, "T_NOPE", str(i)) for i, (p, o) in enumerate(
        [(p, o) for p in PERIODS for o in ("OU_A", "OU_B", "OU_C")] * 4)]  # fmt: skip
    result = client.push([*good, *bad])
    assert not result.ok(tolerance=10)
    if emulator.profile.adx_errors == "conflicts":
        assert result.rejected_values == len(bad), result.summary()
        # one merged conflict without indexes (2.39-2.41), the good values are stored
        assert len(result.conflicts) == 1 and result.conflicts[0].indexes == ()
        assert len(stored(emulator)) == len(good)
    else:  # 2.42 fatal ADX problem, 2.43 decoding error: the whole request is rejected
        assert result.rejected_values == len(good) + len(bad), result.summary()
        assert result.status == "ERROR" and stored(emulator) == {}


def test_metadata_never_calls_the_instance_wide_option_combo_maintenance(dhis2_emulator):
    client = make_client(dhis2_emulator)
    full = bundle()
    without_combos = {k: v for k, v in full.items() if k != "categoryCombos"}
    without_combos["organisationUnits"] = []
    assert client.post_metadata(full).ok()
    assert client.post_metadata(without_combos).ok()
    assert client.post_metadata(full).ok()
    calls = dhis2_emulator.requests.matching("POST", "/maintenance/")
    assert calls and all("/categoryOptionComboUpdate/categoryCombo/" in r.path for r in calls)
    combos = {c["id"] for c in full["categoryCombos"]}
    assert {r.path.rsplit("/", 1)[-1] for r in calls} <= combos
    with pytest.raises(ValueError, match="instance-wide"):
        update_category_option_combos(client, None)  # type: ignore[arg-type]


def test_option_combo_warning_after_commit_is_reported_not_raised():
    warning = {"httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
               "message": "One more conflicts encountered, please check import summary.",
               "response": {"responseType": "ImportSummaries", "status": "WARNING"}}  # fmt: skip
    report = {"httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
              "response": {"responseType": "ImportReport", "status": "OK",
                           "stats": {"created": 1, "updated": 0, "deleted": 0, "ignored": 0, "total": 1},
                           "typeReports": [{"klass": "org.hisp.dhis.category.CategoryCombo",
                                            "stats": {"created": 1, "updated": 0, "deleted": 0, "ignored": 0,
                                                      "total": 1}, "objectReports": []}]}}  # fmt: skip
    c, requests_seen, _ = scripted_client([(200, report), (409, warning)])
    result = post_metadata(c, {"categoryCombos": [{"id": "CcSexAge001"}]})
    assert result.ok() and len(result.option_combo_warnings) == 1
    assert "CcSexAge001" in result.option_combo_warnings[0]


def test_json_read_back_by_code_on_every_profile(dhis2):
    emulator, client = dhis2
    values = cube()
    assert client.push(values, data_sets=DEFINITIONS).ok()
    back = client.read_values("DS_T", PERIODS, ["OU_A", "OU_B", "OU_C"], format="json")
    assert sorted(back, key=lambda v: v.key) == sorted(values, key=lambda v: v.key)
    gets = [r for r in emulator.requests.matching("GET", "/dataValueSets")]
    assert gets and all(r.query.get("inputIdScheme") == ["CODE"] for r in gets)


def test_async_push_waits_for_the_summary_stored_after_completion(dhis2):
    emulator, client = dhis2
    emulator.jobs.summary_lag = 0.6  # completed, summary only 0.6 s later
    result = client.push(
        cube(), PushOptions(async_import=True, poll_interval=0.05), data_sets=DEFINITIONS
    )
    assert result.ok(), result.summary()
    assert len(stored(emulator)) == len(cube())


def test_quarterly_nov_is_refused_for_adx():
    with pytest.raises(PeriodError, match="2024NovQ1.*2023Q4"):
        to_adx("2024NovQ1")
    assert to_adx("2024NovS1") == "2023-11-01/P6M"  # six-monthly November is carried correctly
