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
