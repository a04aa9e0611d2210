"""Replay adapters: a fixture's samples as the metrics source, its pod snapshots as the cluster."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime

from .core.fixture import Fixture
from .core.gates import Reading
from .core.model import GateSource, Plan
from .core.pods import Pod

PAST_END = "past the end of the recorded series"


class FixtureMetrics:
    """The value at t_k is sample ``floor((t_k - start) / step)``; past the end it is missing."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self._gates = [
            (g.name, fixture.series.get(g.name)) for g in fixture.plan.gates if g.source is GateSource.PROMETHEUS
        ]

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        f = self.fixture
        i = (at - f.start) // f.step
        out: dict[str, Reading] = {}
        for name, series in self._gates:
            if series is None or i < 0:
                out[name] = Reading()
                continue
            canary = series.canary
            stable = series.stable
            c = canary[i] if i < len(canary) else None
            s = stable[i] if stable is not None and i < len(stable) else None
            error = PAST_END if i >= len(canary) else None
            stable_error = PAST_END if stable is not None and i >= len(stable) else None
            out[name] = Reading(c, s, error, stable_error)
        return out


class FixtureCluster:
    """Pods from the latest snapshot at or before the evaluation; weights are only remembered."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self._times = [fixture.start + snap.at for snap in fixture.pods]
        self.weights: list[int] = []

    def pods(self, at: datetime) -> Sequence[Pod] | None:
        i = bisect.bisect_right(self._times, at) - 1
        if i < 0:
            return None
        return self.fixture.pods[i].items

    def set_weight(self, canary_weight: int) -> None:
        self.weights.append(canary_weight)
