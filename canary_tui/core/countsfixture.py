"""A counts gate's fixture series (contract section 5): cumulative errors and requests per side,
and the increments replay adds at each evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import filterfalse
from math import isnan
from typing import Any

from .reader import Reader
from .samples import SampleArray
from .source import Path, as_sample

Samples = Sequence[float | None]
_INF = float("inf")


@dataclass(frozen=True)
class CountsSide:
    """Cumulative counts since the fixture's start; None = no data at that sample."""

    errors: Samples
    requests: Samples

    def __len__(self) -> int:
        return max(len(self.errors), len(self.requests))

    def at(self, i: int) -> tuple[float, float] | None:
        """Both counts at sample ``i``, or None when either is missing there."""
        if i >= len(self.errors) or i >= len(self.requests):
            return None
        e, r = self.errors[i], self.requests[i]
        if e is None or r is None or e != e or r != r:
            return None
        return e, r


@dataclass(frozen=True)
class CountsSeries:
    """A counts gate's series: ``canary`` and ``stable`` are both needed (the test compares them)."""

    canary: CountsSide
    stable: CountsSide


def is_counts_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("canary"), dict)


def read_counts_series(r: Reader, entry: Any, p: Path) -> CountsSeries | None:
    """``{canary: {errors: [...], requests: [...]}, stable: {...}}``, checked non-decreasing
    except for counter resets (a decrease is allowed: replay says "counter reset" there)."""
    m = r.mapping(entry, p, ["canary", "stable"], ["canary", "stable"])
    if m is None or "canary" not in m or "stable" not in m:
        return None
    sides = []
    for side in ("canary", "stable"):
        sp: Path = (*p, side)
        sm = r.mapping(m[side], sp, ["errors", "requests"], ["errors", "requests"])
        if sm is None or "errors" not in sm or "requests" not in sm:
            return None
        errors = _counts(r, sm["errors"], (*sp, "errors"))
        requests = _counts(r, sm["requests"], (*sp, "requests"))
        if errors is None or requests is None:
            return None
        if len(errors) != len(requests):
            r.problem(sp, f"errors has {len(errors)} samples and requests {len(requests)}: want the same number")
            return None
        sides.append(CountsSide(errors, requests))
    return CountsSeries(sides[0], sides[1])


def _counts(r: Reader, value: Any, p: Path) -> Samples | None:
    if isinstance(value, SampleArray):  # read straight from the file's bytes: 8 bytes a sample
        d = value.doubles
        # NaN is "no data": left out of the check, at C speed (a day at 1 s is 86,400 samples a list)
        if min(filterfalse(isnan, d), default=0.0) >= 0.0 and max(filterfalse(isnan, d), default=0.0) < _INF:
            return value
        i = next(i for i, x in enumerate(d) if x < 0.0 or x == _INF)
        r.problem((*p, i), f"a count is a finite number of 0 or more, got {d[i]!r}")
        return None
    if not isinstance(value, list):
        r.problem(p, "want a list of cumulative counts (null for no data)")
        return None
    out: list[float | None] = []
    for i, x in enumerate(value):
        try:
            v = as_sample(x)
        except ValueError as e:
            r.problem((*p, i), str(e))
            return None
        if v is not None and (v != v or v < 0 or v == float("inf")):
            r.problem((*p, i), f"a count is a finite number of 0 or more, got {x!r}")
            return None
        out.append(v)
    return out


class CountsCursor:
    """Turns cumulative samples into the increments of each evaluation: the difference with the
    last evaluation that had data (at the first: the sample minus 0); a decrease is a reset."""

    RESET = "counter reset"

    def __init__(self, series: CountsSeries) -> None:
        self.series = series
        self.last: tuple[float, float, float, float] | None = None

    def take(self, i: int) -> tuple[tuple[float, float, float, float] | None, str | None]:
        """The increments at sample ``i`` (or None with the reason)."""
        c, s = self.series.canary.at(i), self.series.stable.at(i)
        if c is None or s is None:
            side = "canary" if c is None else "stable"
            past = i >= len(self.series.canary) if c is None else i >= len(self.series.stable)
            return None, "past the end of the recorded series" if past else f"{side}: empty result"
        now = (c[0], c[1], s[0], s[1])
        before = self.last or (0.0, 0.0, 0.0, 0.0)
        self.last = now
        if any(a < b for a, b in zip(now, before, strict=False)):
            return None, self.RESET
        x, n, y, m = (a - b for a, b in zip(now, before, strict=False))
        return (x, n, y, m), None
