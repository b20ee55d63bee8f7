"""A strict emulator of the DHIS2 2.41 Web API for tests (CONTRACT.md).

``Dhis2Emulator().start()`` serves on ``127.0.0.1:<random port>``; the ``dhis2_emulator`` fixture
(``tests/dhis2_emulator/fixtures.py``) gives a fresh one per test with a superuser ``admin``/``district``.
"""

from .server import Dhis2Emulator

__all__ = ["Dhis2Emulator"]
