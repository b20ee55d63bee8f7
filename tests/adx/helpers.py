"""Shared test helpers: every ADX document a test writes goes through write_valid_adx."""

from __future__ import annotations

import io

from adx.adx_xml import write_adx
from adx.xsd import validate_adx


def write_valid_adx(values, **kwargs) -> bytes:
    """Write ``values`` as ADX and assert the document validates against adx_loose.xsd."""
    out = io.BytesIO()
    write_adx(values, out, **kwargs)
    doc = out.getvalue()
    errors = validate_adx(doc)
    assert errors == [], errors
    return doc
