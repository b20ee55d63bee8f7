"""Pytest fixtures that start the DHIS2 emulator (registered as a plugin in tests/conftest.py)."""
