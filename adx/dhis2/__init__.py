"""The DHIS2 Web API for aggregate data: client, import summaries, pre-flight, stale values, metadata, UIDs."""
