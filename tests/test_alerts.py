"""The metrics-unavailable alert (core/alerts.py): when it fires, what it says, and when notifications
hear about it (start, a change of reasons, end) while the screen and the logs hear it every time."""

from __future__ import annotations

import pytest

from canary_tui.core import rule
from canary_tui.core.alerts import alert_line, blindness, metrics_alert
from canary_tui.core.gates import Reading

from .core_helpers import Run, make_plan

DOWN = "connection refused"
SLOW = "deadline 0.4s exceeded"
POD_GATE = {"name": "restarts", "source": "pods", "signal": "restarts", "failAbove": 0}
GATES = [
    {"name": "error_rate", "query": "e{v='{{version}}'}", "warnAbove": 0.01, "failAbove": 0.05},
    {"name": "latency_p99", "query": "l{v='{{version}}'}", "failAbove": 2.0, "maxRatioToStable": 1.5},
]


def blind(run: Run, values: dict[str, object]) -> str | None:
    run.eval(values)
    return metrics_alert(run.plan, run.state)


def test_every_query_gate_without_an_answer_is_said_with_the_time_left_before_no_data_limit():
    run = Run(make_plan())  # noDataLimit 3, interval 1m
    assert blind(run, {}) is None
    first = blind(run, {"error_rate": DOWN, "latency_p99": DOWN})
    assert first == (
        "metrics unavailable: connection refused (all 2 query gates nodata, 1/3); rollback in 2m0s if it persists"
    )
    second = blind(run, {"error_rate": DOWN, "latency_p99": DOWN})
    assert second is not None and second.endswith("(all 2 query gates nodata, 2/3); rollback in 1m0s if it persists")
    assert blind(run, {"error_rate": DOWN, "latency_p99": DOWN}) is None  # rolled back: the result says it
    assert run.state.outcome is not None and run.state.outcome.value == "RolledBack"


def test_mixed_reasons_are_each_said_once_and_a_third_is_elided():
    plan = make_plan(gates=[*GATES, {"name": "saturation", "query": "s{v='{{version}}'}", "failAbove": 0.9}])
    run = Run(plan)
    two = blind(run, {"error_rate": DOWN, "latency_p99": SLOW, "saturation": DOWN})
    assert two is not None and two.startswith(f"metrics unavailable: {DOWN}; {SLOW} (all 3 query gates nodata, 1/3)")
    run = Run(plan)
    three = blind(run, {"error_rate": DOWN, "latency_p99": SLOW, "saturation": "HTTP 502 Bad Gateway"})
    assert three is not None and three.startswith(f"metrics unavailable: {DOWN}; {SLOW}; ... (all 3 query gates")


def test_a_stable_side_failure_is_the_same_reason():
    run = Run(make_plan())
    readings = {"error_rate": Reading(error=DOWN), "latency_p99": Reading(canary=0.2, stable_error=DOWN)}
    run.state = rule.advance(run.state, run.plan, run.now, [], readings).state  # relative gate: stable missing
    text = metrics_alert(run.plan, run.state)
    assert text is not None and text.startswith(f"metrics unavailable: {DOWN} (all 2 query gates nodata")


def test_a_plan_with_a_single_query_gate():
    run = Run(make_plan(gates=[GATES[0]]))
    text = blind(run, {"error_rate": SLOW})
    assert text == f"metrics unavailable: {SLOW} (the query gate nodata, 1/3); rollback in 2m0s if it persists"


def test_pod_gates_are_not_metrics():
    run = Run(make_plan(gates=[*GATES, POD_GATE]))
    text = blind(run, {"error_rate": DOWN, "latency_p99": DOWN, "restarts": (0, None)})
    assert text is not None and "(all 2 query gates nodata" in text  # the pods still answer: Prometheus is down
    run = Run(make_plan(gates=[*GATES, POD_GATE]))
    assert blind(run, {"restarts": "pods unreadable"}) is None  # the query gates have data


@pytest.mark.parametrize(
    "reason",
    [
        "empty result",
        "NaN (0/0? no requests in the rate window)",
        "query returned 3 series; aggregate it",
        "warming up",
    ],
)
def test_answers_that_say_no_value_are_not_an_outage(reason):
    """A canary without traffic answers "empty result": the gate judges that, it is not Prometheus down."""
    run = Run(make_plan())
    assert blind(run, {"error_rate": reason, "latency_p99": DOWN}) is None
    assert blind(run, {"error_rate": reason, "latency_p99": reason}) is None


def test_one_gate_with_data_is_no_outage():
    run = Run(make_plan())
    assert blind(run, {"error_rate": DOWN}) is None


def test_notifications_hear_the_start_a_change_of_reasons_and_the_end_not_every_evaluation():
    run = Run(make_plan(noDataLimit=10))
    said = []
    before, blind_for = None, 0
    for values in (
        {},
        {"error_rate": DOWN, "latency_p99": DOWN},  # starts
        {"error_rate": DOWN, "latency_p99": DOWN},  # the same: the count moves
        {"error_rate": DOWN, "latency_p99": SLOW},  # a reason more
        {"error_rate": SLOW, "latency_p99": DOWN},  # the same two, other gates
        {},  # over
        {},
    ):
        run.eval(values)
        now = blindness(run.plan, run.state)
        said.append(alert_line(before, now, blind_for, run.state.done))
        blind_for = blind_for + 1 if now is not None else 0
        before = now
    assert said[0] is None and said[6] is None
    news = [s[1] if s else None for s in said]
    assert news == [None, True, False, True, False, True, None]
    assert said[1] is not None and said[1][0].startswith(
        f"metrics unavailable: {DOWN} (all 2 query gates nodata, 1/10)"
    )
    assert said[2] is not None and "2/10" in said[2][0]
    assert said[5] == (
        f"metrics available again: query gates have data after 4 evaluations without ({SLOW}; {DOWN})",
        True,
    )


def test_a_release_that_ends_blind_is_not_said_to_see_again():
    run = Run(make_plan())
    before, blind_for = None, 0
    for _ in range(3):
        run.eval({"error_rate": DOWN, "latency_p99": DOWN})
        now = blindness(run.plan, run.state)
        last = alert_line(before, now, blind_for, run.state.done)
        blind_for, before = blind_for + 1, now
    assert run.state.done and last is None
