"""Errors raised while turning facts into data values."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class UnmappedOrgUnitsError(ValueError):
    """Some openIMIS locations or facilities that hold data have no DHIS2 org unit id.

    ``codes`` lists every one of them (never only the first); when the configuration names an
    ``unmapped_file``, the list was also written there, one code per line.
    """

    def __init__(self, codes: Iterable[str], written_to: Path | None = None) -> None:
        self.codes = sorted(set(codes))
        self.written_to = written_to
        shown = ", ".join(self.codes[:20]) + (" ..." if len(self.codes) > 20 else "")
        where = f" (full list written to {written_to})" if written_to else ""
        super().__init__(
            f"{len(self.codes)} org unit(s) with data have no DHIS2 id: {shown}{where}; "
            "add them to the mapping file or fix the openIMIS rows"
        )
