"""Simulated phase checks for the demo: they pass, unless the scenario breaks the smoke test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..core.checks import CheckOutcome
from ..core.extensions import Check
from ..core.model import Plan
from .scenarios import Scenario


class SimChecks:
    """Every check passes; in a ``smoke`` scenario they fail from the first phase at or above
    the scenario's trigger weight, as a broken v2 endpoint would."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.broken_from: datetime | None = None

    def on_phase(self, weight: int, at: datetime) -> None:
        if self.scenario.kind == "smoke" and self.broken_from is None and weight >= self.scenario.trigger_weight:
            self.broken_from = at

    def run(self, checks: Sequence[Check], plan: Plan, at: datetime) -> Mapping[str, CheckOutcome]:
        broken = self.broken_from is not None and at >= self.broken_from
        out = {}
        for c in checks:
            target = c.http.url if c.http else " ".join(c.command.argv) if c.command else c.name
            target = target.replace("{{service}}", plan.service).replace("{{version}}", plan.canary.version)
            target = target.replace("{{namespace}}", plan.namespace)
            if broken:
                out[c.name] = CheckOutcome(False, f"GET {target}: HTTP 503, want 200")
            else:
                out[c.name] = CheckOutcome(True, f"GET {target}: HTTP 200")
        return out
