"""Anonymised copies of a real openIMIS database (demo and load-test data with the same indicators).

``anonymise(source_url, target_url, AnonymiseOptions(...), progress=None) -> AnonymisationReport``.
Modules: ``policy`` (what happens to every column), ``pseudonym`` (keyed fake values), ``dates``
(month shift, DOB jitter), ``probe`` / ``source`` (reading), ``target`` (creating / checking the target),
``transform`` (per chunk), ``kanon`` (k-anonymity), ``report``, ``run``.
"""

from .options import AnonymiseError, AnonymiseOptions
from .policy import OTHER_COLUMNS, TEXT_COLUMNS, Action
from .report import AnonymisationReport, KAnonymityReport, TableReport
from .run import anonymise

__all__ = [
    "OTHER_COLUMNS",
    "TEXT_COLUMNS",
    "Action",
    "AnonymisationReport",
    "AnonymiseError",
    "AnonymiseOptions",
    "KAnonymityReport",
    "TableReport",
    "anonymise",
]
