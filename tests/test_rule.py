"""The decision rule, clause by clause (contract section 2): observations and actions in, the
phase, weights, counts, outcome and reason after each evaluation out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from canary_tui.core import rule
from canary_tui.core.events import ActionTaken, Decided, Finished, PhaseEntered
from canary_tui.core.gates import Status
from canary_tui.core.rule import ActionKind, Outcome

from .core_helpers import T0, Run, make_plan, minutes, readings

HOLD, RESUME, ROLLBACK, PROMOTE = ActionKind.HOLD, ActionKind.RESUME, ActionKind.ROLLBACK, ActionKind.PROMOTE
INF = math.inf


@dataclass
class S:
    """One evaluation: what was seen and done, and what must hold afterwards."""

    values: dict[str, Any] | None = None
    actions: tuple[ActionKind, ...] = ()
    phase: str | None = None
    weights: tuple[int, int] | None = None  # (stable, canary)
    status: dict[str, str] = field(default_factory=dict)
    fails: dict[str, int] = field(default_factory=dict)
    nodata: dict[str, int] = field(default_factory=dict)
    outcome: Outcome | None = None
    reason: str | None = None  # substring of the state's reason
    score: float | None = None
    held: bool | None = None


BAD_ERR = {"error_rate": (0.2, 0.001)}  # fails in every phase

CASES: dict[str, tuple[dict[str, Any], list[S]]] = {
    # step 4: promotion after the soak, with the next phase's start at t_k
    "promotes when the soak is served and all gates pass": (
        {},
        [
            S(phase="canary", weights=(95, 5)),
            S(phase="canary"),
            S(phase="canary"),
            S(phase="expansion", weights=(75, 25)),  # t=3m: soaked 3m >= 3m
            S(),
            S(),
            S(phase="full", weights=(0, 100)),  # t=6m
            S(outcome=Outcome.PROMOTED, weights=(0, 100), reason="full soaked 1m0s"),  # 7m
        ],
    ),
    # step 2: fail above; step 3: rollback after failureLimit consecutive fails
    "rolls back after failureLimit consecutive fails": (
        {},
        [
            S(BAD_ERR, status={"error_rate": "fail"}, fails={"error_rate": 1}, outcome=None),
            S(
                BAD_ERR,
                fails={"error_rate": 2},
                outcome=Outcome.ROLLED_BACK,
                weights=(100, 0),
                reason="error_rate 0.20 > 0.05 for 2 consecutive evaluations",
            ),
        ],
    ),
    # consecutive, not cumulative: any other status resets the count
    "a pass between fails resets the count": (
        {},
        [
            S(BAD_ERR, fails={"error_rate": 1}),
            S(fails={"error_rate": 0}),
            S(BAD_ERR, fails={"error_rate": 1}),
            S({"error_rate": (0.02, 0.0)}, status={"error_rate": "warn"}, fails={"error_rate": 0}),
            S(BAD_ERR, fails={"error_rate": 1}, outcome=None),
        ],
    ),
    "nodata resets the fail count and fail resets the nodata count": (
        {},
        [
            S(BAD_ERR, fails={"error_rate": 1}),
            S({"error_rate": (None, 0.0)}, fails={"error_rate": 0}, nodata={"error_rate": 1}),
            S(BAD_ERR, fails={"error_rate": 1}, nodata={"error_rate": 0}, outcome=None),
        ],
    ),
    # step 2 nodata, step 3 noDataLimit
    "rolls back after noDataLimit consecutive nodata, naming the reason": (
        {},
        [
            S({"error_rate": "connection refused"}, status={"error_rate": "nodata"}, nodata={"error_rate": 1}),
            S({"error_rate": (None, None)}, nodata={"error_rate": 2}),
            S(
                {"error_rate": (math.nan, 0.1)},
                nodata={"error_rate": 3},
                outcome=Outcome.ROLLED_BACK,
                weights=(100, 0),
                reason="error_rate no data for 3 consecutive evaluations (empty result)",
            ),
        ],
    ),
    # relative gate: fail when s > 0 and v > s * ratio; stable missing is nodata; s = 0 ignores ratio
    "a relative gate compares with stable": (
        {},
        [
            S({"latency_p99": (0.31, 0.2)}, status={"latency_p99": "fail"}),
            S({"latency_p99": (0.29, 0.2)}, status={"latency_p99": "pass"}),
            S({"latency_p99": (0.29, None)}, status={"latency_p99": "nodata"}),
            S({"latency_p99": (0.5, 0.0)}, status={"latency_p99": "pass"}),
        ],
    ),
    "+Inf is a number and fails; NaN is no data": (
        {},
        [
            S({"latency_p99": (INF, 0.2)}, status={"latency_p99": "fail"}),
            S({"latency_p99": (math.nan, 0.2)}, status={"latency_p99": "nodata"}),
            S({"error_rate": (-INF, 0.0)}, status={"error_rate": "pass"}),
        ],
    ),
    "fail below and warn below": (
        {
            "gates": [
                {"name": "error_rate", "query": "e", "failAbove": 0.05},
                {"name": "cache_hit_ratio", "query": "c", "failBelow": 0.8, "warnBelow": 0.9},
            ]
        },
        [
            S({"cache_hit_ratio": (0.79, 0.9)}, status={"cache_hit_ratio": "fail"}),
            S({"cache_hit_ratio": (0.85, 0.9)}, status={"cache_hit_ratio": "warn"}),
            S({"cache_hit_ratio": (0.95, 0.9)}, status={"cache_hit_ratio": "pass"}),
        ],
    ),
    # per-phase override: expansion fails only above 0.10; the next evaluation uses the new phase
    "a phase override applies from the evaluation after entering the phase": (
        {},
        [
            S({"error_rate": (0.07, 0.0)}, fails={"error_rate": 1}),
            S(),
            S(),
            S(phase="expansion"),  # 3m: promoted; this evaluation still used canary's thresholds
            S({"error_rate": (0.07, 0.0)}, status={"error_rate": "warn"}, fails={"error_rate": 0}),
            S({"error_rate": (0.11, 0.0)}, status={"error_rate": "fail"}),
        ],
    ),
    # only an operator promote can enter a phase with a count running (auto needs all pass/warn)
    "entering a phase does not reset the counts": (
        {},
        [
            S({"error_rate": "timeout"}, nodata={"error_rate": 1}),
            S({"error_rate": "timeout"}, nodata={"error_rate": 2}),
            S(
                {"error_rate": "timeout"},
                actions=(PROMOTE,),
                phase="expansion",
                nodata={"error_rate": 3},
                outcome=Outcome.ROLLED_BACK,
                reason="error_rate no data for 3 consecutive evaluations (timeout)",
            ),
        ],
    ),
    # health score = 100 * sum(weight * credit) / sum(weight)
    "the health score weighs credits and blocks promotion below minHealthScore": (
        {
            "gates": [
                {"name": "error_rate", "query": "e", "warnAbove": 0.01, "failAbove": 0.05, "weight": 3},
                {"name": "latency_p99", "query": "l", "warnAbove": 0.5, "failAbove": 2.0, "weight": 1},
            ]
        },
        [
            S({"error_rate": (0.02, 0.0)}, score=62.5),  # (3*0.5 + 1) / 4
            S({"error_rate": (0.02, 0.0), "latency_p99": (0.6, 0.0)}, score=50.0),
            S({"error_rate": (0.02, 0.0)}, score=62.5, phase="canary"),
            S({"error_rate": (0.02, 0.0)}, phase="canary"),  # 3m: soaked, no fail, but 62.5 < 80
            S(score=100.0, phase="expansion"),  # 4m
        ],
    ),
    "a nodata gate blocks promotion without a rollback": (
        {},
        [S(), S(), S(), S({"error_rate": "timeout"}, phase="canary", outcome=None), S(phase="expansion")],
    ),
    # step 1: operator actions
    "hold stops promotion, resume lets it go on": (
        {},
        [
            S(actions=(HOLD,), held=True),
            S(),
            S(),
            S(phase="canary", held=True),  # 3m: held
            S(actions=(RESUME,), phase="expansion", held=False),  # 4m
        ],
    ),
    "hold does not stop a rollback": (
        {},
        [S(BAD_ERR, actions=(HOLD,)), S(BAD_ERR, outcome=Outcome.ROLLED_BACK)],
    ),
    "operator rollback is immediate": (
        {},
        [
            S(),
            S(actions=(ROLLBACK,), outcome=Outcome.ROLLED_BACK, weights=(100, 0), reason="rolled back by alice@laptop"),
        ],
    ),
    "operator promote enters the next phase now": (
        {},
        [S(), S(actions=(PROMOTE,), phase="expansion", weights=(75, 25)), S(), S(phase="expansion"), S(phase="full")],
    ),
    "operator promote is refused after an evaluation with a failing gate": (
        {},
        [
            S(BAD_ERR),
            S(actions=(PROMOTE,), phase="canary"),  # refused: previous evaluation failed
            S(actions=(PROMOTE,), phase="expansion"),  # previous passed: accepted
        ],
    ),
    "operator promote in the last phase finishes": (
        {"promotion": "manual"},
        [
            S(actions=(PROMOTE,), phase="expansion"),
            S(actions=(PROMOTE,), phase="full"),
            S(actions=(PROMOTE,), outcome=Outcome.PROMOTED, weights=(0, 100), reason="promoted by alice@laptop"),
        ],
    ),
    "manual promotion never promotes by itself": (
        {"promotion": "manual"},
        [S(), S(), S(), S(phase="canary"), S(), S(), S(), S(phase="canary")],
    ),
    "actions after the outcome are refused": (
        {},
        [
            S(actions=(ROLLBACK,), outcome=Outcome.ROLLED_BACK),
            S(actions=(PROMOTE,), outcome=Outcome.ROLLED_BACK, weights=(100, 0)),
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_clause(name: str) -> None:
    spec, steps = CASES[name]
    run = Run(make_plan(**spec))
    for i, s in enumerate(steps):
        run.eval(s.values, s.actions)
        where = f"{name}: evaluation {i} (t={i}m)"
        last = run.state.last
        if s.phase is not None:
            assert run.phase() == s.phase, where
        if s.weights is not None:
            assert run.weights() == s.weights, where
        assert sum(run.weights()) == 100, where
        for gate, status in s.status.items():
            assert last is not None and last.result(gate).status == Status(status), where  # type: ignore[union-attr]
        for gate, n in s.fails.items():
            assert run.state.fails[gate] == n, where
        for gate, n in s.nodata.items():
            assert run.state.nodata[gate] == n, where
        if s.outcome is not None or i == len(steps) - 1:
            assert run.state.outcome == s.outcome, where
        if s.reason is not None:
            assert s.reason in run.state.reason, where
        if s.score is not None:
            assert last is not None and last.health_score == pytest.approx(s.score), where
        if s.held is not None:
            assert run.state.held == s.held, where


def test_start_enters_phase_zero_at_t0() -> None:
    step = rule.start(make_plan(), T0)
    assert step.events == (PhaseEntered(T0, "canary", 0, 5),)
    assert step.state.canary_weight(make_plan()) == 5


def test_evaluations_are_on_the_interval_grid() -> None:
    run = Run(make_plan(interval="90s"))
    times = []
    for _ in range(4):
        times.append(run.now)
        run.eval()
    assert times == [T0 + minutes(1.5 * k) for k in range(4)]


def test_the_next_phase_starts_at_the_promoting_evaluation() -> None:
    run = Run(make_plan())
    for _ in range(4):
        run.eval()
    assert run.phase() == "expansion"
    assert run.state.phase_start == T0 + minutes(3)


def test_refused_promote_is_logged_with_its_reason() -> None:
    run = Run(make_plan())
    run.eval(BAD_ERR)
    step = run.eval(actions=(PROMOTE,))
    refused = [e for e in step.events if isinstance(e, ActionTaken)]
    assert len(refused) == 1 and not refused[0].accepted
    assert "error_rate 0.20 > 0.05" in refused[0].reason
    assert refused[0].actor == "alice@laptop"


def test_rollback_events_name_gate_value_threshold_and_count() -> None:
    run = Run(make_plan())
    run.eval(BAD_ERR)
    step = run.eval(BAD_ERR)
    kinds = [type(e).__name__ for e in step.events]
    assert kinds == ["Evaluated", "Decided", "Finished"]
    decision = step.events[1]
    assert isinstance(decision, Decided) and decision.decision == "rollback" and decision.phase == "canary"
    assert decision.reason == "error_rate 0.20 > 0.05 for 2 consecutive evaluations"
    result = step.events[2]
    assert isinstance(result, Finished) and result.outcome == "RolledBack" and result.elapsed == minutes(1)


def test_nodata_keeps_the_query_error_as_its_reason() -> None:
    run = Run(make_plan())
    run.eval({"error_rate": "Get http://prom:9090: connection refused"})
    result = run.state.last.result("error_rate")  # type: ignore[union-attr]
    assert result is not None and result.status is Status.NODATA
    assert result.reason == "Get http://prom:9090: connection refused"
    run.eval({"error_rate": (None, 0.1)})
    assert run.state.last.result("error_rate").reason == "empty result"  # type: ignore[union-attr]


def test_actions_only_step_does_not_evaluate() -> None:
    run = Run(make_plan())
    step = rule.advance(run.state, run.plan, T0 + minutes(0.5), [rule.Action(T0, HOLD, "bob")], None)
    assert step.state.held and step.state.evaluations == 0
    assert [type(e).__name__ for e in step.events] == ["ActionTaken"]


def test_incomplete_names_the_reason_and_keeps_the_phase() -> None:
    run = Run(make_plan())
    run.eval()
    step = rule.finish_incomplete(run.state, run.plan, T0, "the fixture's samples ran out")
    assert step.state.outcome is Outcome.INCOMPLETE
    assert isinstance(step.events[-1], Finished) and step.events[-1].phase == "canary"
    assert step.state.canary_weight(run.plan) == 5  # quitting never moves traffic


def test_waiting_for_says_what_blocks() -> None:
    plan = make_plan()
    run = Run(plan)
    run.eval()
    assert rule.waiting_for(run.state, plan, T0) == "promotes in 3m0s"
    run.eval({"error_rate": "empty result"})
    assert "waiting for data: error_rate" in rule.waiting_for(run.state, plan, T0)
    run.eval(actions=(HOLD,))
    assert rule.waiting_for(run.state, plan, T0) == "held by alice@laptop"


def test_source_warnings_are_kept_with_the_result_and_in_the_json() -> None:
    import json

    from canary_tui.core.events import to_line
    from canary_tui.core.gates import Reading

    plan = make_plan()
    run = Run(plan)
    readings = {
        "error_rate": Reading(0.001, 0.001, warnings=("metric might not be a counter",)),
        "latency_p99": Reading(0.2, 0.2),
    }
    step = rule.advance(run.state, plan, run.now, [], readings)
    result = step.state.last.result("error_rate")  # type: ignore[union-attr]
    assert result is not None and result.warnings == ("metric might not be a counter",)
    line = json.loads(to_line(step.events[0]))
    assert line["gates"]["error_rate"]["warnings"] == ["metric might not be a counter"]
    assert "warnings" not in line["gates"]["latency_p99"]


def test_no_promotion_while_the_weight_is_not_applied_but_rollback_still_happens() -> None:
    plan = make_plan()
    run = Run(plan)
    for _ in range(3):
        run.eval()
    step = rule.advance(run.state, plan, run.now, [], readings(), may_promote=False)
    assert plan.phases[step.state.phase_index].name == "canary"  # soaked, healthy, yet not promoted
    bad = readings({"error_rate": (0.2, 0.0)})
    s1 = rule.advance(step.state, plan, T0 + minutes(4), [], bad, may_promote=False).state
    s2 = rule.advance(s1, plan, T0 + minutes(5), [], bad, may_promote=False).state
    assert s2.outcome is Outcome.ROLLED_BACK
