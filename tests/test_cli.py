"""The command line as users and their scripts meet it: outcomes, exit codes, JSON Lines, help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from canary_tui.cli import COMMANDS

from .conftest import FIXTURES, ROOT


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_demo_headless_json_promotes(cli) -> None:
    r = cli("demo", "--headless", "--json")
    assert r.rc == 0, r.err
    events = lines(r.out)
    assert events[-1]["type"] == "result" and events[-1]["outcome"] == "Promoted"
    assert [e["weight"] for e in events if e["type"] == "phase"] == [5, 25, 50, 100]
    # about three minutes of demo time for the whole healthy release
    assert events[-1]["elapsed"] in ("2m45s",)


@pytest.mark.parametrize(
    ("scenario", "outcome", "rc"),
    [
        ("healthy", "Promoted", 0),
        ("error-spike", "RolledBack", 1),
        ("latency-regression", "RolledBack", 1),
        ("metrics-gap", "Promoted", 0),
        ("crashloop", "RolledBack", 1),
    ],
)
def test_demo_scenarios_end_as_described(cli, scenario: str, outcome: str, rc: int) -> None:
    r = cli("demo", "--headless", "--json", "--scenario", scenario)
    assert r.rc == rc, r.err
    assert lines(r.out)[-1]["outcome"] == outcome


def test_latency_regression_is_caught_relative_to_stable(cli) -> None:
    r = cli("demo", "--headless", "--json", "--scenario", "latency-regression")
    result = lines(r.out)[-1]
    assert "x stable" in result["reason"] and result["phase"] == "expansion"


def test_metrics_gap_only_delays(cli) -> None:
    healthy = lines(cli("demo", "--headless", "--json").out)
    gap = lines(cli("demo", "--headless", "--json", "--scenario", "metrics-gap").out)
    nodata = [e for e in gap if e["type"] == "evaluation" and any(g["status"] == "nodata" for g in e["gates"].values())]
    assert len(nodata) == 2
    assert "connection refused" in next(iter(nodata[0]["gates"].values()))["reason"]
    first_promotion = next(e["at"] for e in gap if e["type"] == "decision")
    assert first_promotion > next(e["at"] for e in healthy if e["type"] == "decision")


def test_demo_is_byte_identical_run_after_run(cli) -> None:
    a = cli("demo", "--headless", "--json", "--scenario", "error-spike")
    b = cli("demo", "--headless", "--json", "--scenario", "error-spike")
    assert a.out == b.out and a.out


def test_seed_and_start_change_the_run(cli) -> None:
    base = cli("demo", "--headless", "--json").out
    assert cli("demo", "--headless", "--json", "--seed", "7").out != base
    moved = lines(cli("demo", "--headless", "--json", "--start", "2026-03-01T12:00:00Z").out)
    assert moved[0]["at"] == "2026-03-01T12:00:00Z"


def test_json_lines_follow_the_contract(cli) -> None:
    r = cli("replay", FIXTURES / "promote-refused.yaml", "--headless", "--json")
    events = lines(r.out)
    kinds = {e["type"] for e in events}
    assert kinds == {"phase", "evaluation", "action", "decision", "result"}
    phase = events[0]
    assert list(phase) == ["type", "at", "phase", "index", "weight"]
    evaluation = next(e for e in events if e["type"] == "evaluation")
    assert list(evaluation) == ["type", "at", "phase", "healthScore", "gates"]
    assert set(evaluation["gates"]["error_rate"]) >= {"status", "canary", "stable"}
    refused = next(e for e in events if e["type"] == "action")
    assert refused["accepted"] is False and refused["actor"] == "bob@desk" and refused["action"] == "promote"
    result = events[-1]
    assert list(result) == ["type", "outcome", "phase", "at", "elapsed", "reason"]
    assert result["at"].endswith("Z") and result["elapsed"] == "27m0s"


def test_timeline_is_readable_and_verbose_adds_evaluations(cli) -> None:
    r = cli("replay", FIXTURES / "error-spike-at-25.yaml", "--headless")
    assert r.rc == 1
    assert "rollback  error_rate 0.1246 > 0.1000" in r.out and "for 2 consecutive evaluations" in r.out
    assert " eval " not in r.out
    assert r.out.strip().splitlines()[-1].startswith("RolledBack in phase expansion after 13h5m0s")
    v = cli("replay", FIXTURES / "error-spike-at-25.yaml", "--headless", "--verbose")
    assert v.out.count(" eval ") == 13 * 12 + 2


def test_exit_code_3_when_incomplete(cli) -> None:
    r = cli("replay", FIXTURES / "incomplete.yaml", "--headless", "--json")
    assert r.rc == 3
    assert lines(r.out)[-1]["outcome"] == "Incomplete"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_and_version_on_every_command(cli, command: str | None) -> None:
    args = [command] if command else []
    h = cli(*args, "--help")
    assert h.rc == 0 and "usage: canary-tui" in h.out
    v = cli(*args, "--version")
    assert v.rc == 0 and v.out.startswith("canary-tui ")


def test_python_dash_m_and_console_script_agree() -> None:
    script = ROOT / ".venv" / "bin" / "canary-tui"
    a = subprocess.run([sys.executable, "-m", "canary_tui", "--version"], capture_output=True, text=True)
    b = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert a.stdout == b.stdout and a.returncode == b.returncode == 0


def test_no_command_prints_help_and_exits_2(cli) -> None:
    r = cli()
    assert r.rc == 2 and "demo" in r.err


def test_outside_strings_reach_the_terminal_without_control_sequences(cli) -> None:
    """An actor (or pod, or error text) carrying escape sequences must not drive the terminal."""
    hostile = ROOT / "tests" / "tui" / "data" / "hostile.yaml"
    r = cli("replay", hostile, "--headless", "--verbose")
    assert "\x1b" not in r.out and "\x07" not in r.out
    assert "mallory" in r.out
