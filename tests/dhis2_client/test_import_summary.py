"""ImportSummary / ImportReport parsing, on the captured and source-constructed bodies of
CONTRACT.md §3.2-§3.3 and §4 (copied verbatim, not produced by the code under test)."""

from __future__ import annotations

import pytest

from adx.dhis2.import_summary import (
    ImportResult,
    ImportSummaryError,
    combine,
    parse_import_summary,
    parse_metadata_report,
)

SUCCESS = {
    "httpStatus": "OK",
    "httpStatusCode": 200,
    "status": "OK",
    "message": "Import was successful.",
    "response": {
        "responseType": "ImportSummary",
        "status": "SUCCESS",
        "importOptions": {"idSchemes": {}, "dryRun": True, "async": False},
        "description": "Import process completed successfully",
        "importCount": {"imported": 1, "updated": 0, "ignored": 0, "deleted": 0},
        "conflicts": [],
        "rejectedIndexes": [],
        "dataSetComplete": "false",
    },
}

WARNING_409 = {
    "httpStatus": "Conflict",
    "httpStatusCode": 409,
    "status": "WARNING",
    "message": "One more conflicts encountered, please check import summary.",
    "response": {
        "responseType": "ImportSummary",
        "status": "WARNING",
        "description": "Import process completed successfully",
        "importCount": {"imported": 1, "updated": 0, "ignored": 2, "deleted": 0},
        "conflicts": [
            {
                "object": "INVALID_1",
                "objects": {"dataElement": "INVALID_1"},
                "value": "Data element not found or not accessible: `INVALID_1`",
                "errorCode": "E7610",
                "property": "dataElement",
                "indexes": [1],
            },
            {
                "object": "INVALID_2",
                "objects": {"dataElement": "INVALID_2"},
                "value": "Data element not found or not accessible: `INVALID_2`",
                "errorCode": "E7610",
                "property": "dataElement",
                "indexes": [2],
            },
        ],
        "rejectedIndexes": [1, 2],
        "dataSetComplete": "false",
    },
}

ERROR_409 = {
    "httpStatus": "Conflict",
    "httpStatusCode": 409,
    "status": "ERROR",
    "message": "An error occurred, please check import summary.",
    "response": {
        "responseType": "ImportSummary",
        "status": "ERROR",
        "description": "Import process was aborted",
        "importCount": {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0},
        "conflicts": [
            {
                "object": "NOPE",
                "objects": {"dataSet": "NOPE"},
                "value": "Data set not found or not accessible: `NOPE`",
                "errorCode": "E7600",
                "property": "dataSet",
            }
        ],
        "rejectedIndexes": [],
    },
}

ADX_CONFLICT_200 = {
    "httpStatus": "OK",
    "httpStatusCode": 200,
    "status": "OK",
    "message": "Import was successful.",
    "response": {
        "responseType": "ImportSummary",
        "status": "SUCCESS",
        "description": "Import process completed successfully",
        "importCount": {"imported": 3, "updated": 0, "ignored": 1, "deleted": 0},
        "conflicts": [{"object": "ADX Error", "value": "No data element matching code 'DE_X'"}],
    },
}

BARE_TASK_SUMMARY = {
    "responseType": "ImportSummary",
    "status": "SUCCESS",
    "description": "Import process completed successfully",
    "importCount": {"imported": 0, "updated": 4, "ignored": 5, "deleted": 1},
    "conflicts": [],
}


def test_success_envelope():
    s = parse_import_summary(SUCCESS, http_status=200, values_sent=1)
    assert (s.status, s.http_status, s.conflicts) == ("SUCCESS", 200, ())
    assert (s.counts.imported, s.counts.updated, s.counts.ignored, s.counts.deleted) == (1, 0, 0, 0)
    result = ImportResult((s,))
    assert result.ok()
    assert result.summary().startswith("SUCCESS: 1 imported, 0 updated, 0 ignored, 0 deleted")


def test_warning_409_lists_every_conflict_with_its_fields():
    s = parse_import_summary(WARNING_409, http_status=409, chunk=3)
    assert s.status == "WARNING"
    assert [c.object for c in s.conflicts] == ["INVALID_1", "INVALID_2"]
    first = s.conflicts[0]
    assert first.error_code == "E7610"
    assert first.property == "dataElement"
    assert dict(first.objects) == {"dataElement": "INVALID_1"}
    assert first.indexes == (1,)
    assert first.chunk == 3
    assert s.rejected_indexes == (1, 2)
    result = ImportResult((s,))
    assert not result.ok()
    assert result.ok(tolerance=2)
    assert "E7610 Data element not found" in result.summary()
    assert "chunk 3" in result.summary()


