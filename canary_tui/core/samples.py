"""Sample lists kept as arrays of doubles: read straight from the file's bytes, 8 bytes a sample."""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

MIN_BYTES = 256
"""Lists shorter than this go through the ordinary parser (it costs nothing for them)."""

_JSON_START = re.compile(rb":[ \t]*\[")  # a list that is a mapping's value: ``"canary": [``
_YAML_START = re.compile(rb":[ \t]+\[")  # in YAML ``key:[`` is no mapping value
# bytes a list of samples can hold: numbers, null/~, NaN, inf/Infinity, "+Inf"-style strings
_ALLOWED = b"0123456789.eE+-, \t\r\n" + b'nulNULaAiIfFyt~"'
_NUMERIC = b"0123456789.eE+-, \t\r\n"
_TO_JSON = (
    (b'"+Inf"', b"Infinity"),
    (b'"-Inf"', b"-Infinity"),
    (b'"Inf"', b"Infinity"),
    (b'"NaN"', b"NaN"),
    (b"null", b"NaN"),
)
_YAML_TO_JSON = (
    (b"Null", b"NaN"),
    (b"NULL", b"NaN"),
    (b"~", b"NaN"),
    (b".inf", b"Infinity"),
    (b".Inf", b"Infinity"),
    (b".INF", b"Infinity"),
    (b".nan", b"NaN"),
    (b".NaN", b"NaN"),
    (b".NAN", b"NaN"),
)
# YAML 1.1 reads ``1e-05`` (no dot) and ``1.0e5`` (no sign) as strings: such lists take the slow path
_NO_SIGN = re.compile(rb"[eE](?![-+][0-9])")
_NO_DOT = re.compile(rb"[,\s][-+]?[0-9]+[eE]")


class SampleArray(Sequence[float | None]):
    """Samples as an ``array('d')``; a NaN is read back as None ("no data at that sample")."""

    __slots__ = ("_a",)

    def __init__(self, values: array[float]) -> None:
        self._a = values

    @classmethod
    def of(cls, values: Iterable[float | None]) -> SampleArray:
        return cls(array("d", (_NAN if v is None else v for v in values)))

    def __len__(self) -> int:
        return len(self._a)

    @overload
    def __getitem__(self, i: int) -> float | None: ...
    @overload
    def __getitem__(self, i: slice) -> list[float | None]: ...
    def __getitem__(self, i: int | slice) -> float | list[float | None] | None:
        if isinstance(i, slice):
            return [None if x != x else x for x in self._a[i]]
        x = self._a[i]
        return None if x != x else x

    def __iter__(self) -> Iterator[float | None]:
        return (None if x != x else x for x in self._a)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SampleArray, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(x) for x in self[:5])
        return f"SampleArray([{head}{', ...' if len(self) > 5 else ''}], n={len(self)})"

    @property
    def nbytes(self) -> int:
        return self._a.itemsize * len(self._a)

    @property
    def doubles(self) -> array[float]:
        """The samples as stored, NaN for "no data" (read-only by convention): for loops that read
        millions of samples by index, where a Python-level ``__getitem__`` per sample would dominate."""
        return self._a


def doubles(samples: Sequence[float | None]) -> array[float]:
    """Any samples as an ``array('d')`` with NaN for no data (a SampleArray's own, without a copy)."""
    if isinstance(samples, SampleArray):
        return samples.doubles
    return SampleArray.of(samples).doubles


_NAN = float("nan")


@dataclass(frozen=True)
class Extracted:
    """The file with its long sample lists cut out: each list is a placeholder in ``text``."""

    text: bytes
    prefix: str
    arrays: list[SampleArray]

    def placeholder(self, i: int) -> str:
        return f"{self.prefix}{i}"


class TooMany(Exception):
    """A list holds more samples than allowed (counted before any is converted)."""

    def __init__(self, count: int) -> None:
        self.count = count


def extract(data: bytes, json_form: bool, max_samples: int, max_total: int) -> Extracted:
    """Cut every long list of plain numbers out of ``data``, read into a SampleArray; each becomes a
    placeholder scalar that keeps the line count. A list that is not plainly numbers (or not in the
    meaning the ordinary parser gives them) stays in the text for the ordinary parser."""
    prefix = b"canary-tui-samples-"
    while prefix in data:
        prefix += b"x"
    parts: list[bytes] = []
    arrays: list[SampleArray] = []
    pos = total = 0
    for m in (_JSON_START if json_form else _YAML_START).finditer(data):
        if m.start() < pos:
            continue
        end = data.find(b"]", m.end())
        if end < 0:
            break
        if end - m.end() < MIN_BYTES:
            continue
        body = data[m.end() : end]
        if body.translate(None, _ALLOWED):
            continue
        count = body.count(b",") + 1
        total += count
        if count > max_samples:
            raise TooMany(count)
        if total > max_total:
            raise TooMany(total)
        samples = _convert(body, json_form)
        if samples is None:
            continue
        token = prefix + str(len(arrays)).encode()
        parts.append(data[pos : m.start() + 1])
        parts.append(b" " + (b'"' + token + b'"' if json_form else token) + b"\n" * body.count(b"\n"))
        arrays.append(samples)
        pos = end + 1
    if not arrays:
        return Extracted(data, prefix.decode(), [])
    parts.append(data[pos:])
    return Extracted(b"".join(parts), prefix.decode(), arrays)


def _convert(body: bytes, json_form: bool) -> SampleArray | None:
    """The list's numbers, read by the JSON parser (C speed, JSON's grammar); None when the list is
    not only numbers in both the file's format and JSON's."""
    if not json_form:
        if b"Infinity" in body:
            return None  # a string in YAML
        if (b"e" in body or b"E" in body) and (_NO_SIGN.search(body) or _NO_DOT.search(b"," + body)):
            return None
    if body.translate(None, _NUMERIC):  # words: null, NaN, .inf, "+Inf"...
        for old, new in _TO_JSON if json_form else _TO_JSON + _YAML_TO_JSON:
            if old in body:
                body = body.replace(old, new)
    try:
        values = json.loads(b"[" + body + b"]")
        return SampleArray(array("d", values))
    except (ValueError, TypeError):
        return None
