"""Aggregate data (ADX / DHIS2 dataValueSets): model, periods, writers, readers; the DHIS2 Web API in `adx.dhis2`."""
