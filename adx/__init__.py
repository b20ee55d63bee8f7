"""Aggregate data (ADX / DHIS2 dataValueSets): model, periods, writers, readers, DHIS2 client."""
