"""Judge gates in plans, in the decision rule, in the state and in JSON Lines (contract section 5)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from canary_tui.core import judges, rule
from canary_tui.core.codec import state_from_dict, state_to_dict
from canary_tui.core.events import Evaluated, to_line
from canary_tui.core.gates import Reading, Status
from canary_tui.core.model import Direction, MannWhitneyJudge
from canary_tui.errors import InputError

from .conftest import FIXTURES, PLANS
from .core_helpers import T0, make_plan

COUNTS = {
    "name": "errors",
    "judge": "counts",
    "errors": "e{v='{{version}}'}[{{interval}}]",
    "requests": "r{v='{{version}}'}",
}
LATENCY = {"name": "latency", "judge": "mann-whitney", "query": "l{v='{{version}}'}", "window": "10m", "minSamples": 5}


def judged_plan(**spec: Any):
    gates = spec.pop("gates", [dict(COUNTS), dict(LATENCY)])
    phases = spec.pop(
        "phases",
        [
            {"name": "canary", "weight": 5, "duration": "30m"},
            {"name": "expansion", "weight": 25, "duration": "30m", "gates": {"errors": {"maxRatio": 1.5}}},
            {"name": "full", "weight": 100, "duration": "0s"},
        ],
    )
    if not any(g.get("name") == "errors" for g in gates):
        phases = [{k: v for k, v in p.items() if k != "gates"} for p in phases]
    return make_plan(gates=gates, phases=phases, **spec)


def problems(**spec: Any) -> str:
    with pytest.raises(InputError) as e:
        judged_plan(**spec)
    return "\n".join(f"{p.path}: {p.message}" for p in e.value.problems)


def test_a_plan_with_both_judges_is_valid_and_renders_interval() -> None:
    plan = judged_plan()
    errors = plan.gate("errors")
    assert plan.render(errors.judge.errors, "v2") == "e{v='v2'}[1m]"  # type: ignore[union-attr]
    assert plan.judges(1)["errors"].max_ratio == 1.5  # type: ignore[union-attr]
    assert plan.judges(0)["errors"].max_ratio == 1.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("gate", "path", "words"),
    [
        ({**COUNTS, "failAbove": 0.05}, "spec.gates[0].failAbove", "not allowed on a gate with judge"),
        ({k: v for k, v in COUNTS.items() if k != "requests"}, "spec.gates[0]", "needs requests"),
        ({**COUNTS, "alpha": 1.5}, "spec.gates[0].alpha", "between 0 and 1"),
        ({**COUNTS, "errors": "e[{{interval}}]"}, "spec.gates[0].errors", "must contain {{version}}"),
        ({**COUNTS, "window": "5m"}, "spec.gates[0].window", "judge: counts takes"),
        ({**COUNTS, "judge": "t-test"}, "spec.gates[0].judge", "want one of counts, mann-whitney"),
        ({**LATENCY, "window": "3m"}, "spec.gates[0].window", "could never have data"),
        ({"name": "x", "query": "q", "failAbove": 1, "alpha": 0.1}, "spec.gates[0].alpha", "only a gate with a judge"),
        ({"name": "p", "source": "pods", "signal": "restarts", "judge": "counts"}, "spec.gates[0].judge", "pod gate"),
    ],
)
def test_bad_judge_gates_are_refused_with_the_key_path(gate: dict[str, Any], path: str, words: str) -> None:
    text = problems(gates=[gate])
    assert path in text and words in text, text


def test_a_phase_may_change_max_ratio_but_never_alpha() -> None:
    phases = [
        {"name": "canary", "weight": 5, "duration": "30m", "gates": {"errors": {"alpha": 0.05}}},
        {"name": "full", "weight": 100, "duration": "0s"},
    ]
    assert "spec.phases[0].gates.errors.alpha: a phase may change maxRatio, never alpha" in problems(phases=phases)


def test_a_judge_without_any_stable_traffic_is_refused() -> None:
    text = problems(phases=[{"name": "full", "weight": 100, "duration": "10m"}])
    assert "no phase leaves stable any traffic" in text


def run_counts(plan, intervals: list[Any]) -> tuple[rule.State, list[Evaluated]]:
    step = rule.start(plan, T0)
    state, evals = step.state, []
    for k, counts in enumerate(intervals):
        reading = counts if isinstance(counts, Reading) else Reading(counts=counts)
        readings = {"errors": reading, "latency": Reading(0.2, 0.2)}
        step = rule.advance(state, plan, T0 + k * plan.interval, (), readings, may_promote=False)
        state = step.state
        evals += [e for e in step.events if isinstance(e, Evaluated)]
    return state, evals


def test_a_doubled_error_rate_fails_for_good_and_rolls_back_with_a_readable_reason() -> None:
    plan = judged_plan()
    state, evals = run_counts(plan, [(20, 1000, 190, 19000)] * 5)
    statuses = [e.result("errors").status for e in evals]  # type: ignore[union-attr]
    assert Status.FAIL in statuses
    first = statuses.index(Status.FAIL)
    assert statuses[first:] == [Status.FAIL] * (len(statuses) - first)
    assert state.outcome is rule.Outcome.ROLLED_BACK
    reason = evals[-1].result("errors").reason  # type: ignore[union-attr]
    assert reason.startswith("errors 2.0x stable (99% CS ") and "> 1.0x after " in reason, reason
    assert "canary requests" in reason


def test_no_canary_requests_is_nodata_and_no_stable_requests_changes_nothing() -> None:
    plan = judged_plan()
    state, evals = run_counts(plan, [(0, 0, 0, 0), (1, 1000, 20, 19000), (3, 1000, 0, 0), Reading(error="boom")])
    r = [e.result("errors") for e in evals]
    assert r[0].status is Status.NODATA and r[0].reason == "no canary requests in this interval"  # type: ignore[union-attr]
    assert r[2].status is not Status.NODATA  # type: ignore[union-attr]
    assert r[2].stats.evidence == r[1].stats.evidence  # type: ignore[union-attr]
    assert r[3].status is Status.NODATA and r[3].reason == "boom"  # type: ignore[union-attr]
    assert state.nodata["errors"] == 1


def test_mann_whitney_warming_up_does_not_count_toward_no_data_limit() -> None:
    plan = judged_plan(noDataLimit=2)
    step = rule.start(plan, T0)
    state = step.state
    for k in range(8):
        readings = {"errors": Reading(counts=(1, 1000, 20, 19000)), "latency": Reading(0.26, 0.2)}
        state = rule.advance(state, plan, T0 + k * plan.interval, (), readings, may_promote=False).state
        res = state.last.result("latency")  # type: ignore[union-attr]
        if k < 4:
            assert res.status is Status.NODATA and res.reason.startswith("warming up") and res.nodata == 0
    assert res.status is Status.FAIL and "+30% vs stable" in res.reason, res.reason
    assert res.stats.effect == pytest.approx(0.3) and res.stats.p < 0.02  # type: ignore[union-attr]


def window_run(judge: MannWhitneyJudge, readings: list[Reading]) -> list[judges.Judged]:
    """A mann-whitney gate evaluated once a minute from T0 on these readings."""
    state, out = None, []
    for k, r in enumerate(readings):
        res = judges.evaluate("latency", judge, state, r, T0 + timedelta(minutes=k), k + 1)
        state = res.state
        out.append(res)
    return out


def test_the_mann_whitney_window_holds_the_values_after_t_minus_window_up_to_t() -> None:
    """(t_k - window, t_k]: at 14m a 10m window holds the values of 5m..14m, not the one at 4m."""
    judge = MannWhitneyJudge(window=timedelta(minutes=10), min_samples=10)
    res = window_run(judge, [Reading(float(k), 0.0) for k in range(15)])
    last = res[-1]
    assert [at - T0 for at, _, _ in last.state.samples] == [timedelta(minutes=k) for k in range(5, 15)]  # type: ignore[union-attr]
    assert last.canary == 9.5  # the median of 5..14
    assert res[9].canary == 4.5 and res[10].canary == 5.5  # at 10m the value of 0m has just left


def test_a_null_value_adds_no_sample_to_the_window() -> None:
    judge = MannWhitneyJudge(window=timedelta(minutes=10), min_samples=10)
    readings = [Reading(None if k % 2 else 0.3, 0.2, error="empty result" if k % 2 else None) for k in range(15)]
    last = window_run(judge, readings)[-1]
    assert last.status is Status.NODATA
    assert last.reason.startswith("5 canary and 10 stable values in the window, 10 needed on each side"), last.reason


@pytest.mark.parametrize(
    ("direction", "canary", "status", "words"),
    [
        (Direction.DECREASE, 0.14, Status.FAIL, "beyond -10% allowed"),  # a throughput gate that fell
        (Direction.DECREASE, 0.26, Status.PASS, ""),  # a rise is no regression of a decrease gate
        (Direction.DECREASE, 0.19, Status.WARN, "within -10% allowed"),
        (Direction.EITHER, 0.14, Status.FAIL, "latency -29.9% vs stable (Hodges-Lehmann, 10 vs 10 values, p 1.1e-05"),
        (Direction.EITHER, 0.26, Status.FAIL, "latency +29.9% vs stable (Hodges-Lehmann, 10 vs 10 values, p 1.1e-05"),
        (Direction.EITHER, 0.21, Status.WARN, "within +/-10% allowed"),
        (Direction.INCREASE, 0.14, Status.PASS, ""),
    ],
)
def test_mann_whitney_directions(direction: Direction, canary: float, status: Status, words: str) -> None:
    judge = MannWhitneyJudge(window=timedelta(minutes=10), direction=direction, min_samples=10)
    # stable near 0.2 with a little noise; the canary at a fixed shift with the same noise
    noise = [0.001 * ((7 * k) % 11 - 5) for k in range(12)]
    last = window_run(judge, [Reading(canary + e, 0.2 - e) for e in noise])[-1]
    assert last.status is status, last.reason
    assert words in last.reason
    assert last.stats is not None and last.stats.p is not None
    if direction is Direction.EITHER and status is not Status.PASS:
        one_sided = min(
            judges.u_test([canary + e for e in noise[2:]], [0.2 - e for e in noise[2:]]).p(side)
            for side in ("greater", "less")
        )
        assert last.stats.p == pytest.approx(min(1.0, 2 * one_sided))  # two-sided


def test_the_state_round_trips_and_a_resumed_run_goes_on_with_the_evidence() -> None:
    plan = judged_plan()
    data = [(2, 1000, 20, 19000), (3, 1200, 22, 18800), (1, 900, 18, 19100), (4, 1000, 21, 19000)]
    whole, _ = run_counts(plan, data)
    half, _ = run_counts(plan, data[:2])
    resumed = state_from_dict(json.loads(json.dumps(state_to_dict(half))), plan)
    assert resumed == half
    state = resumed
    for k, counts in enumerate(data[2:], start=2):
        readings = {"errors": Reading(counts=counts), "latency": Reading(0.2, 0.2)}
        state = rule.advance(state, plan, T0 + k * plan.interval, (), readings, may_promote=False).state
    assert state.judges == whole.judges
    assert state.last.result("errors").stats == whole.last.result("errors").stats  # type: ignore[union-attr]


def test_json_lines_carry_ratio_interval_evidence_and_effect_p() -> None:
    plan = judged_plan()
    _, evals = run_counts(plan, [(2, 1000, 20, 19000)] * 6)
    line = json.loads(to_line(evals[-1]))
    errors = line["gates"]["errors"]
    assert set(errors) >= {"status", "canary", "stable", "ratio", "interval", "evidence"}
    assert len(errors["interval"]) == 2 and errors["interval"][0] < errors["ratio"] < errors["interval"][1]
    assert {"effect", "p"} <= set(line["gates"]["latency"])
    assert json.loads(to_line(evals[-1])) == evals[-1].to_json()


def test_the_doubled_errors_demo_is_missed_by_the_threshold_and_caught_by_counts(cli) -> None:
    r = cli("demo", "--scenario", "doubled-errors", "--headless", "--json")
    assert r.rc == 1, r.err
    lines = [json.loads(x) for x in r.out.splitlines()]
    evals = [x for x in lines if x["type"] == "evaluation"]
    statuses = "".join(e["gates"]["error_rate"]["status"][0] for e in evals)
    assert "ff" not in statuses  # failAbove 0.05 may see a hiccup, never a doubled 0.5%
    assert lines[-1]["reason"].startswith("errors ") and lines[-1]["phase"] == "canary"


def test_check_describes_the_judges(cli) -> None:
    r = cli("check", PLANS / "judges.yaml", "--offline")
    assert r.rc == 0, r.err
    assert "counts: H0 canary errors <= 1x stable, alpha 0.01 (anytime-valid)" in r.out
    assert "mann-whitney: increase over 10%" in r.out


def test_check_warns_of_a_counts_errors_query_that_can_come_back_empty(cli, tmp_path) -> None:
    """Without ``or vector(0)`` a canary with no 5xx yet has no series: nodata, and noDataLimit of
    them would roll back a perfect canary. The plan is still valid; check says so."""
    text = (PLANS / "judges.yaml").read_text()
    errors = text.index("      errors: >-")
    line_end = text.index("\n      requests:", errors)
    assert text[errors:line_end].endswith(" or vector(0)")
    path = tmp_path / "plan.yaml"
    path.write_text(text[:errors] + text[errors:line_end].removesuffix(" or vector(0)") + text[line_end:])
    r = cli("check", path, "--offline")
    assert r.rc == 0, r.err
    row = next(line for line in r.out.splitlines() if line.strip().startswith("errors "))
    assert "warning: errors has no 'or vector(0)'" in row and "nodata" in row
    good = cli("check", PLANS / "judges.yaml", "--offline")
    assert "warning" not in good.out


def test_a_counts_series_in_the_plain_form_is_refused(tmp_path) -> None:
    text = (FIXTURES / "judges-healthy.yaml").read_text()
    start = text.index("  errors:\n    canary:")
    bad = (
        text[:start]
        + "  errors:\n    canary: [0, 1, 2]\n    stable: [0, 1, 2]\n"
        + text[text.index("  latency:\n", start) :]
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    from canary_tui.core.fixture import load_fixture

    with pytest.raises(InputError) as e:
        load_fixture(path)
    assert any(p.path == "series.errors.canary" for p in e.value.problems), e.value.problems


def test_replay_takes_increments_between_evaluations_with_data() -> None:
    from canary_tui.core.fixture import load_fixture
    from canary_tui.replay import FixtureMetrics

    fixture = load_fixture(FIXTURES / "judges-counter-reset.yaml")
    metrics = FixtureMetrics(fixture)
    seen = [metrics.read(fixture.plan, 0, fixture.start + k * fixture.step)["errors"] for k in range(22)]
    assert seen[0].counts == (0, 0, 0, 0)
    assert seen[12].error == "counter reset" and seen[13].counts is not None and seen[13].counts[1] > 0
    assert seen[20].counts is None and seen[21].counts is not None
    series = fixture.series["errors"]
    assert seen[21].counts[3] == series.stable.requests[21] - series.stable.requests[19]  # type: ignore[union-attr]
    assert timedelta(0) < fixture.step


def test_manifests_say_a_rule_cannot_run_the_test_and_emit_the_nearest_threshold(cli, tmp_path) -> None:
    r = cli("manifests", PLANS / "judges.yaml")
    assert r.rc == 0, r.err
    assert "Prometheus cannot run canary-tui's statistical test" in r.out
    import yaml

    rule = next(d for d in yaml.safe_load_all(r.out) if d and d.get("kind") == "PrometheusRule")
    alerts = {a["alert"]: a for g in rule["spec"]["groups"] for a in g["rules"] if "alert" in a}
    assert "(1 * canary_tui:errors{" in alerts["CanaryErrorsAboveStable"]["expr"]
    assert "(1.1 * canary_tui:latency{" in alerts["CanaryLatencyAboveStable"]["expr"]
    assert alerts["CanaryErrorsAboveStable"]["labels"]["approximates"] == "judge"
    import subprocess

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    proc = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_report_charts_the_confidence_sequence_against_max_ratio(cli, tmp_path, state_home) -> None:
    r = cli("replay", FIXTURES / "judges-doubled-errors.yaml", "--headless")
    log = state_home / "canary-tui" / "checkout-replay.jsonl"  # the audit log: it holds the plan
    r = cli("report", log, "-o", tmp_path / "report.html")
    assert r.rc == 0, r.err
    page = (tmp_path / "report.html").read_text()
    figure = page[page.index('id="gate-errors"') :]
    figure = figure[: figure.index("</figure>")]
    assert "canary / stable errors and the confidence sequence" in figure
    assert figure.count('class="ls"') == 2 and 'class="lc"' in figure  # the two bounds and the estimate
    assert "maxRatio: fail once the lower bound is above it" in figure


def test_a_watcher_that_attaches_late_gets_the_confidence_sequence_history(cli, tmp_path) -> None:
    """The state document's ``recent`` keeps each counts evaluation's estimate and interval, so a
    watcher's chart of the confidence sequence has the history from before it attached."""
    from canary_tui.statefile import document_state, read_state_file
    from canary_tui.watch.feed import DocumentFeed, plan_from_document

    path = tmp_path / "state.json"
    r = cli("replay", FIXTURES / "judges-doubled-errors.yaml", "--headless", "--state-file", path)
    assert r.rc == 1, r.err  # rolled back
    doc = read_state_file(path)
    plan = plan_from_document(doc, str(path))
    assert plan is not None
    taken = DocumentFeed(plan).take(doc, document_state(doc, plan))
    evals = [e for e in taken.events if isinstance(e, Evaluated)]
    assert len(evals) == doc["state"]["evaluations"] == 6
    stats = [e.result("errors").stats for e in evals]  # type: ignore[union-attr]
    assert all(s is not None for s in stats)
    assert [s.high for s in stats] == sorted((s.high for s in stats), reverse=True)  # type: ignore[union-attr]
    assert stats[0].low == 0 and stats[0].high == float("inf")  # type: ignore[union-attr]  # t0: nothing known
    assert stats[-2].low > 1.0 and stats[-2].ratio > stats[-2].low  # type: ignore[union-attr]  # from ``recent``
    assert stats[-1] == evals[-1].result("errors").stats  # type: ignore[union-attr]  # the last one whole
