"""Bounded history of each gate for the sparklines and the charts: memory stays flat over 24 hours.

``recent`` is a ring buffer (the sparklines show the last evaluations). ``whole`` covers the
whole run with at most ``limit`` points: when it fills up it keeps every other point and from
then on records every second evaluation, so a day-long run costs as much as a short one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from ..core.gates import JudgeStats, Status

RECENT = 120
WHOLE = 2048


@dataclass(frozen=True, slots=True)
class Point:
    """One gate at one evaluation."""

    at: datetime
    canary: float | None
    stable: float | None
    status: Status
    phase_index: int
    stats: JudgeStats | None = None  # a judge gate's estimate and interval (the charts draw them)


class Thinned:
    """At most ``limit`` points spread over everything appended (halving the density when full)."""

    def __init__(self, limit: int = WHOLE) -> None:
        if limit < 2:
            raise ValueError("limit must be at least 2")
        self.limit = limit
        self.points: list[Point] = []
        self.stride = 1
        self._seen = 0
        self.last: Point | None = None

    def append(self, point: Point) -> None:
        if self._seen % self.stride == 0:
            self.points.append(point)
            if len(self.points) > self.limit:
                self.points = self.points[::2]
                self.stride *= 2
        self._seen += 1
        self.last = point

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Every kept point, and the latest one even when thinning skipped it."""
        yield from self.points
        if self.last is not None and (not self.points or self.points[-1] is not self.last):
            yield self.last

    def __len__(self) -> int:
        return len(self.points)


class GateHistory:
    """One gate: the recent evaluations (ring buffer) and the whole run (thinned)."""

    def __init__(self, recent: int = RECENT, whole: int = WHOLE) -> None:
        self.recent: deque[Point] = deque(maxlen=recent)
        self.whole = Thinned(whole)

    def append(self, point: Point) -> None:
        self.recent.append(point)
        self.whole.append(point)
