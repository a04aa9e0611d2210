"""Strict reading of Prometheus answers: one value from an instant query, samples from a range query.

Pure functions over the decoded ``data`` of an answer; whatever is not exactly one usable number
is a QueryError whose text is the ``nodata`` reason a person sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from ..sanitize import clean

REASON_LIMIT = 160
EMPTY = "empty result"
NAN = "NaN (0/0? no requests in the rate window)"


class QueryError(Exception):
    """A query that gave no usable value. ``str(e)`` is short, sanitized and free of secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(clean(reason, REASON_LIMIT))

    @property
    def reason(self) -> str:
        return str(self)


def number(text: Any) -> float:
    """A sample value as Prometheus writes it: ``"0.25"``, ``"NaN"``, ``"+Inf"``, ``"-Inf"``."""
    if not isinstance(text, str):
        raise QueryError(f"malformed answer: sample value {clean(repr(text), 40)} is not a string")
    try:
        return float(text)
    except ValueError:
        raise QueryError(f"malformed answer: sample value {clean(repr(text), 40)} is not a number") from None


def several(n: int, metrics: Sequence[Any] = ()) -> str:
    """The reason for an answer with more than one series where one value is expected, naming the
    labels the series differ in (what the query should sum away)."""
    names = sorted({k for m in metrics if isinstance(m, dict) for k in m})
    differ = [k for k in names if len({str(m.get(k)) if isinstance(m, dict) else "" for m in metrics}) > 1]
    hint = f"; they differ in {', '.join(differ[:4])}" + (", ..." if len(differ) > 4 else "") if differ else ""
    return f"query returned {n} series; aggregate it (sum, max, ...){hint}"


def one_value(data: Any) -> float:
    """The value of an instant query, or QueryError: empty, several series, NaN, wrong type.

    ``+Inf`` and ``-Inf`` are numbers and come back as floats.
    """
    if not isinstance(data, dict):
        raise QueryError("malformed answer: no data object")
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "vector":
        if not isinstance(result, list):
            raise QueryError("malformed answer: vector result is not a list")
        if not result:
            raise QueryError(EMPTY)
        if len(result) > 1:
            raise QueryError(several(len(result), [s.get("metric") for s in result if isinstance(s, dict)]))
        sample = result[0]
        if not isinstance(sample, dict) or not isinstance(sample.get("value"), list) or len(sample["value"]) != 2:
            raise QueryError("malformed answer: vector sample has no [time, value]")
        value = number(sample["value"][1])
    elif kind == "scalar":
        if not isinstance(result, list) or len(result) != 2:
            raise QueryError("malformed answer: scalar result is not [time, value]")
        value = number(result[1])
    elif kind == "matrix":
        raise QueryError("range vector result: the query must give one instant value (wrap [range] in rate(), ...)")
    elif kind == "string":
        raise QueryError("string result: the query must give a number")
    else:
        raise QueryError(f"malformed answer: unknown resultType {clean(repr(kind), 30)}")
    if math.isnan(value):
        raise QueryError(NAN)
    return value


def range_samples(data: Any, start: float, step: float, n: int) -> tuple[list[float | None], int]:
    """The ``n`` samples of a range query at ``start + i*step`` (Unix seconds), and how many of them
    were dropped because several series had a value there.

    A time with no value, a NaN or several series is ``None``, exactly as an instant query at that
    time would be ``nodata``.
    """
    if not isinstance(data, dict):
        raise QueryError("malformed answer: no data object")
    kind = data.get("resultType")
    result = data.get("result")
    if kind != "matrix" or not isinstance(result, list):
        raise QueryError(f"malformed range answer: want a matrix, got {clean(repr(kind), 30)}")
    values: list[float | None] = [None] * n
    seen = [0] * n
    for series in result:
        points = series.get("values") if isinstance(series, dict) else None
        if not isinstance(points, list):
            raise QueryError("malformed range answer: a series has no values")
        for point in points:
            if not isinstance(point, list) or len(point) != 2 or not isinstance(point[0], (int, float)):
                raise QueryError("malformed range answer: a point is not [time, value]")
            i = round((point[0] - start) / step)
            if not 0 <= i < n or abs(start + i * step - point[0]) > 0.0015:
                continue
            seen[i] += 1
            v = number(point[1])
            values[i] = None if math.isnan(v) else v
    crowded = 0
    for i, count in enumerate(seen):
        if count > 1:
            values[i] = None
            crowded += 1
    return values, crowded


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.IGNORECASE | re.DOTALL)


def excerpt(body: str, limit: int = 80) -> str:
    """A readable piece of an error body: HTML tags dropped, repeated pieces (title, heading) said once,
    whitespace folded, cut short."""
    pieces = (" ".join(p.split()) for p in _TAGS.sub("\x00", body).split("\x00"))
    return clean(" ".join(dict.fromkeys(p for p in pieces if p)), limit)
