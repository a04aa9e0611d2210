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


def time_ticks(span_seconds: float, most: int) -> tuple[int, list[float]]:
    """Round ticks for a time axis of ``span_seconds`` from its start: the step (seconds) and the
    offsets of at most ``most`` ticks (5 s, 1 min, 15 min, 1 h, ...)."""
    most = max(2, most)
    step = next((s for s in TICK_STEPS if span_seconds / s <= most - 1), TICK_STEPS[-1])
    while span_seconds / step > most - 1:
        step *= 2
    return step, [float(k * step) for k in range(int(span_seconds // step) + 1)]


def tick_label(seconds_of_day: int, step: int) -> str:
    """``05:35`` for minute ticks, ``05:35:30`` when ticks are seconds apart."""
    h, rest = divmod(int(seconds_of_day) % 86400, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if step % 60 else f"{h:02d}:{m:02d}"
