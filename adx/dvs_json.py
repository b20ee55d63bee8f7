"""DHIS2 dataValueSets JSON: streaming writer and streaming reader.

JSON identifies disaggregations by category option combo (COC), not by category options. The
writer asks ``coc_for(data_element_code, options)`` for the COC id; the default gives the
deterministic COC UID our metadata bundle assigns (:func:`adx.dhis2.metadata.coc_uid`), so our JSON
imports into a DHIS2 bootstrapped from our bundle. Data elements, org units and the data set are
written as codes, and the payload header says so (``dataElementIdScheme``... = ``CODE``,
``categoryOptionComboIdScheme`` = ``UID`` by default); DHIS2 lets payload schemes override query
parameters (CONTRACT.md §2.1).
"""

from __future__ import annotations

import codecs
import inspect
import io
import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _q
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast, overload

from adx.dhis2.metadata import coc_uid
from adx.json_types import JsonObject
from adx.model import DataValue
from adx.periods import PeriodError, parse_period

CocResolver = Callable[[str, tuple[tuple[str, str], ...]], str]
ValueCocResolver = Callable[[DataValue], str]  # the one-argument form: the COC of a value
OptionsResolver = Callable[[str, str], tuple[tuple[str, str], ...]]
DEFAULT_MAX_BYTES = 2 * 1024**3


class DvsJsonError(ValueError):
    """A dataValueSets JSON document cannot be written or read."""


def default_coc_for(data_element: str, options: tuple[tuple[str, str], ...]) -> str:
    """COC UID from our metadata bundle (the default COC ``HllvX50cXC0`` for no options)."""
    return coc_uid(options)


def write_json(
    values: Iterable[DataValue],
    out: BinaryIO | TextIO,
    *,
    data_set: str | None = None,
    coc_for: CocResolver | ValueCocResolver | None = None,
    id_scheme: str = "CODE",
    coc_id_scheme: str = "UID",
) -> int:
    """Stream ``values`` as ``{"dataSet":..., <id schemes>, "dataValues":[...]}``; returns the count.

    ``coc_for(data_element, options)`` gives the COC (a one-argument ``coc_for(value)`` taking
    the DataValue is accepted too, without attribute options) (and, called with the data set code and
    the attribute options, the attribute option combo) in ``coc_id_scheme``; ``id_scheme`` is
    the scheme of the data element, org unit and data set identifiers the values carry.
    Attribute option combos are written only when a value has attribute options (DHIS2 uses
    the default otherwise). Values whose data set differs from ``data_set`` are refused.
    """
    write = _text_writer(out)
    head = [] if data_set is None else [f'"dataSet":{_q(data_set)}']
    head += [
        f'"dataElementIdScheme":{_q(id_scheme)}',
        f'"orgUnitIdScheme":{_q(id_scheme)}',
        f'"dataSetIdScheme":{_q(id_scheme)}',
        f'"categoryOptionComboIdScheme":{_q(coc_id_scheme)}',
    ]
    write("{" + ",".join(head) + ',"dataValues":[')
    count = _JsonValues(coc_for or default_coc_for).write(values, data_set, write)
    write("]}")
    return count


def _text_writer(out: BinaryIO | TextIO) -> Callable[[str], object]:
    """``out.write`` taking text: text streams get str, everything else UTF-8 bytes."""
    if isinstance(out, io.TextIOBase):
        return out.write
    binary = cast(BinaryIO, out)
    return lambda s: binary.write(s.encode())


_Options = tuple[tuple[str, str], ...]


