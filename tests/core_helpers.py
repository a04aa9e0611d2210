"""Building plans and driving the rule in tests, without files or clocks."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from canary_tui.core import rule
from canary_tui.core.gates import Reading
from canary_tui.core.model import Plan
from canary_tui.core.planfile import parse_plan
from canary_tui.core.rule import Action, ActionKind, State
from canary_tui.core.source import Document

T0 = datetime(2026, 2, 19, 5, 33, tzinfo=UTC)

BASE: dict[str, Any] = {
    "apiVersion": "canary-tui/v1alpha1",
    "kind": "CanaryPlan",
    "metadata": {"name": "checkout", "namespace": "shop"},
    "spec": {
        "service": "checkout",
        "stable": {"version": "v1"},
        "canary": {"version": "v2"},
        "interval": "1m",
        "failureLimit": 2,
        "noDataLimit": 3,
        "minHealthScore": 80,
        "phases": [
            {"name": "canary", "weight": 5, "duration": "3m"},
            {"name": "expansion", "weight": 25, "duration": "3m", "gates": {"error_rate": {"failAbove": 0.10}}},
            {"name": "full", "weight": 100, "duration": "0s"},
        ],
        "gates": [
            {"name": "error_rate", "query": "e{v='{{version}}'}", "warnAbove": 0.01, "failAbove": 0.05},
            {"name": "latency_p99", "query": "l{v='{{version}}'}", "failAbove": 2.0, "maxRatioToStable": 1.5},
        ],
    },
}


def make_plan(**spec: Any) -> Plan:
    """The test plan (3 phases of 3m/3m/0s, 1m interval, two gates), with ``spec`` keys replaced."""
    data = copy.deepcopy(BASE)
    data["spec"].update(spec)
    return parse_plan(Document("test-plan.yaml", data))


GOOD = {"error_rate": (0.001, 0.001), "latency_p99": (0.2, 0.2)}


def readings(values: dict[str, Any] | None = None) -> dict[str, Reading]:
    """``{"gate": (canary, stable)}`` or ``{"gate": "error text"}``; unnamed gates are healthy."""
    out: dict[str, Reading] = {}
    merged = {**GOOD, **(values or {})}
    for name, v in merged.items():
        if isinstance(v, str):
            out[name] = Reading(error=v)
        else:
            out[name] = Reading(canary=v[0], stable=v[1])
    return out


@dataclass
class Run:
    """Drives the rule evaluation by evaluation, the way the controller does."""

    plan: Plan
    state: State = field(init=False)
    events: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        step = rule.start(self.plan, T0)
        self.state = step.state
        self.events.extend(step.events)

    @property
    def now(self) -> datetime:
        return rule.next_evaluation(self.plan, self.state)

    def eval_checks(
        self, outcomes: dict[str, bool | None], values: dict[str, Any] | None = None, actions: Iterable[ActionKind] = ()
    ) -> rule.Step:
        """One evaluation where the due checks gave ``outcomes`` (True pass, False fail, None no result)."""
        from canary_tui.core.checks import CheckOutcome, checks_due

        now = self.now
        due = {c.name for c in checks_due(self.state, self.plan, now)}
        results = {n: CheckOutcome(ok, "ok" if ok else "HTTP 500") for n, ok in outcomes.items() if n in due}
        acts = [Action(now, kind, "alice@laptop") for kind in actions]
        step = rule.advance(self.state, self.plan, now, acts, readings(values), results)
        self.state = step.state
        self.events.extend(step.events)
        return step

    def eval(
        self, values: dict[str, Any] | None = None, actions: Iterable[ActionKind] = (), actor: str = "alice@laptop"
    ) -> rule.Step:
        now = self.now
        acts = [Action(now, kind, actor) for kind in actions]
        step = rule.advance(self.state, self.plan, now, acts, readings(values))
        self.state = step.state
        self.events.extend(step.events)
        return step

    def phase(self) -> str:
        return self.plan.phases[self.state.phase_index].name

    def weights(self) -> tuple[int, int]:
        return self.state.stable_weight(self.plan), self.state.canary_weight(self.plan)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
