"""``canary-tui whatif``: one plan change on one recording, against hand-computed cases (fixtures/backtest)."""

from __future__ import annotations

import json

import pytest

from canary_tui import backtest
from canary_tui.core.planedit import parse_edit, parse_range, parse_value
from canary_tui.errors import InputError

from .conftest import FIXTURES

BT = FIXTURES / "backtest"


def whatif_json(cli, fixture: str, *args: str) -> tuple[int, dict]:
    r = cli("whatif", BT / fixture, *args, "--json")
    assert r.rc in (0, 1), r.err
    lines = r.out.splitlines()
    assert len(lines) == 1
    return r.rc, json.loads(lines[0])


def test_a_looser_threshold_flips_a_rollback_into_a_promotion(cli) -> None:
    # 8% from 1m: fail above 5% twice -> RolledBack at 2m; fail above 10% -> it passes, Promoted at 4m
    rc, doc = whatif_json(cli, "bad-moderate.yaml", "--set", "spec.gates[error_rate].failAbove=0.10")
    assert rc == 1
    assert doc["type"] == "whatif"
    assert (doc["base"]["outcome"], doc["base"]["elapsed"]) == ("RolledBack", "2m0s")
    assert (doc["variant"]["outcome"], doc["variant"]["phase"], doc["variant"]["elapsed"]) == (
        "Promoted",
        "full",
        "4m0s",
    )
    assert doc["base"]["type"] == doc["variant"]["type"] == "result"
    # the first difference: 1m, where 8% is a fail in the base and a pass in the variant
    assert doc["divergedAt"] == "2026-03-01T10:01:00Z"
    div = doc["divergence"]
    assert div["base"]["gates"]["error_rate"]["status"] == "fail"
    assert div["variant"]["gates"]["error_rate"]["status"] == "pass"
    assert [d["decision"] for d in doc["decisions"]["base"]] == ["rollback"]
    assert [(d["decision"], d["phase"]) for d in doc["decisions"]["variant"]] == [
        ("promote", "canary"),
        ("promote", "full"),
    ]


def test_a_stricter_limit_flips_a_promotion_into_a_rollback(cli) -> None:
    # one 7% minute at 1m: failureLimit 2 rides it out (Promoted at 4m); failureLimit 1 rolls back at 1m
    rc, doc = whatif_json(cli, "good-blip.yaml", "--set", "spec.failureLimit=1")
    assert rc == 1
    assert doc["base"]["outcome"] == "Promoted" and doc["base"]["elapsed"] == "4m0s"
    assert doc["variant"]["outcome"] == "RolledBack" and doc["variant"]["elapsed"] == "1m0s"
    # both see the same statuses at 1m; the decision is what differs there
    assert doc["divergedAt"] == "2026-03-01T10:01:00Z"
    assert doc["divergence"]["base"]["gates"] == doc["divergence"]["variant"]["gates"]
    assert doc["divergence"]["baseDecisions"] == []
    assert [d["decision"] for d in doc["divergence"]["variantDecisions"]] == ["rollback"]


def test_the_text_shows_both_outcomes_the_difference_and_the_decisions(cli) -> None:
    r = cli("whatif", BT / "good-blip.yaml", "--set", "spec.phases[canary].duration=1m")
    # a 1m soak: the fail at 1m blocks the promotion, the pass at 2m promotes, Promoted at 3m instead of 4m
    assert r.rc == 1, r.err
    out = r.out
    assert "outcome      Promoted" in out
    assert "+4m0s" in out and "+3m0s" in out
    assert "first difference at +2m0s (2026-03-01T10:02:00Z)" in out
    assert "decisions (base):" in out and "decisions (variant):" in out
    assert "promote in canary: canary soaked 2m0s" in out
    assert out.rstrip().endswith("different outcome")


def test_an_edit_that_changes_nothing_exits_0(cli) -> None:
    rc, doc = whatif_json(cli, "bad-brief.yaml", "--set", "spec.failureLimit=2")
    assert rc == 0
    assert doc["divergedAt"] is None and doc["divergence"] is None
    assert doc["base"] == doc["variant"]


def test_edits_apply_in_order(cli) -> None:
    # the second edit wins: back to the recorded plan, nothing differs
    rc, doc = whatif_json(cli, "good-blip.yaml", "--set", "spec.failureLimit=1", "--set", "spec.failureLimit=2")
    assert rc == 0 and doc["divergedAt"] is None


def test_another_plan_file(cli, tmp_path) -> None:
    text = (BT / "plan.yaml").read_text().replace("failAbove: 0.05", "failAbove: 0.10")
    plan = tmp_path / "loose.yaml"
    plan.write_text(text)
    rc, doc = whatif_json(cli, "bad-moderate.yaml", "--plan", str(plan))
    assert rc == 1 and doc["variant"]["outcome"] == "Promoted"


