"""State and plan survive a trip through JSON: what state files, ConfigMaps and reports rely on."""

from __future__ import annotations

import json

from canary_tui.core.codec import plan_to_dict, state_from_dict, state_to_dict
from canary_tui.core.planfile import load_plan, parse_plan
from canary_tui.core.rule import ActionKind
from canary_tui.core.source import Document

from .conftest import PLANS
from .core_helpers import Run, make_plan


def test_a_state_round_trips_through_json() -> None:
    plan = make_plan(checks=[{"name": "smoke", "command": {"argv": ["true"]}}])
    run = Run(plan)
    run.eval({"error_rate": (0.2, 0.0)}, actions=(ActionKind.HOLD,))
    run.eval({"latency_p99": (float("inf"), 0.2)})
    data = json.loads(json.dumps(state_to_dict(run.state)))
    assert state_from_dict(data, plan) == run.state


def test_a_state_of_another_plan_is_refused() -> None:
    import pytest

    run = Run(make_plan())
    data = state_to_dict(run.state)
    other = make_plan(gates=[{"name": "error_rate", "query": "x", "failAbove": 1}])
    with pytest.raises(ValueError, match="gates"):
        state_from_dict(data, other)


def test_the_plan_document_reads_back_as_the_same_plan() -> None:
    plan = load_plan(PLANS / "seed.yaml")
    again = parse_plan(Document("again.yaml", json.loads(json.dumps(plan_to_dict(plan)))))
    assert (again.phases, again.gates, again.interval, again.traffic, again.stable) == (
        plan.phases,
        plan.gates,
        plan.interval,
        plan.traffic,
        plan.stable,
    )


def test_checks_and_notify_survive_the_plan_document() -> None:
    plan = make_plan(
        checks=[
            {
                "name": "smoke",
                "when": "enter",
                "phases": ["canary"],
                "timeout": "5s",
                "http": {"url": "http://x/{{version}}", "bodyContains": "ok", "headers": {"A": "${TOKEN}"}},
            },
            {"name": "feature", "command": {"argv": ["./t.sh", "-q"]}},
        ],
        notify=[{"name": "slack", "format": "slack", "urlEnv": "HOOK", "events": ["rollback", "result"]}],
    )
    again = parse_plan(Document("again.yaml", json.loads(json.dumps(plan_to_dict(plan)))))
    assert again.checks == plan.checks and again.notify == plan.notify