def test_error_409_is_never_ok_whatever_the_tolerance():
    s = parse_import_summary(ERROR_409, http_status=409)
    result = ImportResult((s,))
    assert result.status == "ERROR"
    assert not result.ok(tolerance=1000)
    assert result.description == "Import process was aborted"
    assert result.conflicts[0].objects == {"dataSet": "NOPE"}


def test_adx_conflicts_under_200_success_are_a_problem():
    s = parse_import_summary(ADX_CONFLICT_200, http_status=200)
    result = ImportResult((s,))
    assert result.status == "SUCCESS"  # what DHIS2 said ...
    assert not result.ok()  # ... but a value was rejected
    assert result.conflicts[0].object == "ADX Error"
    assert result.conflicts[0].error_code is None
    assert result.rejected_values == 1


def test_bare_summary_from_task_summaries_and_api_37():
    s = parse_import_summary(BARE_TASK_SUMMARY, http_status=200, job_id="job1")
    assert (s.counts.updated, s.counts.ignored, s.counts.deleted) == (4, 5, 1)
    assert s.job_id == "job1"


def test_counts_and_conflicts_aggregate_over_chunks():
    chunks = (
        parse_import_summary(SUCCESS, http_status=200, chunk=0, values_sent=1),
        parse_import_summary(WARNING_409, http_status=409, chunk=1, values_sent=3),
        parse_import_summary(BARE_TASK_SUMMARY, http_status=200, chunk=2, values_sent=10),
    )
    result = ImportResult(chunks)
    # 1+1+0 imported, 0+0+4 updated, 0+2+5 ignored, 0+0+1 deleted (hand-summed from the bodies)
    assert (result.imported, result.updated, result.ignored, result.deleted) == (2, 4, 7, 1)
    assert result.values_sent == 14
    assert result.http_statuses == (200, 409, 200)
    assert result.status == "WARNING"
    assert [c.chunk for c in result.conflicts] == [1, 1]


def test_not_a_summary_raises_with_dhis2_message():
    with pytest.raises(ImportSummaryError, match="At least one data element"):
        parse_import_summary(
            {
                "httpStatus": "Conflict",
                "httpStatusCode": 409,
                "status": "ERROR",
                "message": "At least one data element, data set or data element group must be specified",
                "errorCode": "E2001",
            }
        )
    with pytest.raises(ImportSummaryError):
        parse_import_summary([1, 2])


