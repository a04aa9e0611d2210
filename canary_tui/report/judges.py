"""The report's chart of a counts gate: the canary/stable estimate and its confidence sequence
narrowing over the release, against each phase's maxRatio."""

from __future__ import annotations

import math
from array import array
from typing import Any

from . import svg
from .model import GateSeries, Release
from .text import text

NAN = math.nan


def judged(g: dict[str, Any]) -> tuple[float, float, float] | None:
    """A counts gate's (ratio, low, high) from an evaluation's gate object, or None."""
    interval = g.get("interval")
    if not isinstance(interval, list) or len(interval) != 2:
        return None
    return _num(g.get("ratio")), _num(interval[0]), _num(interval[1])


def _num(x: Any) -> float:
    if isinstance(x, int | float) and not isinstance(x, bool):
        return float(x)
    return math.inf if x == "+Inf" else NAN


def counts_chart(fr: svg.Frame, r: Release, name: str, series: GateSeries, g: Any, phases: int) -> Any:
    """svg.chart over the ratio and the two bounds (an open top is drawn at 4x the largest maxRatio)."""
    from .charts import GateChart

    n = len(r.times)
    ratio, low, high = array("d", [NAN] * n), array("d", [NAN] * n), array("d", [NAN] * n)
    for i, est, lo, hi in series.judged:
        if 0 <= i < n:
            ratio[i], low[i], high[i] = est, lo, hi
    by_phase = {i: (g.levels_in(i).get("maxRatio") if g else None) for i in range(phases)}
    top = 4.0 * max((v for v in by_phase.values() if v is not None), default=1.0)
    for col in (ratio, low, high):
        for i, v in enumerate(col):
            if v == v and v > top:
                col[i] = top
    levels = [svg.Level("maxRatio", "tf", by_phase)] if any(v is not None for v in by_phase.values()) else []
    lines = [("ls", low), ("ls", high), ("lc", ratio)]
    title = f"gate {text(name, 80)}: canary / stable errors and the confidence sequence"
    chart, off = svg.chart(fr, title, lines, levels, series.status, fixed=(0.0, top * 1.04))
    return GateChart(
        name=text(name, 80),
        unit="x stable",
        svg=chart,
        off=off,
        has_stable=False,
        has_fail=bool(levels),
        has_warn=False,
        has_ratio=False,
        legend=(
            "<span class='lg c'></span>canary / stable (Mantel-Haenszel)"
            "<span class='lg s'></span>confidence sequence"
            + ("<span class='lg f'></span>maxRatio: fail once the lower bound is above it" if levels else "")
        ),
    )
