"""Replay adapters: a fixture's samples as the metrics source, its pod snapshots as the cluster."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Mapping, Sequence
from datetime import datetime

from .core.checks import CheckOutcome
from .core.countsfixture import CountsCursor, CountsSeries
from .core.extensions import Check
from .core.fixture import Fixture
from .core.gates import Reading
from .core.model import GateSource, Plan
from .core.pods import Pod
from .core.samples import doubles

PAST_END = "past the end of the recorded series"
_EMPTY = Reading()
_NAN = float("nan")
_new = tuple.__new__  # Reading(...) without its keyword handling: what NamedTuple._make does
assert Reading._fields == ("canary", "stable", "error", "stable_error", "warnings", "counts")  # as built below


class FixtureMetrics:
    """The value at t_k is sample ``floor((t_k - start) / step)``; past the end it is missing."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self._gates: list[tuple[str, array[float], int, array[float] | None, int]] = []
        self._counts: list[tuple[str, CountsCursor]] = []  # counts gates: increments between evaluations
        for g in fixture.plan.gates:
            if g.source is not GateSource.PROMETHEUS:
                continue
            series = fixture.series.get(g.name)
            if isinstance(series, CountsSeries):
                self._counts.append((g.name, CountsCursor(series)))
            elif series is None:
                self._gates.append((g.name, doubles(()), 0, None, 0))
            else:
                # the samples' doubles, read by index (NaN = no data): a day at 1 s is 1.4 million reads
                canary, stable = doubles(series.canary), None if series.stable is None else doubles(series.stable)
                self._gates.append((g.name, canary, len(canary), stable, len(stable) if stable is not None else 0))
        self._start, self._step = fixture.start, fixture.step

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        i = (at - self._start) // self._step
        out: dict[str, Reading] = {}
        if i < 0:
            return {name: _EMPTY for name in [g[0] for g in self._gates] + [c[0] for c in self._counts]}
        new = _new
        for name, canary, n_canary, stable, n_stable in self._gates:
            if i < n_canary:
                x = canary[i]
                c = x if x == x else None  # NaN: no data at that sample
                if stable is None:
                    out[name] = new(Reading, (c, None, None, None, (), None))
                elif i < n_stable:
                    y = stable[i]
                    out[name] = new(Reading, (c, y if y == y else None, None, None, (), None))
                else:
                    out[name] = Reading(c, None, None, PAST_END)
            else:
                y = stable[i] if stable is not None and i < n_stable else _NAN
                out[name] = Reading(
                    None,
                    y if y == y else None,
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