class _JsonValues:
    """The ``dataValues`` items of one :func:`write_json` call, with their cached parts.

    Per-value work is kept to dict lookups: the '{"dataElement":..,"categoryOptionCombo":..,'
    prefix is cached per (element, options), the period/org unit part per run of equal ones.
    """

    def __init__(self, resolve: CocResolver | ValueCocResolver) -> None:
        # per_value is set for the one-argument form, which then resolves every value itself
        self.per_value: ValueCocResolver | None = None
        self.resolve = cast(CocResolver, resolve)
        if _takes_one_argument(resolve):
            self.per_value = cast(ValueCocResolver, resolve)
        self.periods: dict[str, str] = {}
        self.prefixes: dict[tuple[str, _Options], str] = {}
        self.aocs: dict[tuple[str, _Options], str] = {}
        self.tails: dict[str, str] = {}  # value -> '"value":"12"}' for small repeated values

    def write(
        self, values: Iterable[DataValue], data_set: str | None, write: Callable[[str], object]
    ) -> int:
        prefixes, tails = self.prefixes, self.tails
        buf: list[str] = []
        count = 0
        pe_raw = ou_raw = None
        middle = ""
        for v in values:
            if data_set is not None and v.data_set and v.data_set != data_set:
                raise DvsJsonError(
                    f"value of data element {v.data_element!r} belongs to data set {v.data_set!r}, "
                    f"not {data_set!r}; write one JSON document per data set"
                )
            if v.period != pe_raw or v.org_unit != ou_raw:
                pe_raw, ou_raw = v.period, v.org_unit
                middle = self.middle(v)
            if self.per_value is not None:
                prefix = self.value_prefix(v, self.per_value)
            else:
                prefix = prefixes.get((v.data_element, v.category_options)) or self.new_prefix(v)
            if v.attribute_options:
                prefix += self.aoc(v)
            if v.comment is None:
                tail = tails.get(v.value) or self.new_tail(v.value)
            else:
                tail = f'"value":{_q(v.value)},"comment":{_q(v.comment)}}}'
            buf.append(("," if count else "") + prefix + middle + tail)
            count += 1
            if len(buf) >= 4096:
                write("".join(buf))
                buf.clear()
        if buf:
            write("".join(buf))
        return count

    def middle(self, v: DataValue) -> str:
        """``"period":..,"orgUnit":..,`` of a value."""
        pe = self.periods.get(v.period)
        if pe is None:
            try:
                pe = self.periods[v.period] = _q(parse_period(v.period).id)
            except PeriodError as exc:
                raise DvsJsonError(
                    f"data element {v.data_element!r}, org unit {v.org_unit!r}: {exc}"
                ) from None
        return f'"period":{pe},"orgUnit":{_q(v.org_unit)},'

    @staticmethod
    def value_prefix(v: DataValue, per_value: ValueCocResolver) -> str:
        return f'{{"dataElement":{_q(v.data_element)},"categoryOptionCombo":{_q(per_value(v))},'

    def new_prefix(self, v: DataValue) -> str:
        coc = _q(self.resolve(v.data_element, v.category_options))
        prefix = f'{{"dataElement":{_q(v.data_element)},"categoryOptionCombo":{coc},'
        self.prefixes[(v.data_element, v.category_options)] = prefix
        return prefix

    def aoc(self, v: DataValue) -> str:
        """``"attributeOptionCombo":..,`` of a value with attribute options."""
        akey = (v.data_set, v.attribute_options)
        aoc = self.aocs.get(akey)
        if aoc is None:
            if self.per_value is not None:
                raise DvsJsonError(
                    f"value of {v.data_element!r} has attribute options {v.attribute_options}: "
                    "pass a two-argument coc_for(owner, options) to resolve attribute option combos"
                )
            aoc = self.aocs[akey] = _q(self.resolve(v.data_set, v.attribute_options))
        return f'"attributeOptionCombo":{aoc},'

    def new_tail(self, value: str) -> str:
        tail = f'"value":{_q(value)}}}'
        if len(self.tails) < 4096:
            self.tails[value] = tail
        return tail


