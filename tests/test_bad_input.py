"""Broken plans and fixtures: one clear message naming the file, the key path and the line; exit 2;
never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import PLANS

SEED = (PLANS / "seed.yaml").read_text()

MINI = """\
apiVersion: canary-tui/v1alpha1
kind: CanaryPlan
metadata:
  name: checkout
spec:
  service: checkout
  stable: {version: v1}
  canary: {version: v2}
  interval: 1m
  phases:
    - {name: canary, weight: 5, duration: 10m}
    - {name: full, weight: 100, duration: 0s}
  gates:
    - name: error_rate
      query: errors{version="{{version}}"}
      failAbove: 0.05
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (name, plan text, expected fragments of the message: path and line)
PLANS_BAD = [
    ("bad YAML", "spec: [unclosed\n", ["not valid YAML", ":2:"]),
    ("not a mapping", "- just\n- a list\n", ["want a mapping"]),
    ("empty file", "", ["empty document"]),
    (
        "unknown key (typo)",
        edit(MINI, "failAbove: 0.05", "failAbov: 0.05"),
        ["spec.gates[0].failAbov", ":16:", "did you mean 'failAbove'"],
    ),
    (
        "duplicate key",
        edit(MINI, "  interval: 1m\n", "  interval: 1m\n  interval: 2m\n"),
        ["spec.interval", ":10:", "duplicate key (first at line 9)"],
    ),
    (
        "wrong type: weight as string",
        edit(MINI, "weight: 5,", "weight: five,"),
        ["spec.phases[0].weight", ":11:", "want a whole number"],
    ),
    (
        "wrong type: threshold as boolean",
        edit(MINI, "failAbove: 0.05", "failAbove: yes"),
        ["spec.gates[0].failAbove", ":16:", "want a number, got a boolean"],
    ),
    (
        "weights not increasing",
        edit(MINI, "weight: 5,", "weight: 100,").replace("{name: full, weight: 100", "{name: full, weight: 50", 1),
        ["spec.phases[1].weight", ":12:", "strictly increase"],
    ),
    (
        "last weight not 100",
        edit(MINI, "{name: full, weight: 100", "{name: full, weight: 90"),
        ["spec.phases[1].weight", ":12:", "last phase must send 100%"],
    ),
    ("weight out of range", edit(MINI, "weight: 5,", "weight: 0,"), ["spec.phases[0].weight", "between 1 and 100"]),
    (
        "gate without thresholds",
        edit(MINI, "      failAbove: 0.05\n", "      warnAbove: 0.01\n"),
        ["spec.gates[0]", ":14:", "needs at least one of failAbove, failBelow, maxRatioToStable"],
    ),
    (
        "bad duration",
        edit(MINI, "duration: 10m}", "duration: 10 minutes}"),
        ["spec.phases[0].duration", ":11:", "bad duration"],
    ),
    ("duration without unit", edit(MINI, "interval: 1m", "interval: 60"), ["spec.interval", ":9:", "want a duration"]),
    ("days are not a unit", edit(MINI, "duration: 10m}", "duration: 1d}"), ["days are not a unit"]),
    (
        "no phases",
        edit(
            MINI,
            MINI[MINI.index("  phases:") : MINI.index("  gates:")],
            "  phases: []\n",
        ),
        ["spec.phases", "at least one phase"],
    ),
    ("missing required key", edit(MINI, "  service: checkout\n", ""), ["spec", "missing required key 'service'"]),
    (
        "override of an unknown gate",
        edit(
            MINI,
            "{name: full, weight: 100, duration: 0s}",
            "{name: full, weight: 100, duration: 0s, gates: {latency: {failAbove: 1}}}",
        ),
        ["spec.phases[1].gates.latency", ":12:", "no gate named 'latency'"],
    ),
    (
        "bad gate name",
        edit(MINI, "name: error_rate", "name: Error-Rate"),
        ["spec.gates[0].name", "not a valid gate name"],
    ),
    (
        "duplicate gate name",
        MINI + "    - name: error_rate\n      query: x\n      failAbove: 1\n",
        ["spec.gates[1].name", "duplicate gate name"],
    ),
    (
        "unknown placeholder",
        edit(MINI, "{{version}}", "{{verison}}"),
        ["spec.gates[0].query", "unknown placeholder {{verison}}"],
    ),
    (
        "pod gate with a query",
        edit(
            MINI,
            '      query: errors{version="{{version}}"}\n',
            "      source: pods\n      signal: restarts\n      query: x\n",
        ),
        ["spec.gates[0].query", "a pod gate has no query"],
    ),
    (
        "relative pod gate",
        edit(
            MINI,
            '      query: errors{version="{{version}}"}\n',
            "      source: pods\n      signal: restarts\n      maxRatioToStable: 2\n",
        ),
        ["spec.gates[0].maxRatioToStable", "never relative"],
    ),
    (
        "warn level past the fail level",
        edit(MINI, "failAbove: 0.05", "failAbove: 0.05\n      warnAbove: 0.5"),
        ["spec.gates[0].warnAbove", "could never show"],
    ),
    (
        "istio router without a VirtualService",
        edit(MINI, "  interval: 1m\n", "  interval: 1m\n  traffic: {router: istio}\n"),
        ["spec.traffic", "needs virtualService"],
    ),
    (
        "version 1.10 read as a number",
        edit(MINI, "canary: {version: v2}", "canary: {version: 1.10}"),
        ["spec.canary.version", "quote it"],
    ),
    (
        "wrong apiVersion",
        edit(MINI, "canary-tui/v1alpha1", "canary-tui/v1"),
        ["apiVersion", ":1:", "want 'canary-tui/v1alpha1'"],
    ),
    (
        "a secret in clear is not a key",
        edit(
            MINI,
            "  interval: 1m\n",
            "  interval: 1m\n  metrics: {provider: prometheus, address: http://p:9090, bearerToken: abc}\n",
        ),
        ["spec.metrics.bearerToken", "unknown key"],
    ),
]


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert err.strip(), "a message was expected on stderr"


