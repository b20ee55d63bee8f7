"""The client against the strict DHIS2 2.41 emulator: round trip, idempotency, stale values,
conflicts, transient faults, chunked/async/JSON pushes, dry run, auth, secrets, pre-flight."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest

from adx.dhis2 import preflight as pf
from adx.dhis2.client import DHIS2AuthError, DHIS2Client, PushError, PushOptions
from adx.dhis2.http import RetryPolicy
from adx.dhis2.sync import Scope, remove_stale
from adx.model import DataValue
from tests.dhis2_client.world import DEFINITIONS, ORG_UNITS, PERIODS, bundle, cube, expected, stored

FAST = RetryPolicy(attempts=4, backoff=0.01, max_delay=0.05, jitter=0.0, max_retry_after=0.05)


def make_client(emulator, sleeps=None, **kwargs):
    kwargs.setdefault("token", emulator.admin_token)
    return DHIS2Client(
        emulator.url, retries=kwargs.pop("retries", FAST),
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kwargs,
    )  # fmt: skip


@pytest.fixture
def dhis2(dhis2_emulator):
    """Emulator bootstrapped through the client (metadata + option combo maintenance)."""
    client = make_client(dhis2_emulator)
    report = client.post_metadata(bundle())
    assert report.ok(), report.summary()
    return dhis2_emulator, client


def written(emulator, result) -> int:
    """Values a first push stored: ``imported`` (2.39-2.42), ``updated`` (2.43 counts every upsert so)."""
    return result.updated if emulator.profile.pipeline == "entry" else result.imported


def same_values(a: list[dict], b: list[dict]) -> bool:
    """Equal apart from ``lastUpdated`` (2.43 rewrites the row of an identical re-post)."""
    strip = lambda rows: [{k: v for k, v in r.items() if k != "lastUpdated"} for r in rows]  # noqa: E731
    return strip(a) == strip(b)


def posts(emulator):
    return emulator.requests.matching("POST", "/dataValueSets")


def test_bootstrap_round_trip(dhis2):
    emulator, client = dhis2
    assert client.system_info()["version"] == emulator.version
    maintenance = emulator.requests.matching("POST", "/maintenance/categoryOptionComboUpdate")
    # Never the instance-wide form: every call names the combo it regenerates (issue 9).
    assert maintenance and all(r.status == 200 and "/categoryCombo/" in r.path for r in maintenance)
    values = cube(text=True)
    result = client.push(values, data_sets=DEFINITIONS)
    assert result.ok(), result.summary()
    if emulator.profile.pipeline == "entry":  # 2.43 counts every written value as updated
        assert (result.imported, result.updated, result.ignored) == (0, len(values), 0)
    else:
        assert (result.imported, result.updated, result.ignored) == (len(values), 0, 0)
    assert stored(emulator) == expected(values)
    back = client.read_values("DS_T", PERIODS, ORG_UNITS, data_sets=DEFINITIONS)
    assert expected(back) == expected(values)
    assert len(back) == len(values)
    back_json = client.read_values("DS_T", PERIODS, ORG_UNITS, format="json")
    assert sorted(back_json, key=lambda v: v.key) == sorted(values, key=lambda v: v.key)


def test_metadata_validate_mode_and_errors(dhis2_emulator):
    client = make_client(dhis2_emulator)
    report = client.post_metadata(bundle(), import_mode="VALIDATE")
    assert report.ok(), report.summary()
    assert dhis2_emulator.store.objects["dataSets"] == {}  # nothing committed
    broken = bundle()
    del broken["dataElements"][0]["shortName"]
    report = client.post_metadata(broken)
    assert not report.ok() and report.http_status == 409
    assert report.errors and "shortName" in report.summary()
    assert dhis2_emulator.store.objects["dataSets"] == {}  # atomicMode=ALL


def test_repush_is_idempotent(dhis2):
    emulator, client = dhis2
    values = cube()
    client.push(values)
    before = emulator.data_values()
    again = client.push(values)
    # 2.39-2.42 count an identical re-post as ignored; 2.43's upsert counts every written row as updated.
    expected_counts = (
        (0, len(values), 0, 0) if emulator.profile.pipeline == "entry" else (0, 0, len(values), 0)
    )
    assert (again.imported, again.updated, again.ignored, again.deleted) == expected_counts
    assert again.ok()
    assert same_values(emulator.data_values(), before)


def test_corrected_cube_removes_stale_values(dhis2):
    emulator, client = dhis2
    client.push(cube())
    # The correction: OU_C disappears entirely, OU_A loses its T_AMOUNT in 202402, values change.
    corrected = [
        v for v in cube(org_units=("OU_A", "OU_B"), bump=1)
        if not (v.org_unit == "OU_A" and v.period == "202402" and v.data_element == "T_AMOUNT")
    ]  # fmt: skip
    result = client.push(corrected)
    changed = sum(v.data_element == "T_CASES" for v in corrected)  # bump changes only T_CASES
    if emulator.profile.pipeline == "entry":
        assert result.ok() and (result.updated, result.ignored) == (len(corrected), 0)
    else:
        assert result.ok() and (result.updated, result.ignored) == (
            changed,
            len(corrected) - changed,
        )
    assert len(stored(emulator)) == len(cube())  # the stale ones are still there
    sync = remove_stale(client, corrected, Scope.of("DS_T", ORG_UNITS, PERIODS))
    expected_stale = 5 * len(PERIODS) + 1  # OU_C's 5 values per period + OU_A's amount
    assert len(sync.stale) == expected_stale and sync.deleted == expected_stale and sync.ok()
    assert stored(emulator) == expected(corrected)
    # Running it again finds nothing.
    assert remove_stale(client, corrected, Scope.of("DS_T", ORG_UNITS, PERIODS)).stale == ()


def test_conflicts_are_reported_not_retried(dhis2):
    emulator, client = dhis2
    good = cube(org_units=("OU_A",), periods=("202401",))
    bad_ou = DataValue("DS_T", "202401", "OU_NOPE", "T_AMOUNT", "1")
    bad_de = DataValue("DS_T", "202401", "OU_A", "T_NOPE", "1")
    result = client.push([*good, bad_ou])
    assert len(posts(emulator)) == 1
    (conflict,) = result.conflicts
    if emulator.profile.pipeline == "entry":
        # 2.43: an unknown org unit fails decoding: the whole request is ERROR (E8107), nothing stored.
        assert result.http_statuses == (409,) and result.status == "ERROR" and not result.ok()
        assert conflict.error_code == "E8107" and conflict.indexes == (-1,)
        assert result.rejected_values == len(good) + 1 and not result.ok(tolerance=1)
        assert stored(emulator) == {}
        return
    assert result.http_statuses == (409,) and result.status == "WARNING" and not result.ok()
    assert conflict.error_code == "E7612" and conflict.objects == {"organisationUnit": "OU_NOPE"}
    assert result.ok(tolerance=1)
    emulator.requests.clear()
    result = client.push([bad_de])
    assert len(posts(emulator)) == 1
    if emulator.profile.adx_errors == "fatal":
        # 2.42: an ADX-level problem fails the whole request ("The import process failed: …").
        assert result.http_statuses == (409,) and result.status == "ERROR" and not result.ok()
        assert "T_NOPE" in result.description
    else:
        # ADX-level conflict under HTTP 200 SUCCESS (2.39-2.41)
        assert result.http_statuses == (200,) and result.status == "SUCCESS"
        assert not result.ok() and "T_NOPE" in result.conflicts[0].value
    assert stored(emulator) == expected(good)


def test_data_set_level_error_is_not_ok(dhis2):
    emulator, client = dhis2
    result = client.push([DataValue("DS_NOPE", "202401", "OU_A", "T_AMOUNT", "1")])
    assert result.status == "ERROR" and not result.ok(tolerance=100)
    assert len(posts(emulator)) == 1
    assert stored(emulator) == {}


@pytest.mark.parametrize(
    "inject",
    [
        lambda f: f.fail_next(2, 503, path="/dataValueSets"),
        lambda f: f.rate_limit_next(1, retry_after=3, path="/dataValueSets"),
        lambda f: f.drop_next(2, path="/dataValueSets"),
        lambda f: (
            f.fail_next(1, 502, path="/dataValueSets") or f.fail_next(1, 504, path="/dataValueSets")
        ),
    ],
    ids=["503x2", "429-retry-after", "dropped-connection", "502-then-504"],
)
def test_transient_faults_are_retried_without_loss_or_duplicates(dhis2, inject):
    emulator, _ = dhis2
    sleeps: list[float] = []
    client = make_client(
        emulator, sleeps, retries=RetryPolicy(attempts=4, backoff=0.01, jitter=0.0)
    )
    values = cube()
    inject(emulator.faults)
    result = client.push(values, PushOptions(chunk_groups=2))
    assert emulator.faults.pending() == 0
    assert result.ok(), result.summary()
    assert written(emulator, result) == len(
        values
    )  # faults were injected before processing: nothing lost
    assert stored(emulator) == expected(values)
    faulted = [r for r in posts(emulator) if r.fault]
    assert len(posts(emulator)) == len(result.chunks) + len(faulted)
    assert len(sleeps) == len(faulted)
    if "429" in str([r.fault for r in faulted]):
        assert sleeps == [3.0]  # Retry-After honoured (capped by max_retry_after=300)


def test_retries_exhausted_raise_with_partial_result(dhis2):
    emulator, client = dhis2
    values = cube()
    client.push(values[:5])  # first org unit-period group is stored
    emulator.faults.fail_next(10, 503, path="/dataValueSets")
    with pytest.raises(PushError, match="4 attempt") as info:
        client.push(values, PushOptions(chunk_groups=1))
    assert info.value.partial.chunks == ()
    assert len(posts(emulator)) == 1 + 4


def test_chunked_async_gzip_and_json_pushes_give_the_same_state(dhis2_emulator):
    values = cube(text=True)
    states = []
    variants = [
        {},
        {"chunk_groups": 1},
        {"max_bytes": 1500},
        {"async_import": True, "chunk_groups": 3, "poll_interval": 0.01},
        {"gzip": True},
        {"format": "json"},
    ]
    for kwargs in variants:
        dhis2_emulator.reset()
        client = make_client(dhis2_emulator)
        assert client.post_metadata(bundle()).ok()
        result = client.push(values, PushOptions(**kwargs), data_sets=DEFINITIONS)
        assert result.ok() and written(dhis2_emulator, result) == len(values), (
            kwargs,
            result.summary(),
        )
        states.append(stored(dhis2_emulator))
        if "chunk_groups" in kwargs:
            groups = len(ORG_UNITS) * len(PERIODS)
            assert len(result.chunks) == -(-groups // kwargs["chunk_groups"])
        if "max_bytes" in kwargs:
            assert len(result.chunks) > 1
            assert all(r.body_size <= 1500 for r in posts(dhis2_emulator))
        if kwargs.get("async_import"):
            assert all(c.job_id for c in result.chunks)
            assert dhis2_emulator.requests.matching(
                "GET", "/system/taskSummaries/DATAVALUE_IMPORT/"
            )
        if kwargs.get("gzip"):
            (req,) = posts(dhis2_emulator)
            assert req.body_size < len(req.body)
    assert all(s == expected(values) for s in states)


def test_failed_async_job_is_reported(dhis2):
    emulator, client = dhis2
    emulator.faults.fail_next_job()
    result = client.push(
        cube(), PushOptions(async_import=True, poll_interval=0.01, async_timeout=10)
    )
    assert result.status == "ERROR" and not result.ok()


def test_dry_run_stores_nothing(dhis2):
    emulator, client = dhis2
    values = cube()
    result = client.push(values, PushOptions(dry_run=True))
    assert result.dry_run and written(emulator, result) == len(values)
    assert stored(emulator, include_deleted=True) == {}
    assert "DRY RUN" in result.summary()
    client.push(values)
    sync = remove_stale(client, [], Scope.of("DS_T", ORG_UNITS, PERIODS), dry_run=True)
    assert len(sync.stale) == len(values)
    assert stored(emulator) == expected(values)


def test_auth_failures_are_clear(dhis2_emulator):
    anonymous = DHIS2Client(dhis2_emulator.url, retries=FAST)
    with pytest.raises(DHIS2AuthError, match="not authenticated.*login page"):
        anonymous.system_info()
    wrong = DHIS2Client(
        dhis2_emulator.url, username="admin", password="wrong-password", retries=FAST
    )
    with pytest.raises(DHIS2AuthError, match="authentication failed.*401"):
        wrong.push(cube())
    bad_token = DHIS2Client(dhis2_emulator.url, token="d2pat_" + "x" * 42, retries=FAST)
    with pytest.raises(DHIS2AuthError, match="401"):
        bad_token.get_data_sets(["DS_T"])
    assert len(dhis2_emulator.requests) == 3  # nothing retried
    assert dhis2_emulator.data_values() == []


def test_secrets_never_logged_or_raised(dhis2_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    password = "district"
    token = dhis2_emulator.admin_token
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    texts: list[str] = []
    for client in (
        make_client(dhis2_emulator, token=None, username="admin", password=password),
        DHIS2Client(f"http://admin:{password}@{dhis2_emulator.url[len('http://'):]}", retries=FAST,
                    sleep=lambda s: None),
        make_client(dhis2_emulator),
    ):  # fmt: skip
        texts.append(repr(client))
        dhis2_emulator.reset()
        client.post_metadata(bundle())
        dhis2_emulator.faults.fail_next(1, 503)
        dhis2_emulator.faults.drop_next(1)
        client.push(
            cube(org_units=("OU_A",)) + [DataValue("DS_T", "202401", "OU_X", "T_AMOUNT", "1")]
        )
        dhis2_emulator.faults.fail_next(10, 503)
        with pytest.raises(PushError) as info:
            client.push(cube())
        texts += [str(info.value), "".join(traceback.format_exception(info.value))]
    texts += [r.getMessage() for r in caplog.records]
    assert any("retry" in t for t in texts)
    for text in texts:
        assert token not in text and basic not in text and f":{password}@" not in text, text


def test_preflight_against_the_emulator_metadata(dhis2):
    emulator, client = dhis2
    values = cube()
    assert pf.preflight(values, client) == []
    bad = [
        DataValue("DS_T", "202401", "OU_A", "T_NOPE", "1"),
        DataValue("DS_T", "202401", "OU_A", "T_CASES", "1", (("SEX", "F"),)),
        DataValue("DS_T", "202401", "OU_Z", "T_AMOUNT", "1"),
        DataValue("DS_T", "2024Q1", "OU_A", "T_AMOUNT", "1"),
        DataValue("DS_T", "209912", "OU_A", "T_AMOUNT", "1"),
        DataValue("DS_T", "202312", "OU_A", "T_AMOUNT", "1e3"),
    ]
    problems = pf.preflight(values + bad, client)
    assert [(p.kind, p.value) for p in problems] == list(
        zip(
            [pf.DATA_ELEMENT_NOT_IN_DATA_SET, pf.CATEGORY_OPTIONS_INVALID, pf.ORG_UNIT_UNKNOWN,
             pf.PERIOD_WRONG_TYPE, pf.PERIOD_NOT_OPEN, pf.VALUE_TYPE],
            bad,
            strict=True,
        )
    )  # fmt: skip
    # Snapshot read from DHIS2 carries the option combo UIDs DHIS2 generated.
    snap = client.metadata_snapshot(["DS_T"], ["OU_A"])
    uid = snap.coc_uid(values[0])
    coc = emulator.store.objects["categoryOptionCombos"][uid]
    codes = {
        emulator.store.objects["categoryOptions"][o["id"]]["code"] for o in coc["categoryOptions"]
    }
    assert codes == {o for _, o in values[0].category_options}
    # DHIS2 rejects the first three, but stores the quarterly value in the monthly data set
    # (the period type is only checked with strictPeriods): only pre-flight catches that one.
    result = client.push(bad[:4])
    if emulator.profile.adx_errors == "conflicts":
        assert not result.ok() and result.rejected_values == 3
        assert stored(emulator) == {("2024Q1", "OU_A", "T_AMOUNT", frozenset()): "1"}
    else:  # 2.42 fatal ADX problems, 2.43 decoding errors: the whole request fails, counted in values
        assert not result.ok() and result.rejected_values == 4
        assert stored(emulator) == {}


def test_org_units_by_paging_loop(dhis2):
    _, client = dhis2
    paged = client.get_org_units([*ORG_UNITS, "OU_ROOT", "OU_MISSING"], page_size=2)
    unpaged = client.get_org_units([*ORG_UNITS, "OU_ROOT", "OU_MISSING"])
    assert (
        sorted(o["code"] for o in paged)
        == sorted(o["code"] for o in unpaged)
        == sorted([*ORG_UNITS, "OU_ROOT"])
    )


def test_org_unit_codes_the_in_filter_cannot_carry(dhis2_emulator):
    client = make_client(dhis2_emulator)
    b = bundle()
    b["organisationUnits"][1]["code"] = "OU,A[1]"  # a legal DHIS2 code
    assert client.post_metadata(b).ok()
    found = client.get_org_units(["OU,A[1]", "OU_B"])
    assert sorted(o["code"] for o in found) == ["OU,A[1]", "OU_B"]
