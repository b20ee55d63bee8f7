"""Validation of ADX documents against the vendored ``adx_loose.xsd`` (IHE ADX, 2017).

The schema is compiled once per process. Validation streams (``iterparse`` with ``schema=``)
and frees elements as it goes, so large documents validate in bounded memory; it stops at the
first schema error.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from adx.adx_xml import DEFAULT_MAX_BYTES, AdxReadError, AdxSchemaError, safe_iterparse

SCHEMA_DIR = Path(__file__).with_name("schema")
ADX_LOOSE = SCHEMA_DIR / "adx_loose.xsd"


class AdxValidationError(ValueError):
    """An ADX document does not validate against adx_loose.xsd."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(
            "ADX document is not valid against adx_loose.xsd: " + "; ".join(errors[:5])
        )


_local = threading.local()


def adx_schema() -> etree.XMLSchema:
    """The compiled loose ADX schema (relative sdmx/ imports resolved from the file path).

    Compiled once per thread: lxml schema objects keep per-validation state.
    """
    schema = getattr(_local, "schema", None)
    if schema is None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        schema = _local.schema = etree.XMLSchema(etree.parse(str(ADX_LOOSE), parser))
    return schema


def validate_adx(
    source: bytes | str | Path | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[str]:
    """Schema errors of an ADX document (``[]`` = valid). Parses as safely as ``read_adx``."""
    schema = adx_schema()
    try:
        for _event, el in safe_iterparse(
            source, max_bytes=max_bytes, events=("end",), schema=schema
        ):
            parent = el.getparent()
            if parent is not None:
                el.clear()  # keep_tail=False, the default
                while el.getprevious() is not None:
                    del parent[0]
    except AdxSchemaError as exc:
        return _all_errors(source) or exc.errors
    except AdxReadError as exc:
        return [str(exc)]
    return []


DETAIL_BYTES = 8 * 1024**2  # re-validate failing documents up to this size as a tree


def _all_errors(source: bytes | str | Path | BinaryIO) -> list[str] | None:
    """Every schema error with its line, for a small re-readable document; None otherwise.

    Streaming validation stops at the first error and has no line numbers; for documents small
    enough to hold as a tree (bytes or a file of at most DETAIL_BYTES), a second, tree-based pass
    reports them all. Same safety: no DTD, no entities, no network.
    """
    if isinstance(source, bytes | bytearray):
        size = len(source)
    elif isinstance(source, str | Path) and not (
        isinstance(source, str) and source.lstrip().startswith("<")
    ):
        try:
            size = Path(source).stat().st_size
        except OSError:
            return None
    elif isinstance(source, str):
        source = source.encode()
        size = len(source)
    else:
        return None  # a stream cannot be read twice
    if size > DETAIL_BYTES:
        return None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        if isinstance(source, bytes | bytearray):
            tree = etree.ElementTree(etree.fromstring(bytes(source), parser))
        else:
            tree = etree.parse(str(source), parser)
    except etree.XMLSyntaxError:
        return None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        return None
    schema = adx_schema()
    if schema.validate(tree):
        return None
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def assert_valid_adx(
    source: bytes | str | Path | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Raise AdxValidationError listing the schema errors unless the document is valid."""
    errors = validate_adx(source, max_bytes=max_bytes)
    if errors:
        raise AdxValidationError(errors)
