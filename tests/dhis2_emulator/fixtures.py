"""Pytest fixtures that start the DHIS2 emulator (registered as a plugin in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import Dhis2Emulator

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "district"


@pytest.fixture
def dhis2_emulator() -> Iterator[Dhis2Emulator]:
    """A fresh running emulator: superuser ``admin``/``district`` and a token in ``.admin_token``.

    Attributes: ``.url`` (base URL, no ``/api``), ``.store``, ``.faults``, ``.requests``, ``.jobs``;
    helpers ``.load_metadata(bundle)``, ``.data_values()``, ``.add_user(...)``, ``.create_token(...)``.
    """
    emulator = Dhis2Emulator().start()
    emulator.add_user(ADMIN_USERNAME, ADMIN_PASSWORD, ("ALL",))
    emulator.admin_token = emulator.create_token(ADMIN_USERNAME)
    emulator.admin_auth = (ADMIN_USERNAME, ADMIN_PASSWORD)
    try:
        yield emulator
    finally:
        emulator.stop()
