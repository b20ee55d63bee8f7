"""Tests of the DHIS2 client, import summaries, pre-flight validation and stale-value removal."""
