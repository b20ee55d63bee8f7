"""A strict emulator of the DHIS2 2.41 Web API for tests (CONTRACT.md)."""