def test_metadata_import_report_errors():
    body = {
        "httpStatus": "Conflict",
        "httpStatusCode": 409,
        "status": "WARNING",
        "message": "One or more errors occurred, please see full details in import report.",
        "response": {
            "responseType": "ImportReport",
            "status": "ERROR",
            "stats": {"created": 0, "updated": 0, "deleted": 0, "ignored": 3, "total": 3},
            "typeReports": [
                {
                    "klass": "org.hisp.dhis.dataelement.DataElement",
                    "stats": {"created": 0, "updated": 0, "deleted": 0, "ignored": 1, "total": 1},
                    "objectReports": [
                        {
                            "klass": "org.hisp.dhis.dataelement.DataElement",
                            "index": 0,
                            "uid": "DeMalCase01",
                            "errorReports": [
                                {
                                    "message": "Missing required property `shortName`.",
                                    "mainKlass": "org.hisp.dhis.dataelement.DataElement",
                                    "errorCode": "E4000",
                                    "errorProperty": "shortName",
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    }
    r = parse_metadata_report(body, http_status=409)
    assert not r.ok()
    assert r.status == "ERROR"
    assert r.stats["ignored"] == 3
    assert r.errors[0].error_code == "E4000"
    assert r.errors[0].uid == "DeMalCase01"
    assert "DataElement DeMalCase01: Missing required property `shortName`." in r.summary()
    ok = parse_metadata_report(
        {"status": "OK", "response": {"responseType": "ImportReport", "status": "OK",
                                      "stats": {"created": 5}, "typeReports": []}},
        http_status=200,
    )  # fmt: skip
    assert ok.ok() and ok.stats["created"] == 5


def test_combine_keeps_every_chunk_of_several_pushes():
    a = ImportResult((parse_import_summary(SUCCESS, http_status=200, values_sent=1),))
    b = ImportResult((parse_import_summary(WARNING_409, http_status=409, chunk=0, values_sent=3),))
    both = combine([a, b])
    assert both.http_statuses == (200, 409)
    assert (both.imported, both.ignored, both.values_sent) == (2, 2, 4)
    assert not both.ok() and combine([]).ok() and combine([]).chunks == ()


# ---- exact texts and edge cases (what an operator reads; expectations written by hand) ----------
from adx.dhis2.import_summary import ChunkSummary, Conflict, ImportCount, MetadataError  # noqa: E402


def test_conflict_text_names_code_object_property_chunk_and_at_most_five_indexes():
    full = Conflict("Data element not found", "DE1", error_code="E7610", property="dataElement",
                    indexes=(0, 1, 2, 3, 4, 5), chunk=2)  # fmt: skip
    assert str(full) == (
        "E7610 Data element not found (object 'DE1' [property dataElement], chunk 2"
        " at value index 0, 1, 2, 3, 4 (+1 more))"
    )
    five = Conflict("bad", "DE2", indexes=(7, 8, 9, 10, 11))
    assert str(five) == "bad (object 'DE2', chunk 0 at value index 7, 8, 9, 10, 11)"
    seven = Conflict("bad", "DE3", indexes=tuple(range(7)))
    assert str(seven).endswith("at value index 0, 1, 2, 3, 4 (+2 more))")
    adx = Conflict("No data element matching code 'DE_X'", "ADX Error")
    assert str(adx) == "No data element matching code 'DE_X' (object 'ADX Error', chunk 0)"


def test_non_object_body_error_shows_at_most_300_characters_of_it():
    with pytest.raises(ImportSummaryError) as fits:
        parse_import_summary("a" * 298)  # repr: 300 characters, shown whole
    assert str(fits.value) == "expected a JSON object, got '" + "a" * 298 + "'"
    with pytest.raises(ImportSummaryError) as cut:
        parse_import_summary("a" * 299)  # repr: 301 characters, cut to 300 + "..."
    assert str(cut.value) == "expected a JSON object, got '" + "a" * 299 + "..."
    with pytest.raises(ImportSummaryError) as meta:
        parse_metadata_report(["x"])
    assert str(meta.value) == "expected a JSON object, got ['x']"


@pytest.mark.parametrize(
    "body, counts, status",
    [
        # wrapped, typed but without importCount (an empty import)
        ({"status": "OK", "response": {"responseType": "ImportSummary", "status": "SUCCESS"}},
         (0, 0, 0, 0), "SUCCESS"),
        # wrapped, untyped but with importCount
        ({"status": "WARNING", "response": {"status": "warning", "importCount": {"imported": 2}}},
         (2, 0, 0, 0), "WARNING"),
        # bare, typed without importCount
        ({"responseType": "ImportSummary", "status": "ERROR"}, (0, 0, 0, 0), "ERROR"),
        # bare, untyped with importCount (as /api/37/ and taskSummaries return it)
        ({"status": "SUCCESS", "importCount": {"deleted": 3, "ignored": "1"}}, (0, 0, 1, 3), "SUCCESS"),
    ],
)  # fmt: skip
def test_summary_recognised_by_its_type_or_by_its_import_count(body, counts, status):
    s = parse_import_summary(body)
    c = s.counts
    assert ((c.imported, c.updated, c.ignored, c.deleted), s.status) == (counts, status)
    # defaults when the caller passes nothing
    assert (s.chunk, s.values_sent, s.groups_sent, s.bytes_sent, s.job_id) == (0, 0, 0, 0, None)


def test_request_sizes_are_kept_on_the_chunk():
    s = parse_import_summary(SUCCESS, chunk=4, values_sent=9, groups_sent=2, bytes_sent=512)
    assert (s.chunk, s.values_sent, s.groups_sent, s.bytes_sent) == (4, 9, 2, 512)


@pytest.mark.parametrize(
    "body, says",
    [
        ({"status": "OK", "message": "Job queued", "response": {"responseType": "JobConfiguration"}},
         " (DHIS2 says: Job queued)"),
        ({"status": "ERROR", "description": "No access"}, " (DHIS2 says: No access)"),
        ({"status": "ERROR"}, ""),
    ],
)  # fmt: skip
def test_not_a_summary_error_quotes_dhis2_and_the_body(body, says):
    with pytest.raises(ImportSummaryError) as e:
        parse_import_summary(body)
    assert str(e.value) == f"response is not an ImportSummary{says}: {body!r}"


def test_malformed_counts_status_and_conflicts_are_named():
    with pytest.raises(ImportSummaryError) as e:
        parse_import_summary({"status": "SUCCESS", "importCount": {"imported": "many"}})
    assert str(e.value) == "importCount.imported is not an integer: 'many'"
    bare = {"importCount": {}}
    with pytest.raises(ImportSummaryError) as e:
        parse_import_summary(bare)
    assert str(e.value) == "unknown ImportSummary status '': {'importCount': {}}"
    with pytest.raises(ImportSummaryError) as e:
        parse_import_summary({"status": "WARNING", "importCount": {}, "conflicts": ["oops"]})
    assert str(e.value) == "conflict is not an object: 'oops'"


def test_conflict_message_falls_back_and_missing_object_stays_none():
    s = parse_import_summary(
        {"status": "WARNING", "importCount": {"ignored": 2},
         "conflicts": [{"message": "Period not open"}, {"object": 12}]}
    )  # fmt: skip
    first, second = s.conflicts
    assert (first.value, first.object) == ("Period not open", None)
    assert (second.value, second.object) == ("", "12")


def _chunk(n, status, description=None, conflicts=(), **counts):
    return ChunkSummary(n, status, ImportCount(**counts), tuple(conflicts), description)


def test_result_summary_text_dry_run_and_first_failed_chunk():
    dry = ImportResult((_chunk(0, "SUCCESS", imported=2),), dry_run=True)
    assert dry.summary() == (
        "DRY RUN SUCCESS: 2 imported, 0 updated, 0 ignored, 0 deleted (0 values sent in 1 request(s))"
    )
    failed = ImportResult((_chunk(0, "SUCCESS", updated=1), _chunk(1, "ERROR", "locked period"),
                           _chunk(2, "ERROR", "timeout")))  # fmt: skip
    assert failed.summary() == (
        "ERROR: 0 imported, 1 updated, 0 ignored, 0 deleted (0 values sent in 3 request(s));"
        " chunk 1 failed: locked period"
    )
    assert str(failed) == failed.summary()


def test_result_summary_lists_five_conflicts_then_counts_the_rest():
    five = [Conflict(f"bad {i}", f"DE{i}", indexes=(i,)) for i in range(5)]
    r5 = ImportResult((_chunk(0, "WARNING", conflicts=five, ignored=5),))
    assert r5.summary().splitlines() == [
        "WARNING: 0 imported, 0 updated, 5 ignored, 0 deleted (0 values sent in 1 request(s));"
        " 5 conflict(s) affecting 5 value(s):",
        "  - bad 0 (object 'DE0', chunk 0 at value index 0)",
        "  - bad 1 (object 'DE1', chunk 0 at value index 1)",
        "  - bad 2 (object 'DE2', chunk 0 at value index 2)",
        "  - bad 3 (object 'DE3', chunk 0 at value index 3)",
        "  - bad 4 (object 'DE4', chunk 0 at value index 4)",
    ]
    seven = five + [Conflict("bad 5", "DE5", indexes=(5,)), Conflict("bad 6", "DE6", indexes=(6,))]
    r7 = ImportResult((_chunk(0, "WARNING", conflicts=seven, ignored=7),))
    lines = r7.summary().splitlines()
    assert len(lines) == 7 and lines[-1] == "  ... and 2 more"
    assert r7.summary(max_conflicts=1).splitlines()[1:] == [
        "  - bad 0 (object 'DE0', chunk 0 at value index 0)",
        "  ... and 6 more",
    ]


def test_combine_keeps_dry_run_if_any_part_was_one_and_the_strategy():
    a = ImportResult((_chunk(0, "SUCCESS", deleted=1),), dry_run=True, import_strategy="DELETE")
    b = ImportResult((_chunk(0, "SUCCESS", deleted=2),), dry_run=False, import_strategy="DELETE")
    both = combine([a, b])
    assert (both.dry_run, both.import_strategy, both.deleted) == (True, "DELETE", 3)
    assert combine([b, b]).dry_run is False


@pytest.mark.parametrize(
    "error, text",
    [
        (MetadataError("org.hisp.dhis.dataelement.DataElement", "Missing `name`.", "E4000", "name",
                       "DeMalCase01", 3), "E4000 DataElement DeMalCase01: Missing `name`. (property name)"),
        (MetadataError("org.hisp.dhis.category.Category", "Duplicate code.", index=0),
         "Category #0: Duplicate code."),
        (MetadataError(None, "Unknown object."), "object: Unknown object."),
        (MetadataError("", "Unknown object.", uid="abc"), "object abc: Unknown object."),
    ],
)  # fmt: skip
def test_metadata_error_text(error, text):
    assert str(error) == text


METADATA_TWO_TYPES = {
    "status": "ERROR",
    "response": {
        "status": "ERROR",
        "stats": {"created": 1, "ignored": 7},
        "typeReports": [
            {
                "klass": "org.hisp.dhis.option.OptionSet",
                "stats": {"created": 1},
                "objectReports": [
                    # the error's own class wins over the object's, the object's over the type's
                    {"klass": "org.hisp.dhis.option.Option", "index": 0,
                     "errorReports": [{"mainKlass": "org.hisp.dhis.option.OptionSet",
                                       "message": "a"}]},
                    {"klass": "org.hisp.dhis.option.Option", "index": 1,
                     "errorReports": [{"message": "b", "errorProperty": "code"}]},
                    {"uid": "Opt3", "errorReports": [{}]},
                ],
            },
            {
                "klass": "DataElement",  # a class without a package
                "stats": {"ignored": 4},
                "objectReports": [{"index": n, "errorReports": [{"message": f"e{n}"}]}
                                  for n in range(4)],
            },
        ],
    },
}  # fmt: skip


def test_metadata_report_errors_classes_and_summary():
    r = parse_metadata_report(METADATA_TWO_TYPES)
    assert [(e.klass, e.message, e.property, e.uid, e.index) for e in r.errors] == [
        ("org.hisp.dhis.option.OptionSet", "a", None, None, 0),
        ("org.hisp.dhis.option.Option", "b", "code", None, 1),
        ("org.hisp.dhis.option.OptionSet", "", None, "Opt3", None),
        ("DataElement", "e0", None, None, 0),
        ("DataElement", "e1", None, None, 1),
        ("DataElement", "e2", None, None, 2),
        ("DataElement", "e3", None, None, 3),
    ]
    assert dict(r.type_stats) == {"OptionSet": {"created": 1}, "DataElement": {"ignored": 4}}
    assert r.import_mode == "COMMIT" and not r.ok()
    assert r.summary().splitlines() == [
        "metadata COMMIT ERROR: 1 created, 0 updated, 0 deleted, 7 ignored; 7 error(s):",
        "  - OptionSet #0: a",
        "  - Option #1: b (property code)",
        "  - OptionSet Opt3: ",
        "  - DataElement #0: e0",
        "  - DataElement #1: e1",
        "  ... and 2 more",
    ]
    assert str(r) == r.summary()
    five = parse_metadata_report({"status": "ERROR", "typeReports": [METADATA_TWO_TYPES["response"]["typeReports"][1]]})  # fmt: skip
    assert five.summary(max_errors=4).splitlines()[-1] == "  - DataElement #3: e3"


def test_metadata_report_shapes_and_ok():
    bare = parse_metadata_report(
        {"status": "ok", "stats": {"updated": "2"}}, import_mode="VALIDATE"
    )
    assert (bare.status, dict(bare.stats), bare.ok()) == ("OK", {"updated": 2}, True)
    assert bare.summary() == "metadata VALIDATE OK: 0 created, 2 updated, 0 deleted, 0 ignored"
    only_types = parse_metadata_report({"response": {"status": "OK", "typeReports": []}})
    assert only_types.ok() and dict(only_types.stats) == {}
    not_a_report = {"status": "ERROR", "message": "Unauthorized", "response": "no"}
    with pytest.raises(ImportSummaryError) as e:
        parse_metadata_report(not_a_report)
    assert str(e.value) == (
        f"response is not a metadata ImportReport (DHIS2 says: Unauthorized): {not_a_report!r}"
    )
    with pytest.raises(ImportSummaryError) as e:
        parse_metadata_report({"status": "ERROR"})
    assert str(e.value) == "response is not a metadata ImportReport: {'status': 'ERROR'}"
    ok_with_errors = parse_metadata_report(
        {"status": "OK", "typeReports": [{"objectReports": [{"errorReports": [{"message": "x"}]}]}]}
    )
    assert ok_with_errors.status == "OK" and not ok_with_errors.ok()


def test_metadata_status_falls_back_to_the_envelope_and_keeps_http_status():
    r = parse_metadata_report(
        {"status": "warning", "response": {"stats": {"deleted": 2, "updated": 1}}}, http_status=409
    )
    assert (r.status, r.http_status) == ("WARNING", 409)
    assert r.summary() == "metadata COMMIT WARNING: 0 created, 1 updated, 2 deleted, 0 ignored"
    no_status = parse_metadata_report({"stats": {}})
    assert no_status.status == "" and not no_status.ok() and no_status.http_status is None
