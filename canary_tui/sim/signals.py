"""Simulated golden signals: seeded, deterministic, noisy like real traffic, shaped by a scenario."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from ..core.gates import Reading
from ..core.model import CountsJudge, Gate, GateSource, Plan
from .scenarios import Scenario
from .traffic import Traffic, TrafficSim

# Typical values of v1, from the seed's live table; other gates get one derived from thresholds.
BASELINES = {
    "error_rate": 0.0008,
    "latency_p99": 0.185,
    "latency_p95": 0.145,
    "latency_p50": 0.060,
    "cpu_usage": 0.38,
    "memory_usage": 0.52,
    "cache_hit_ratio": 0.942,
    "db_connection_usage": 0.08,
}
GAP_ERROR = 'Get "http://prometheus:9090/api/v1/query": dial tcp 10.96.0.12:9090: connect: connection refused'


def baseline(gate: Gate) -> float:
    """A healthy value for the gate: known signals from the seed, else well inside its thresholds."""
    if gate.name in BASELINES:
        return BASELINES[gate.name]
    t = gate.thresholds
    if t.fail_below is not None:
        top = t.warn_below if t.warn_below is not None else t.fail_below
        return top + (1 - top) * 0.6 if top < 1 else top * 1.4
    if t.warn_above is not None:
        return t.warn_above * 0.5
    if t.fail_above is not None:
        return t.fail_above * 0.3 if t.fail_above > 0 else 0.0
    return 1.0


class SimMetrics:
    """Readings for every query gate. ``trigger`` gives the time the scenario's fault starts."""

    def __init__(self, plan: Plan, scenario: Scenario, seed: int = 0) -> None:
        self.plan = plan
        self.scenario = scenario
        self.seed = seed
        self.fault_from: datetime | None = None
        self.fault_until: datetime | None = None
        self._gates = [g for g in plan.gates if g.source is GateSource.PROMETHEUS]
        # plans with judges read request traffic: counts for counts gates, p99s for the others
        self.traffic = (
            TrafficSim(Traffic(rps=2000, error_rate=0.005, pod_spread=0.05), seed, 0.0)
            if any(g.judge is not None for g in self._gates)
            else None
        )

    def on_phase(self, index: int, at: datetime) -> None:
        """Told by the demo when a phase starts, to place the scenario's fault."""
        sc = self.scenario
        if sc.kind == "none" or self.fault_from is not None:
            return
        if self.plan.phases[index].weight < sc.trigger_weight:
            return
        if sc.kind == "gap":
            self.fault_from = at + self.plan.phases[index].duration
            self.fault_until = self.fault_from + timedelta(seconds=sc.delay_s)
        else:
            self.fault_from = at + timedelta(seconds=sc.delay_s)

    def faulty(self, at: datetime) -> bool:
        if self.fault_from is None or at < self.fault_from:
            return False
        return self.fault_until is None or at < self.fault_until

    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        fault = self.faulty(at)
        kind = self.scenario.kind
        if fault and kind == "gap":
            return {g.name: Reading(error=GAP_ERROR, stable_error=GAP_ERROR) for g in self._gates}
        weight = plan.phases[phase_index].weight
        stamp = int(at.timestamp())
        out: dict[str, Reading] = {}
        if self.traffic is not None:
            out.update(self._traffic(plan, weight, at, fault))
        for gate in self._gates:
            if gate.name in out:
                continue
            rng = random.Random(f"{self.seed}:{gate.name}:{stamp}")
            base = baseline(gate)
            stable = _noisy(base, rng, gate)
            canary = _noisy(base * _load(gate, weight), rng, gate)
            if fault and kind == "errors" and "error" in gate.name:
                canary = 0.12 * (0.95 + 0.1 * rng.random())
            if fault and kind == "latency" and "latency" in gate.name:
                canary = stable * (1.75 + 0.1 * rng.random())
            out[gate.name] = Reading(canary=round(canary, 6), stable=round(stable, 6))
        return out

    def _traffic(self, plan: Plan, weight: int, at: datetime, fault: bool) -> dict[str, Reading]:
        """One interval of simulated requests, read by every gate of an error or latency signal."""
        assert self.traffic is not None
        kind = self.scenario.kind
        ratio = {"double-errors": 2.0, "errors": 24.0}.get(kind, 1.0) if fault else 1.0
        shift = 0.8 if fault and kind == "latency" else 0.0
        x, n, y, m, lat_c, lat_s = self.traffic.interval(
            at.timestamp(), plan.interval.total_seconds(), weight, ratio, shift
        )
        out: dict[str, Reading] = {}
        for gate in self._gates:
            if isinstance(gate.judge, CountsJudge):
                out[gate.name] = Reading(counts=(x, n, y, m))
            elif "error" in gate.name:
                out[gate.name] = Reading(x / n if n else None, y / m if m else None)
            elif gate.judge is not None or "latency_p99" in gate.name:
                out[gate.name] = Reading(round(lat_c, 6), round(lat_s, 6))
        return out


def _load(gate: Gate, weight: int) -> float:
    """More traffic on v2 warms its cache and loads it a little: small, believable drift."""
    if "latency" in gate.name or "cpu" in gate.name:
        return 1.0 + 0.04 * weight / 100
    return 1.0


def _noisy(value: float, rng: random.Random, gate: Gate) -> float:
    """Log-normal jitter, and now and then a short blip, like real traffic."""
    if value == 0:
        return 0.0
    ratio = gate.name.endswith("ratio") or (gate.thresholds.fail_below is not None and value <= 1)
    if ratio and value <= 1:
        # a ratio near 1 jitters in its distance to 1
        miss = (1 - value) * math.exp(rng.gauss(0, 0.12))
        return max(0.0, 1 - miss)
    jitter = math.exp(rng.gauss(0, 0.05))
    if rng.random() < 0.03:
        jitter *= 1.25
    return value * jitter
