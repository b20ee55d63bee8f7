"""The type of a JSON object where one crosses into our code (DHIS2 metadata, import reports).

Field values are whatever JSON holds (strings, numbers, lists, objects); code reading them
checks or converts each field it uses, so ``Any`` stops at this boundary.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
