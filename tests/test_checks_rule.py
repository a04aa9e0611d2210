"""Phase checks in the decision rule: due when they should be, blocking and rolling back like gates."""

from __future__ import annotations

from canary_tui.core.checks import checks_due
from canary_tui.core.gates import Status
from canary_tui.core.rule import Outcome

from .core_helpers import Run, make_plan

SMOKE = {"name": "smoke", "when": "promote", "http": {"url": "http://checkout.shop/healthz"}}
ENTER = {"name": "feature_tests", "when": "enter", "command": {"argv": ["./feature-tests.sh"]}, "phases": ["expansion"]}


def statuses(run: Run) -> dict[str, str]:
    assert run.state.last is not None
    return {c.name: c.status.value for c in run.state.last.checks}


def test_a_promote_check_runs_once_the_soak_is_served_and_gates_promotion() -> None:
    run = Run(make_plan(checks=[SMOKE]))
    for _ in range(3):  # 0m, 1m, 2m: soak (3m) not served
        assert checks_due(run.state, run.plan, run.now) == ()
        run.eval_checks({"smoke": True})
        assert statuses(run) == {"smoke": "skip"}
    assert [c.name for c in checks_due(run.state, run.plan, run.now)] == ["smoke"]
    run.eval_checks({"smoke": False})  # 3m: soaked, gates pass, smoke fails -> no promotion
    assert run.phase() == "canary" and statuses(run) == {"smoke": "fail"}
    assert run.state.check_fails["smoke"] == 1
    run.eval_checks({"smoke": True})  # 4m: passes -> promoted
    assert run.phase() == "expansion"
    assert run.state.check_fails["smoke"] == 0


def test_a_check_failing_failure_limit_times_rolls_back() -> None:
    run = Run(make_plan(checks=[SMOKE]))
    for _ in range(3):
        run.eval_checks({})
    run.eval_checks({"smoke": False})
    run.eval_checks({"smoke": False})
    assert run.state.outcome is Outcome.ROLLED_BACK
    assert run.weights() == (100, 0)
    assert run.state.reason == "check smoke failed for 2 consecutive evaluations (HTTP 500)"


def test_a_check_without_result_counts_against_no_data_limit() -> None:
    run = Run(make_plan(checks=[SMOKE]))
    for _ in range(3):
        run.eval_checks({})
    for _ in range(3):  # noDataLimit 3
        run.eval_checks({"smoke": None})
    assert run.state.outcome is Outcome.ROLLED_BACK
    assert "check smoke had no result for 3 consecutive evaluations" in run.state.reason


def test_an_enter_check_runs_in_its_phases_until_it_passes() -> None:
    run = Run(make_plan(checks=[ENTER]))
    for _ in range(4):  # canary: not for this phase; promoted at 3m
        run.eval_checks({"feature_tests": True})
        if run.phase() == "canary":
            assert statuses(run) == {"feature_tests": "skip"}
    assert run.phase() == "expansion"
    run.eval_checks({"feature_tests": False})  # 4m: first evaluation in expansion, fails
    assert statuses(run) == {"feature_tests": "fail"}
    run.eval_checks({"feature_tests": True})  # 5m: re-run, passes
    assert run.state.checks_passed == frozenset({"feature_tests"})
    run.eval_checks({"feature_tests": False})  # 6m: not due any more (passed), expansion soaked -> promote
    assert statuses(run) == {"feature_tests": "skip"} and run.phase() == "full"
    assert run.state.checks_passed == frozenset()


def test_an_operator_promote_is_refused_after_a_failing_check() -> None:
    from canary_tui.core.rule import ActionKind

    run = Run(make_plan(checks=[SMOKE]))
    for _ in range(3):
        run.eval_checks({})
    run.eval_checks({"smoke": False})
    step = run.eval_checks({"smoke": True}, actions=(ActionKind.PROMOTE,))
    refused = [e for e in step.events if type(e).__name__ == "ActionTaken"]
    assert refused and not refused[0].accepted and "check smoke: HTTP 500" in refused[0].reason


def test_checks_are_in_the_evaluation_json_and_left_out_of_the_health_score() -> None:
    import json

    from canary_tui.core.events import to_line

    run = Run(make_plan(checks=[SMOKE]))
    for _ in range(3):
        run.eval_checks({})
    step = run.eval_checks({"smoke": False})
    line = json.loads(to_line(step.events[0]))
    assert line["checks"] == {"smoke": {"status": "fail", "reason": "HTTP 500"}}
    assert line["healthScore"] == 100.0
    assert run.state.last is not None and run.state.last.checks[0].status is Status.FAIL


def test_plans_without_checks_keep_the_contract_lines() -> None:
    import json

    from canary_tui.core.events import to_line

    run = Run(make_plan())
    step = run.eval()
    assert "checks" not in json.loads(to_line(step.events[0]))