@pytest.mark.parametrize(("name", "text", "fragments"), PLANS_BAD, ids=[c[0] for c in PLANS_BAD])
def test_broken_plan_is_refused_with_one_clear_message(
    cli, tmp_path: Path, name: str, text: str, fragments: list[str]
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    r = cli("check", path)
    assert r.rc == 2, r.out + r.err
    _no_traceback(r.err)
    assert str(path) in r.err
    for fragment in fragments:
        assert fragment in r.err, f"{fragment!r} not in {r.err!r}"
    assert len(r.err.strip().splitlines()) <= 2, r.err


def test_a_valid_plan_passes_check(cli) -> None:
    r = cli("check", "--offline", PLANS / "seed.yaml")
    assert r.rc == 0, r.err
    assert "valid CanaryPlan 'canary-deployment'" in r.out
    assert "expansion" in r.out and "fail > 0.1" in r.out


def test_missing_plan_file(cli, tmp_path: Path) -> None:
    r = cli("check", tmp_path / "nope.yaml")
    assert r.rc == 2 and "no such file" in r.err
    _no_traceback(r.err)


FIXTURE = """\
apiVersion: canary-tui/v1alpha1
kind: MetricFixture
metadata: {name: t}
planRef: plan.yaml
start: "2026-02-19T05:33:00Z"
step: 1m
series:
  error_rate:
    canary: [0.001, 0.002, null]
    stable: [0.001, 0.001, 0.001]
expect: {outcome: Incomplete}
"""

FIXTURES_BAD = [
    (
        "series for an unknown gate",
        edit(FIXTURE, "  error_rate:\n", "  error_rate:\n    canary: [1]\n  latency:\n"),
        ["series.latency", "no gate named 'latency'"],
    ),
    (
        "missing planRef file",
        edit(FIXTURE, "planRef: plan.yaml", "planRef: ../plans/none.yaml"),
        ["planRef", ":4:", "no such file"],
    ),
    (
        "both plan and planRef",
        edit(FIXTURE, "planRef: plan.yaml\n", "planRef: plan.yaml\nplan: {}\n"),
        ["exactly one of plan"],
    ),
    (
        "a sample that is not a number",
        edit(FIXTURE, "[0.001, 0.002, null]", "[0.001, fast, null]"),
        ["series.error_rate.canary[1]", ":9:", "want a number or null"],
    ),
    ("bad start time", edit(FIXTURE, '"2026-02-19T05:33:00Z"', '"yesterday"'), ["start", ":5:", "RFC 3339"]),
    ("start without a zone", edit(FIXTURE, '"2026-02-19T05:33:00Z"', '"2026-02-19T05:33:00"'), ["start", "UTC offset"]),
    ("bad step", edit(FIXTURE, "step: 1m", "step: 0s"), ["step", ":6:", "greater than 0s"]),
    (
        "unknown expected outcome",
        edit(FIXTURE, "outcome: Incomplete", "outcome: Success"),
        ["expect.outcome", "want one of Promoted"],
    ),
    (
        "unknown action",
        edit(FIXTURE, "expect:", "actions:\n  - {at: 1m, action: pause}\nexpect:"),
        ["actions[0].action", "want one of hold"],
    ),
    (
        "a series missing for a gate",
        edit(FIXTURE, "  error_rate:\n    canary: [0.001, 0.002, null]\n    stable: [0.001, 0.001, 0.001]\n", "  {}\n"),
        ["series", "no series for gate 'error_rate'"],
    ),
    ("an error in the inline plan", None, ["plan.spec.phases[0].weight", "want a whole number"]),
    ("an error in the referenced plan", FIXTURE, ["plan.yaml:9: spec.interval", "bad duration"]),
    (
        "duplicate key in JSON",
        '{"apiVersion": "canary-tui/v1alpha1", "kind": "MetricFixture", "kind": "X"}',
        ["duplicate key 'kind'"],
    ),
    ("truncated JSON", '{"apiVersion": "canary-tui/v1alpha1", "series": {"a": [1, 2', ["not valid JSON"]),
]


@pytest.mark.parametrize(("name", "text", "fragments"), FIXTURES_BAD, ids=[c[0] for c in FIXTURES_BAD])
def test_broken_fixture_is_refused_with_one_clear_message(
    cli, tmp_path: Path, name: str, text: str | None, fragments: list[str]
) -> None:
    plan_text = MINI
    if name == "an error in the referenced plan":
        plan_text = edit(MINI, "interval: 1m", "interval: 1 m")
    (tmp_path / "plan.yaml").write_text(plan_text)
    if name == "an error in the inline plan":
        inline = "plan:\n" + "".join("  " + line + "\n" for line in edit(MINI, "weight: 5,", "weight: x,").splitlines())
        text = edit(FIXTURE, "planRef: plan.yaml\n", inline)
    assert text is not None
    path = tmp_path / ("fixture.json" if text.startswith("{") else "fixture.yaml")
    path.write_text(text)
    r = cli("replay", path, "--headless", "--check")
    assert r.rc == 2, r.out + r.err
    _no_traceback(r.err)
    for fragment in fragments:
        assert fragment in r.err, f"{fragment!r} not in {r.err!r}"
    assert len(r.err.strip().splitlines()) <= 2, r.err


def test_check_without_expect_is_bad_input(cli, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(MINI)
    path = tmp_path / "f.yaml"
    path.write_text(edit(FIXTURE, "expect: {outcome: Incomplete}\n", ""))
    r = cli("replay", path, "--headless", "--check")
    assert r.rc == 2 and "expect" in r.err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["demo", "--headless", "--scenario", "nope"], "no scenario 'nope'"),
        (["demo", "--headless", "--speed", "0"], "must be greater than 0"),
        (["demo", "--headless", "--start", "tomorrow"], "--start"),
        (["replay"], "the following arguments are required: FIXTURE"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(cli, args: list[str], fragment: str) -> None:
    r = cli(*args)
    assert r.rc == 2
    assert fragment in r.err
    _no_traceback(r.err)
