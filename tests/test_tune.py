"""``canary-tui tune``: a 3 x 2 grid over the four hand-computed releases of fixtures/backtest."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import FIXTURES

BT = FIXTURES / "backtest"
CORPUS = [BT / f"{name}.yaml" for name in ("good-blip", "good-noisy", "bad-brief", "bad-moderate")]
GRID = ["--set", "spec.failureLimit=1:3:1", "--set", "spec.gates[error_rate].failAbove=0.05,0.10"]

# (failureLimit, failAbove) -> correct, false rollbacks, misses, incomplete, median decision, pareto,
# worked out by hand from the fixtures' comments: decision times per release, then the lower middle.
EXPECTED = {
    (1, 0.05): (2, 2, 0, 0, "1m0s", False),  # both good ones rolled back at 1m
    (1, 0.10): (3, 0, 1, 0, "4m0s", True),  # bad-moderate (8%) passes: a miss
    (2, 0.05): (3, 1, 0, 0, "2m0s", True),  # good-noisy's two 7% minutes: a false rollback
    (2, 0.10): (3, 0, 1, 0, "4m0s", True),
    (3, 0.05): (3, 0, 1, 0, "4m0s", True),  # bad-brief's two 20% minutes are not three: a miss
    (3, 0.10): (2, 0, 2, 0, "4m0s", False),
}


# contract section 6: exactly these keys, no more
KEYS = {"type", "set", "correct", "falseRollbacks", "misses", "incomplete", "medianDecision", "pareto"}


def rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def inline_corpus(tmp_path: Path) -> list[Path]:
    """The same four releases, each carrying the plan inline (as `record` writes them)."""
    plan = "".join("  " + line for line in (BT / "plan.yaml").read_text().splitlines(keepends=True))
    out = []
    for src in CORPUS:
        dst = tmp_path / src.name
        dst.write_text(src.read_text().replace("planRef: plan.yaml\n", "plan:\n" + plan))
        out.append(dst)
    return out


def test_grid_counts_match_the_hand_computed_ones(cli) -> None:
    r = cli("tune", *CORPUS, *GRID, "--json")
    assert r.rc == 0, r.err
    got = {}
    for row in rows(r.out):
        assert row["type"] == "tune"
        key = (row["set"]["spec.failureLimit"], row["set"]["spec.gates[error_rate].failAbove"])
        got[key] = (
            row["correct"],
            row["falseRollbacks"],
            row["misses"],
            row["incomplete"],
            row["medianDecision"],
            row["pareto"],
        )
    assert got == EXPECTED
    # the grid's rows, in the order of the --set options; the recorded plan (2, 0.05) is one of them,
    # so there is no extra row for it; every row has the contract's keys and only those
    assert [x["set"]["spec.failureLimit"] for x in rows(r.out)] == [1, 1, 2, 2, 3, 3]
    assert all(set(x) == KEYS for x in rows(r.out))


def test_the_table_marks_the_front_and_the_current_plan(cli, tmp_path) -> None:
    svg = tmp_path / "front.svg"
    r = cli("tune", *CORPUS, *GRID, "-o", svg)
    assert r.rc == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == [
        "spec.failureLimit",
        "spec.gates[error_rate].failAbove",
        "correct",
        "false",
        "rb",
        "misses",
        "incomplete",
        "median",
        "decision",
    ]
    assert lines[1].split() == ["1", "0.05", "2/4", "2", "0", "0", "1m0s"]
    assert lines[3].split() == ["2", "0.05", "3/4", "1", "0", "0", "2m0s", "*", "current", "plan"]
    assert "4 releases" in lines[7]
    text = svg.read_text()
    assert text.startswith("<svg") and text.count("<circle") == 6


def test_a_grid_without_the_current_plan_gets_a_row_for_it(cli) -> None:
    r = cli("tune", *CORPUS, "--set", "spec.failureLimit=1,3", "--json")
    assert r.rc == 0, r.err
    out = rows(r.out)
    assert len(out) == 3
    current = out[-1]
    assert set(current) == KEYS and current["set"] == {"spec.failureLimit": 2}
    assert (current["correct"], current["falseRollbacks"], current["misses"]) == (3, 1, 0)
    table = cli("tune", *CORPUS, "--set", "spec.failureLimit=1,3").out.splitlines()
    assert table[3].split() == ["2", "3/4", "1", "0", "0", "2m0s", "*", "current", "plan"]


def test_the_current_plan_is_found_when_each_release_carries_it_inline(cli, tmp_path) -> None:
    # the same plan inline in four files: four validated plans that differ only in the file they came from
    corpus = inline_corpus(tmp_path)
    r = cli("tune", *corpus, *GRID)
    assert r.rc == 0, r.err
    lines = r.out.splitlines()
    assert len(lines) == 1 + 6 + 1  # the head, the six settings (no extra row), the footnote
    assert lines[3].split() == ["2", "0.05", "3/4", "1", "0", "0", "2m0s", "*", "current", "plan"]
    assert sum("current plan" in line for line in lines) == 1
    js = cli("tune", *corpus, *GRID, "--json")
    assert len(rows(js.out)) == 6


def test_a_range_of_two_parts_is_refused(cli) -> None:
    # YAML 1.1 reads 1:3 as the base-60 number 63: a forgotten step must not sweep failureLimit=63
    r = cli("tune", *CORPUS, "--set", "spec.failureLimit=1:3")
    assert r.rc == 2 and r.out == ""
    assert r.err.strip() == (
        "canary-tui: error: --set spec.failureLimit=1:3: RANGE is a,b,c or start:stop:step (stop included); "
        "'1:3' has no step (e.g. 1:3:1)"
    )


def test_a_plan_given_as_a_release_is_refused_in_one_line(cli) -> None:
    r = cli("tune", CORPUS[0], BT / "plan.yaml", "--set", "spec.failureLimit=1,2")
    assert r.rc == 2 and r.out == ""
    assert r.err.strip() == (
        f"canary-tui: error: {BT / 'plan.yaml'}: is a CanaryPlan; `tune` takes a MetricFixture "
        "(use `check`, `run` or `manifests` for plans)"
    )


def test_the_terminal_plot_draws_false_rollbacks_against_misses(cli) -> None:
    r = cli("tune", *CORPUS, *GRID, "--plot")
    assert r.rc == 0, r.err
    assert "false rollbacks" in r.out and "misses" in r.out
    assert "\x1b[" not in r.out  # not a terminal: no colour codes
    plot = r.out.split("4 releases;")[1]
    rows_of = {line.split("┤")[0].strip(): line for line in plot.splitlines() if "┤" in line}
    # each point's marker is drawn with its letter beside it: three settings share (0, 1), one label for them
    assert "* A" in rows_of["1"] and "o B" in rows_of["2"]
    assert "* C" in rows_of["0"] and "o D" in rows_of["0"]
    legend = plot.splitlines()[-4:]
    assert legend == [
        "  A * 0 false rb, 1 misses: 1,0.1 | 2,0.1 | 3,0.05",
        "  B o 0 false rb, 2 misses: 3,0.1",
        "  C * 1 false rb, 0 misses: 2,0.05 (current plan)",
        "  D o 2 false rb, 0 misses: 1,0.05",
    ]


def test_one_worker_gives_the_same_answer(cli) -> None:
    many = cli("tune", *CORPUS, *GRID, "--json")
    one = cli("tune", *CORPUS, *GRID, "--json", "--jobs", "1")
    assert many.out == one.out and many.rc == one.rc == 0


def test_fixtures_without_expect_are_refused(cli, tmp_path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(
        (BT / "good-blip.yaml")
        .read_text()
        .replace("planRef: plan.yaml", f"planRef: {BT / 'plan.yaml'}")
        .split("expect:")[0]
    )
    r = cli("tune", bare, *CORPUS, "--set", "spec.failureLimit=1,2")
    assert r.rc == 2 and "expect" in r.err and str(bare) in r.err
    assert r.out == ""


def test_an_invalid_setting_is_refused_naming_the_edit(cli) -> None:
    r = cli("tune", *CORPUS, "--set", "spec.failureLimit=0:2:1")
    assert r.rc == 2
    assert "--set spec.failureLimit=0: makes the plan invalid: spec.failureLimit: must be at least 1" in r.err
    assert "Traceback" not in r.err