def test_null_removes_a_key(cli) -> None:
    # without noDataLimit the default (4) applies: the plan stays valid, nothing changes here
    rc, _ = whatif_json(cli, "good-blip.yaml", "--set", "spec.noDataLimit=null")
    assert rc == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "spec.failureLimit=0",
            "--set spec.failureLimit=0: makes the plan invalid: spec.failureLimit: must be at least 1",
        ),
        ("spec.gates[nope].failAbove=1", "no item named 'nope' in spec.gates (have: error_rate)"),
        ("spec.phases[4].weight=50", "spec.phases has 2 items, no [4]"),
        ("spec.phases[canary].weight=100", "--set spec.phases[canary].weight=100: makes the plan invalid"),
        ("spec.interval=soon", "--set spec.interval=soon: makes the plan invalid: spec.interval"),
        ("spec..failureLimit=3", "bad key path"),
        ("spec.failureLimit", "want PATH=VALUE"),
        ("spec.failureLimit=[1", "not valid YAML"),
        ("spec.gates[error_rate].maxRatioToStable=1.5", "no stable series"),
        ("spec.gates[error_rate].name=errors", "no series for gate 'errors'"),
    ],
)
def test_invalid_edits_are_refused_naming_the_edit(cli, edit: str, message: str) -> None:
    r = cli("whatif", BT / "good-blip.yaml", "--set", edit)
    assert r.rc == 2
    assert r.out == ""
    assert message in r.err
    assert "Traceback" not in r.err
    assert all(line.startswith("canary-tui: error: ") for line in r.err.strip().splitlines())


def test_an_inline_plan_is_edited_with_the_same_paths(cli) -> None:
    # healthy-promotion.yaml holds its plan inline (under plan:); paths still start at spec
    r = cli("whatif", FIXTURES / "healthy-promotion.yaml", "--set", "spec.minHealthScore=101")
    assert r.rc == 2
    assert "--set spec.minHealthScore=101: makes the plan invalid: spec.minHealthScore: must be between" in r.err
    ok = cli("whatif", FIXTURES / "healthy-promotion.yaml", "--set", "spec.minHealthScore=90", "--json")
    assert ok.rc == 0, ok.err


def test_plan_and_set_are_one_or_the_other(cli) -> None:
    r = cli("whatif", BT / "good-blip.yaml")
    assert r.rc == 2 and "--plan" in r.err


def test_paths_select_list_items_by_name_or_index() -> None:
    e = parse_edit("spec.phases[expansion].gates.error_rate.failAbove=0.2")
    assert e.path_text == "spec.phases[expansion].gates.error_rate.failAbove" and e.value == 0.2
    assert parse_edit("spec.phases[0].duration=6h").value == "6h"
    with pytest.raises(InputError):
        parse_edit("[0].x=1")


def test_ranges_are_lists_or_inclusive_steps() -> None:
    assert [e.value for e in parse_range("spec.failureLimit=1:4:1")] == [1, 2, 3, 4]
    assert [e.value for e in parse_range("x.y=0.01:0.05:0.02")] == [0.01, 0.03, 0.05]
    assert [e.value for e in parse_range("x.y=0.1:0.3:0.1")] == [0.1, 0.2, 0.3]
    assert [e.value for e in parse_range("spec.interval=1m:3m:1m")] == ["1m0s", "2m0s", "3m0s"]
    assert [e.value for e in parse_range("a.b=0.02,0.05,null")] == [0.02, 0.05, None]
    for bad in ("a.b=1:3:0", "a.b=3:1:1", "a.b=1,,2", "a.b=0:1000000:1"):
        with pytest.raises(InputError):
            parse_range(bad)


def test_values_are_read_without_yaml_1_1_base_60() -> None:
    # YAML 1.1 reads 1:30 as 90 and 010 as 8; a --set value is read with YAML 1.2's numbers
    assert parse_value("1:30", "x") == "1:30"
    assert parse_value("010", "x") == 10
    assert (parse_value("3", "x"), parse_value("0.02", "x"), parse_value("1e-3", "x")) == (3, 0.02, 0.001)
    assert (parse_value("6h", "x"), parse_value("null", "x"), parse_value("true", "x")) == ("6h", None, True)
    assert parse_value(".inf", "x") == float("inf") and parse_value("0x10", "x") == 16


def test_a_base_60_looking_value_is_refused_not_read_as_another_number(cli) -> None:
    r = cli("whatif", BT / "good-blip.yaml", "--set", "spec.failureLimit=1:30")
    assert r.rc == 2 and r.out == ""
    assert r.err.strip() == (
        "canary-tui: error: --set spec.failureLimit=1:30: makes the plan invalid: "
        "spec.failureLimit: want a whole number, got a string ('1:30')"
    )


def test_a_plan_given_as_the_fixture_is_refused_in_one_line(cli) -> None:
    r = cli("whatif", BT / "plan.yaml", "--set", "spec.failureLimit=1")
    assert r.rc == 2 and r.out == ""
    assert r.err.strip() == (
        f"canary-tui: error: {BT / 'plan.yaml'}: is a CanaryPlan; `whatif` takes a MetricFixture "
        "(use `check`, `run` or `manifests` for plans)"
    )
    r = cli("whatif", BT / "good-blip.yaml", "--plan", BT / "bad-brief.yaml")
    assert r.rc == 2 and len(r.err.strip().splitlines()) == 1
    assert "bad-brief.yaml: is a MetricFixture; `whatif` takes a CanaryPlan" in r.err


def test_recordings_are_read_as_replay_reads_them(cli, tmp_path) -> None:
    # the bounded fixture loader (samples straight into arrays): replay's limits, with replay's message
    rec = backtest.load(FIXTURES / "healthy-promotion.yaml")
    many = [0.001] * 1_000_001  # over the 1,000,000 samples a list may hold
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "huge"},
        "plan": rec.plan_source.data,
        "start": "2026-01-01T00:00:00Z",
        "step": "1s",
        "series": {name: {"canary": many, "stable": many} for name in rec.fixture.series},
    }
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(doc))
    replay = cli("replay", huge, "--headless")
    whatif = cli("whatif", huge, "--set", "spec.failureLimit=3")
    assert replay.rc == whatif.rc == 2
    assert whatif.err == replay.err and "a sample list holds over 1000000 samples" in whatif.err
