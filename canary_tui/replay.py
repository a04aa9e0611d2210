"""Replay adapters: a fixture's samples as the metrics source, its pod snapshots as the cluster."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime

from .core.checks import CheckOutcome
from .core.countsfixture import CountsCursor, CountsSeries
from .core.extensions import Check
from .core.fixture import Fixture, Samples
from .core.gates import Reading
from .core.model import GateSource, Plan
from .core.pods import Pod

PAST_END = "past the end of the recorded series"
_EMPTY = Reading()


class FixtureMetrics:
    """The value at t_k is sample ``floor((t_k - start) / step)``; past the end it is missing."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self._gates: list[tuple[str, Samples, int, Samples | None, int]] = []
        self._counts: list[tuple[str, CountsCursor]] = []  # counts gates: increments between evaluations
        for g in fixture.plan.gates:
            if g.source is not GateSource.PROMETHEUS:
                continue
            series = fixture.series.get(g.name)
            if isinstance(series, CountsSeries):
                self._counts.append((g.name, CountsCursor(series)))
            elif series is None:
                self._gates.append((g.name, [], 0, None, 0))
            else:
                stable = series.stable
                self._gates.append((g.name, series.canary, len(series.canary), stable, len(stable or ())))

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        f = self.fixture
        i = (at - f.start) // f.step
        out: dict[str, Reading] = {}
        if i < 0:
            return {name: _EMPTY for name, *_ in [*self._gates, *self._counts]}
        for name, canary, n_canary, stable, n_stable in self._gates:
            if i < n_canary:
                if stable is None:
                    out[name] = Reading(canary[i])
                elif i < n_stable:
                    out[name] = Reading(canary[i], stable[i])
                else:
                    out[name] = Reading(canary[i], None, None, PAST_END)
            else:
                out[name] = Reading(
                    None,
                    stable[i] if stable is not None and i < n_stable else None,
                    PAST_END,
                    PAST_END if stable is not None and i >= n_stable else None,
                )
        for name, cursor in self._counts:
            counts, why = cursor.take(i)
            out[name] = Reading(counts=counts) if counts is not None else Reading(error=why)
        return out


class FixtureChecks:
    """Phase-check results as recorded in the fixture's ``checks:``; a missing sample is no result."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture

    def run(self, checks: Sequence[Check], plan: Plan, at: datetime) -> Mapping[str, CheckOutcome]:
        f = self.fixture
        i = (at - f.start) // f.step
        out = {}
        for c in checks:
            row = f.checks.get(c.name, [])
            ok = row[i] if 0 <= i < len(row) else None
            if ok is None:
                out[c.name] = CheckOutcome(None, "not in the recording")
            else:
                out[c.name] = CheckOutcome(ok, "passed in the recording" if ok else "failed in the recording")
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
