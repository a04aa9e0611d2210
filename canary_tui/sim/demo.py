"""Wires the simulation for ``demo``: metrics, cluster, and the scenario's cue from phase changes."""

from __future__ import annotations

from ..core.events import Event, PhaseEntered
from ..core.model import Plan
from ..ports import Clock
from .checks import SimChecks
from .cluster import SimCluster
from .scenarios import Scenario
from .signals import SimMetrics


class DemoWorld:
    """The simulated world. Add it first among the controller's sinks: it places the scenario's
    fault when the phase that triggers it starts."""

    def __init__(self, plan: Plan, scenario: Scenario, clock: Clock, seed: int = 0) -> None:
        self.scenario = scenario
        self.metrics = SimMetrics(plan, scenario, seed)
        self.cluster = SimCluster(plan, clock, seed)
        self.checks = SimChecks(scenario)

    def emit(self, event: Event) -> None:
        if isinstance(event, PhaseEntered):
            self.metrics.on_phase(event.index, event.at)
            self.checks.on_phase(event.weight, event.at)
            if self.scenario.kind == "crashloop" and self.metrics.fault_from is not None:
                self.cluster.crash_from = self.metrics.fault_from