def _takes_one_argument(fn: Callable[..., str]) -> bool:
    """Whether a resolver is the one-argument form ``coc_for(value: DataValue)``."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) == 1 and not any(p.kind == p.VAR_POSITIONAL for p in params)


# --- reader ---------------------------------------------------------------------------------

_OVERRIDING = ("period", "orgUnit", "attributeOptionCombo")


# a data value object as DHIS2 sends it: field values are JSON (strings, numbers, booleans)
Source = bytes | str | Path | BinaryIO | TextIO


@overload
def read_json(
    source: Source, *, options_for: None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[JsonObject]: ...


@overload
def read_json(
    source: Source, *, options_for: OptionsResolver, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[DataValue]: ...


def read_json(
    source: Source,
    *,
    options_for: OptionsResolver | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[JsonObject] | Iterator[DataValue]:
    """Stream the values of a dataValueSets JSON document.

    Header ``period``/``orgUnit``/``attributeOptionCombo`` override each value's own field and
    header ``dataSet`` fills a missing one, as in DHIS2 (they must come before ``dataValues``,
    as in what DHIS2 and our writer produce). Yields the value dicts, or, with
    ``options_for(data_element_or_data_set, combo_id) -> options``, :class:`DataValue` objects
    (see :func:`adx.dhis2.metadata.options_resolver`). ``source``: bytes, a path (a ``str``
    starting with ``{`` is JSON text) or a stream.
    """
    values = _stream_values(source, max_bytes)
    if options_for is None:
        return values
    return (_to_value(d, options_for) for d in values)


def _to_value(d: JsonObject, options_for: OptionsResolver) -> DataValue:
    try:
        de, pe, ou, value = d["dataElement"], d["period"], d["orgUnit"], d.get("value")
    except KeyError as exc:
        raise DvsJsonError(f"data value {d} has no {exc.args[0]!r}") from None
    coc = d.get("categoryOptionCombo")
    aoc = d.get("attributeOptionCombo")
    ds = d.get("dataSet", "")
    return DataValue(
        data_set=ds,
        period=pe,
        org_unit=ou,
        data_element=de,
        value="" if value is None else str(value),
        category_options=options_for(de, coc) if coc else (),
        attribute_options=options_for(ds, aoc) if aoc else (),
        comment=d.get("comment"),
    )


class _Buffer:
    """Incremental text buffer over a byte/text stream, for ``JSONDecoder.raw_decode``."""

    def __init__(self, stream: BinaryIO | TextIO, max_bytes: int) -> None:
        self.stream, self.max_bytes, self.read_total = stream, max_bytes, 0
        self.text, self.pos, self.eof = "", 0, False
        self._decoder: codecs.IncrementalDecoder | None = None

    def fill(self) -> bool:
        """Append the next chunk to the buffer; False once the input is exhausted."""
        if self.eof:
            return False
        raw = self.stream.read(1 << 16)
        self.read_total += len(raw)
        if self.read_total > self.max_bytes:
            raise DvsJsonError(
                f"JSON document is larger than the {self.max_bytes}-byte limit (max_bytes)"
            )
        self.eof = not raw
        if isinstance(raw, bytes | bytearray):
            if self._decoder is None:
                self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
            # A multi-byte character split between chunks decodes on the next call.
            chunk = self._decoder.decode(raw, final=self.eof)
        else:
            chunk = raw
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def skip_ws(self) -> str:
        """Next non-blank character (not consumed), '' at end of input."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def expect(self, chars: str) -> str:
        c = self.skip_ws()
        if not c or c not in chars:
            raise DvsJsonError(
                f"invalid dataValueSets JSON: expected one of {chars!r}, found {c or 'end of input'!r}"
            )
        self.pos += 1
        return c

    def value(self, decoder: json.JSONDecoder) -> Any:  # any JSON value
        self.skip_ws()
        while True:
            try:
                obj, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # Incomplete value at the end of the buffer: read more and retry.
                if not self.eof and self.fill():
                    continue
                raise DvsJsonError(f"invalid dataValueSets JSON: {exc}") from None
            if end == len(self.text) and not self.eof:
                # A number could continue in the next chunk: make sure it ended.
                self.fill()
                continue
            self.pos = end
            return obj


def _array_items(
    buf: _Buffer, decoder: json.JSONDecoder, header: JsonObject
) -> Iterator[JsonObject]:
    """The objects of the ``dataValues`` array, with DHIS2's header overrides applied."""
    buf.expect("[")
    if buf.skip_ws() == "]":
        buf.pos += 1
        return
    while True:
        item = buf.value(decoder)
        if not isinstance(item, dict):
            raise DvsJsonError(f"invalid dataValueSets JSON: data value {item!r} is not an object")
        for k in _OVERRIDING:
            if header.get(k):
                item[k] = header[k]
        if header.get("dataSet") and not item.get("dataSet"):
            item["dataSet"] = header["dataSet"]
        yield item
        if buf.expect(",]") == "]":
            return


def _open(source: Source) -> tuple[BinaryIO | TextIO, bool]:
    """A stream for ``source`` and whether we opened it (and must close it)."""
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source), False
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return io.StringIO(source), False
    if isinstance(source, str | Path):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False


def _stream_values(source: Source, max_bytes: int) -> Iterator[JsonObject]:
    stream, close = _open(source)
    try:
        buf = _Buffer(stream, max_bytes)
        decoder = json.JSONDecoder()
        header: JsonObject = {}
        values_seen = False
        buf.expect("{")
        if buf.skip_ws() == "}":
            return
        while True:
            key = buf.value(decoder)
            if not isinstance(key, str):
                raise DvsJsonError("invalid dataValueSets JSON: object key is not a string")
            buf.expect(":")
            if key == "dataValues":
                values_seen = True
                yield from _array_items(buf, decoder, header)
            else:
                if values_seen and key in (*_OVERRIDING, "dataSet"):
                    raise DvsJsonError(
                        f"header field {key!r} comes after dataValues; a streaming reader cannot "
                        "apply it (put header fields first, as DHIS2 and write_json do)"
                    )
                header[key] = buf.value(decoder)
            if buf.expect(",}") == "}":
                return
    finally:
        if close:
            stream.close()
