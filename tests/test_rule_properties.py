"""Invariants of the decision rule over random plans, observations and operator actions."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from canary_tui.core import rule
from canary_tui.core.checks import CheckOutcome
from canary_tui.core.events import Decided, Evaluated, Finished
from canary_tui.core.gates import Reading, Status
from canary_tui.core.planfile import parse_plan
from canary_tui.core.rule import Action, ActionKind, Outcome
from canary_tui.core.source import Document

from .core_helpers import T0

values = st.one_of(
    st.none(),
    st.just(math.nan),
    st.just(math.inf),
    st.floats(min_value=0, max_value=3, allow_nan=False),
    st.just("connection refused"),
)


@st.composite
def plans(draw: st.DrawFn) -> Any:
    n_phases = draw(st.integers(1, 4))
    weights = [*sorted(draw(st.sets(st.integers(1, 99), min_size=n_phases - 1, max_size=n_phases - 1))), 100]
    phases = [{"name": f"p{i}", "weight": w, "duration": f"{draw(st.integers(0, 4))}m"} for i, w in enumerate(weights)]
    gates = []
    for i in range(draw(st.integers(1, 3))):
        g: dict[str, Any] = {"name": f"g{i}", "query": "q", "weight": draw(st.sampled_from([1, 2]))}
        kind = draw(st.sampled_from(["above", "below", "ratio"]))
        if kind == "above":
            g.update(failAbove=1.0, warnAbove=0.5)
        elif kind == "below":
            g.update(failBelow=0.5, warnBelow=1.0)
        else:
            g.update(maxRatioToStable=1.5, failAbove=2.5)
        gates.append(g)
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "p"},
        "spec": {
            "service": "s",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "interval": "1m",
            "failureLimit": draw(st.integers(1, 3)),
            "noDataLimit": draw(st.integers(1, 4)),
            "minHealthScore": draw(st.sampled_from([0, 50, 80, 100])),
            "promotion": draw(st.sampled_from(["auto", "auto", "manual"])),
            "phases": phases,
            "gates": gates,
        },
    }
    if draw(st.booleans()):
        doc["spec"]["checks"] = [
            {"name": f"c{i}", "when": draw(st.sampled_from(["enter", "promote"])), "command": {"argv": ["true"]}}
            for i in range(draw(st.integers(1, 2)))
        ]
    return parse_plan(Document("p.yaml", doc))


@st.composite
def runs(draw: st.DrawFn) -> tuple[Any, list[Any]]:
    plan = draw(plans())
    steps = []
    for _ in range(draw(st.integers(1, 25))):
        obs = {}
        for g in plan.gates:
            v, s = draw(values), draw(values)
            if isinstance(v, str):
                obs[g.name] = Reading(error=v)
            else:
                warned = ('PromQL info: metric might not be a counter "x"',) if draw(st.integers(0, 9)) == 0 else ()
                obs[g.name] = Reading(canary=v, stable=None if isinstance(s, str) else s, warnings=warned)
        actions = draw(st.lists(st.sampled_from(list(ActionKind)), max_size=2)) if draw(st.integers(0, 5)) == 0 else []
        checks = {c.name: draw(st.sampled_from([True, True, False, None])) for c in plan.checks}
        steps.append((obs, actions, checks))
    return plan, steps


def play(plan: Any, steps: list[Any]) -> list[tuple[rule.State, tuple[Any, ...]]]:
    step = rule.start(plan, T0)
    state = step.state
    out = [(state, step.events)]
    for obs, kinds, checks in steps:
        now = rule.next_evaluation(plan, state)
        outcomes = {n: CheckOutcome(ok, "x") for n, ok in checks.items()}
        step = rule.advance(state, plan, now, [Action(now, k, "op") for k in kinds], obs, outcomes)
        state = step.state
        out.append((state, step.events))
    return out


@settings(max_examples=300, deadline=None)
@given(runs())
def test_never_promotes_past_a_failing_or_silent_gate(run: Any) -> None:
    plan, steps = run
    for _, events in play(plan, steps):
        evaluated = [e for e in events if isinstance(e, Evaluated)]
        if not evaluated:
            continue
        bad = any(r.status in (Status.FAIL, Status.NODATA) for r in (*evaluated[0].results, *evaluated[0].checks))
        after = events[events.index(evaluated[0]) + 1 :]
        if bad:
            assert not any(isinstance(e, Decided) and e.decision == "promote" for e in after)


@settings(max_examples=300, deadline=None)
@given(runs())
def test_weights_sum_to_100_and_rollback_ends_at_stable(run: Any) -> None:
    plan, steps = run
    for state, events in play(plan, steps):
        assert state.canary_weight(plan) + state.stable_weight(plan) == 100
        if state.outcome is Outcome.ROLLED_BACK:
            assert state.canary_weight(plan) == 0
        if state.outcome is Outcome.PROMOTED:
            assert state.canary_weight(plan) == 100
        results = [e for e in events if isinstance(e, Finished)]
        assert len(results) <= 1


@settings(max_examples=200, deadline=None)
@given(runs())
def test_counts_at_the_limit_always_roll_back(run: Any) -> None:
    plan, steps = run
    for state, _ in play(plan, steps):
        if state.outcome is None:
            assert all(n < plan.failure_limit for n in state.fails.values())
            assert all(n < plan.no_data_limit for n in state.nodata.values())
            assert all(n < plan.failure_limit for n in state.check_fails.values())
            assert all(n < plan.no_data_limit for n in state.check_nodata.values())


@settings(max_examples=100, deadline=None)
@given(runs())
def test_the_rule_is_deterministic(run: Any) -> None:
    plan, steps = run
    assert play(plan, steps) == play(plan, steps)


@settings(max_examples=200, deadline=None)
@given(runs())
def test_the_fast_evaluation_line_is_the_json_encoders_output(run: Any) -> None:
    import json

    from canary_tui.core.events import _encoder, to_line

    plan, steps = run
    for _, events in play(plan, steps):
        for e in events:
            if isinstance(e, Evaluated):
                assert to_line(e) == _encoder.encode(e.to_json())
                assert json.loads(to_line(e, {"run": "r1"}))["run"] == "r1"
