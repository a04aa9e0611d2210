"""The value scales of the sparklines and charts: from the data, with the thresholds placed on them.

Pure (no Textual): the same rules serve the golden-signals panel and the charts screen.

* A scale starts at 0 when every value is >= 0, so a bar's height is its value and 3% of noise
  looks like 3%, not like an incident.
* Its top is the data's top, but at least a quarter of the lowest "above" level of the gate (a
  minimum span: an error rate of 0.0007 under a 0.01 warn level draws low bars, not full ones).
* Constant values are drawn as such: all zeros on the floor, a constant level at its height.
* A threshold is a mark on that scale: the bar glyph of its height, or an arrow at the edge when it
  is off the visible range (above: ``↑``, below: ``↓``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SPARKS = "▁▂▃▄▅▆▇█"
MIN_SPAN_OF_LEVEL = 0.25  # the top of a scale is at least this share of the gate's lowest "above" level
ABOVE, BELOW = "↑", "↓"


@dataclass(frozen=True, slots=True)
class Scale:
    lo: float
    hi: float

    def position(self, value: float) -> float:
        """``value`` on the scale, 0 (floor) .. 1 (top), clamped."""
        span = self.hi - self.lo
        if span <= 0:
            return 0.0
        return min(1.0, max(0.0, (value - self.lo) / span))


def finite(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def value_scale(series: Iterable[Sequence[float | None]], above: Iterable[float | None] = ()) -> Scale:
    """The shared scale of several series (canary and stable of one gate); ``above``: the gate's
    "above" levels (warnAbove, failAbove), which set the minimum span."""
    values = [v for s in series for v in finite(s)]
    if not values:
        return Scale(0.0, 1.0)
    lo, hi = min(values), max(values)
    if lo >= 0:
        lo = 0.0
    levels = [a for a in finite(above) if a > lo]
    if levels:
        hi = max(hi, lo + (min(levels) - lo) * MIN_SPAN_OF_LEVEL)
    if hi <= lo:  # constant: zeros on the floor, any other constant at its height on 0..value
        hi = lo + (abs(lo) or 1.0)
    return Scale(lo, hi)


def spark(values: Sequence[float | None], scale: Scale) -> str:
    """Sparkline characters on ``scale``; a missing value is a middle dot, +Inf the top, -Inf the floor."""
    top = len(SPARKS) - 1
    out = []
    for v in values:
        if v is None or math.isnan(v):
            out.append("·")
        elif math.isinf(v):
            out.append(SPARKS[top] if v > 0 else SPARKS[0])
        else:
            out.append(SPARKS[round(scale.position(v) * top)])
    return "".join(out)


def mark(level: float | None, scale: Scale) -> str:
    """A threshold on the scale: the bar glyph of its height, an arrow when it is off the range, a
    blank when the gate has no such level."""
    if level is None or math.isnan(level):
        return " "
    if level > scale.hi:
        return ABOVE
    if level < scale.lo:
        return BELOW
    return SPARKS[round(scale.position(level) * (len(SPARKS) - 1))]


# ---------------------------------------------------------------------------- the charts' axes

TICK_STEPS = (
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12, 24)),
)


def chart_range(series: Iterable[Sequence[float | None]]) -> tuple[float, float]:
    """A chart's value axis from the data alone (from 0 when all of it is >= 0), with a little room
    above; the thresholds are marked on it where they fall inside, named where they do not."""
    values = [v for s in series for v in finite(s)]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    if lo >= 0:
        lo = 0.0
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    return lo, hi + (hi - lo) * 0.08


def wall_ticks(start: float, end: float, most: int) -> tuple[int, list[float]]:
    """Round ticks for a time axis from ``start`` to ``end`` (epoch seconds, the controller's clock):
    the step (seconds: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h, ...) and at most ``most``
    ticks at whole multiples of it on the wall clock (05:35, 05:40, ..., not 05:33:20, 05:38:20)."""
    most = max(2, most)
    span = max(0.0, end - start)
    step = next((s for s in TICK_STEPS if span / s <= most - 1), TICK_STEPS[-1])
    while span / step > most - 1:
        step *= 2
    first = math.ceil(start / step) * step
    count = int((end - first) // step) + 1 if end >= first else 0
    return step, [float(first + k * step) for k in range(count)]


def value_ticks(lo: float, hi: float, most: int) -> tuple[float, list[float]]:
    """Round ticks for a value axis, as many as fit in ``most`` (at least two when the axis has a
    span): steps of 1, 2, 2.5 or 5 times a power of ten, at whole multiples of the step (0, 0.05,
    0.1, 0.15, not 0.046, 0.093, 0.139)."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return 1.0, [lo]
    top = math.floor(math.log10(span))
    steps = sorted(m * 10.0**e for e in range(top - 3, top + 1) for m in (1, 2, 2.5, 5))
    fallback: tuple[float, list[float]] | None = None
    for step in steps:
        first = math.ceil(lo / step - 1e-9)
        last = math.floor(hi / step + 1e-9)
        ticks = [0.0 if k == 0 else k * step for k in range(first, last + 1)]
        if 2 <= len(ticks) <= max(2, most):
            return step, ticks
        if len(ticks) >= 1:
            fallback = (step, ticks)
    return fallback or (span, [lo])


def value_label(value: float, step: float) -> str:
    """A value tick's label with the decimals its step needs (0.05 -> ``0.15``, 2.5 -> ``7.5``)."""
    if value == 0:
        return "0"
    decimals = 0
    while decimals < 9 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return f"{value:.{decimals}f}"


def tick_label(seconds_of_day: int, step: int) -> str:
    """``05:35`` for minute ticks, ``05:35:30`` when ticks are seconds apart."""
    h, rest = divmod(int(seconds_of_day) % 86400, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if step % 60 else f"{h:02d}:{m:02d}"
