"""A counts gate's chart: the estimate and its confidence sequence narrowing against each phase's maxRatio."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...core.judges.counts import times
from ...core.model import CountsJudge, Gate
from ..history import Point
from ..model import RoomModel

RGB = tuple[int, int, int]


def draw_counts(
    plt: Any,
    model: RoomModel,
    gate: Gate,
    points: list[Point],
    xs: list[float],
    x: Callable[[datetime], float],
    end: float,
    colors: tuple[RGB, RGB, RGB, RGB],
) -> None:
    """Ratio canary/stable over time: the estimate, the interval's bounds, maxRatio per phase."""
    estimate, bad, warn, muted = colors
    judges = model.plan.judges_by_phase
    ceiling = 4.0 * max((j.max_ratio for t in judges for j in t.values() if isinstance(j, CountsJudge)), default=1.0)

    def shown(v: float | None) -> float | None:  # the open top of an interval is drawn at the chart's top
        if v is None or v != v:
            return None
        return min(v, ceiling)

    def line(ys: list[float | None], color: RGB, label: str) -> None:
        pairs = [(a, b) for a, b in zip(xs, ys, strict=True) if b is not None]
        if pairs:
            plt.plot([a for a, _ in pairs], [b for _, b in pairs], color=color, label=label, marker="braille")

    stats = [p.stats for p in points]
    line([shown(s.high) if s else None for s in stats], warn, "CS high")
    line([shown(s.low) if s else None for s in stats], warn, "CS low")
    line([shown(s.ratio) if s else None for s in stats], estimate, "canary / stable")
    starts = sorted(model.phase_starts.items())
    for n, (index, at) in enumerate(starts):
        x0 = x(at)
        x1 = x(starts[n + 1][1]) if n + 1 < len(starts) else end
        j = model.plan.judges(index).get(gate.name)
        if isinstance(j, CountsJudge):
            plt.plot([x0, max(x1, x0 + 1e-9)], [j.max_ratio, j.max_ratio], color=bad, marker="braille")
        if index > 0:
            plt.vline(x0, color=muted)
    plt.ylim(0, ceiling)
    last = points[-1]
    s = last.stats
    if s is None or s.ratio is None:
        plt.title(f"no errors yet ({last.status.value})")
        return
    high = "+Inf" if s.high is None or math.isinf(s.high) else times(s.high)
    plt.title(f"now {times(s.ratio)} stable, CS {times(s.low or 0.0)}-{high} ({last.status.value})")
