"""Pytest fixtures that start the DHIS2 emulator (registered as a plugin in tests/conftest.py).

Every test that uses ``dhis2_emulator`` runs once per version profile (2.39 … 2.43): ``pytest_generate_tests``
parametrises ``dhis2_profile``. ``--dhis2-profiles=2.41,2.43`` (or ``DHIS2_PROFILES``) narrows the run;
``@pytest.mark.dhis2_profiles("2.39", "2.40", "2.41")`` restricts a test to the versions whose behaviour it
asserts. A test that asserts version-specific behaviour reads ``dhis2_emulator.profile``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from . import profiles
from .server import Dhis2Emulator

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "district"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--dhis2-profiles",
        default=os.environ.get("DHIS2_PROFILES", "all"),
        help="DHIS2 emulator profiles to run the DHIS2 tests against: 'all' or e.g. '2.41,2.43'",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dhis2_profiles(*names): run this DHIS2 test only against these emulator profiles",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dhis2_profile" not in metafunc.fixturenames:
        return
    if any(
        m.name == "parametrize" and "dhis2_profile" in m.args[0]
        for m in metafunc.definition.iter_markers()
    ):
        return
    wanted = metafunc.config.getoption("--dhis2-profiles")
    names = (
        list(profiles.PROFILES)
        if wanted == "all"
        else [n.strip() for n in wanted.split(",") if n.strip()]
    )
    marker = metafunc.definition.get_closest_marker("dhis2_profiles")
    if marker is not None:
        names = [n for n in names if n in marker.args]
    metafunc.parametrize("dhis2_profile", names or [pytest.param(None, marks=pytest.mark.skip("no profile"))],
                         ids=lambda n: f"dhis2-{n}")  # fmt: skip


@pytest.fixture
def dhis2_profile() -> str:
    """The emulator profile of this test (parametrised by ``pytest_generate_tests``)."""
    return profiles.DEFAULT


@pytest.fixture
def dhis2_emulator(dhis2_profile: str) -> Iterator[Dhis2Emulator]:
    """A fresh running emulator: superuser ``admin``/``district`` and a token in ``.admin_token``.

    Attributes: ``.url`` (base URL, no ``/api``), ``.profile``, ``.store``, ``.faults``, ``.requests``,
    ``.jobs``; helpers ``.load_metadata(bundle)``, ``.data_values()``, ``.add_user(...)``, ``.create_token(...)``.
    """
    emulator = Dhis2Emulator(dhis2_profile).start()
    emulator.add_user(ADMIN_USERNAME, ADMIN_PASSWORD, ("ALL",))
    emulator.admin_token = emulator.create_token(ADMIN_USERNAME)
    emulator.admin_auth = (ADMIN_USERNAME, ADMIN_PASSWORD)
    try:
        yield emulator
    finally:
        emulator.stop()
