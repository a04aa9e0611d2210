"""Sample lists kept as arrays of doubles: read straight from the file's bytes, 8 bytes a sample."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

MIN_FAST = 32
"""Lists shorter than this go through the ordinary parser (it costs nothing for them)."""

_WS = rb"[ \t\r\n]*"
# Tokens that mean the same number in the ordinary parser as here: for JSON, JSON numbers, null and
# the strings "+Inf", "-Inf", "Inf", "NaN" (and Python's bare NaN/Infinity, which json.loads takes);
# for YAML 1.1, decimals whose exponent has a dot and a sign (``1.0e-05``; ``1e-05`` is a string
# there), null and the .inf/.nan forms. Anything else sends the list to the ordinary parser.
_SPECIAL_STR = rb'"(?:[+-]?Inf|NaN)"'
_JSON_TOKEN = rb"(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|null|NaN|-?Infinity|" + _SPECIAL_STR + rb")"
_YAML_TOKEN = (
    rb"(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+][0-9]+)?)?|null|Null|NULL|~|-?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|"
    + _SPECIAL_STR
    + rb")"
)


def _list_pattern(token: bytes, space: bytes) -> re.Pattern[bytes]:
    # a list that is a mapping's value (``canary: [...]``, ``"canary": [...]``), MIN_FAST items or more
    repeat = rb"(?:" + token + _WS + rb"," + _WS + rb"){%d,}" % (MIN_FAST - 1)
    return re.compile(rb"(?<=:)" + space + rb"\[" + _WS + repeat + token + _WS + rb"\]")


_JSON_LIST = _list_pattern(_JSON_TOKEN, rb"[ \t]*")
_YAML_LIST = _list_pattern(_YAML_TOKEN, rb"[ \t]+")  # YAML: ``key:[`` is no mapping value
_TO_FLOAT = (
    (b'"+Inf"', b"inf"),
    (b'"-Inf"', b"-inf"),
    (b'"Inf"', b"inf"),
    (b'"NaN"', b"nan"),
    (b"null", b"nan"),
    (b"Null", b"nan"),
    (b"NULL", b"nan"),
    (b"~", b"nan"),
    (b".inf", b"inf"),
    (b".Inf", b"inf"),
    (b".INF", b"inf"),
    (b".nan", b"nan"),
    (b".NaN", b"nan"),
    (b".NAN", b"nan"),
)


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


_NAN = float("nan")


@dataclass(frozen=True)
class Extracted:
    """The file with its long sample lists cut out: each list is a placeholder in ``text``."""

    text: bytes
    prefix: str
    lists: list[tuple[int, int]]  # (start, end) of each list's body in the original bytes
    items: list[int]  # items in each list

    def placeholder(self, i: int) -> str:
        return f"{self.prefix}{i}"


def extract(data: bytes, json_form: bool) -> Extracted:
    """Cut every long list of plain numbers out of ``data`` (each becomes a placeholder scalar that
    keeps the line count); ``convert`` later turns a list's bytes into a SampleArray."""
    prefix = b"canary-tui-samples-"
    while prefix in data:
        prefix += b"x"
    pattern = _JSON_LIST if json_form else _YAML_LIST
    parts: list[bytes] = []
    lists: list[tuple[int, int]] = []
    items: list[int] = []
    pos = 0
    for m in pattern.finditer(data):
        start, end = m.span()
        body_start = data.index(b"[", start) + 1
        parts.append(data[pos:start])
        token = b'"' + prefix + str(len(lists)).encode() + b'"' if json_form else prefix + str(len(lists)).encode()
        parts.append(b" " + token + b"\n" * data.count(b"\n", start, end))
        lists.append((body_start, end - 1))
        items.append(data.count(b",", body_start, end - 1) + 1)
        pos = end
    if not lists:
        return Extracted(data, prefix.decode(), [], [])
    parts.append(data[pos:])
    return Extracted(b"".join(parts), prefix.decode(), lists, items)


def convert(data: bytes, span: tuple[int, int]) -> SampleArray:
    """One extracted list's body (already known to hold only number tokens) as a SampleArray."""
    body = data[span[0] : span[1]]
    for old, new in _TO_FLOAT:
        if old in body:
            body = body.replace(old, new)
    return SampleArray(array("d", map(float, body.split(b","))))
