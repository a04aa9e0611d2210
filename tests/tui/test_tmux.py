"""The control room as a person uses it: the real CLI in a real terminal (tmux), keys sent, screen read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_helpers import DATA

from canary_tui.commands.common import actor

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.yaml"))

pytestmark = pytest.mark.slow


def audit(log: Path, kind: str) -> list[dict]:
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["type"] == kind]


def headless(*args: str) -> tuple[int, dict]:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "canary_tui", *args, "--headless", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return proc.returncode, json.loads(proc.stdout.splitlines()[-1])


def test_demo_in_tmux_progresses_holds_and_rolls_back_with_the_actor(tmux, tmp_path):
    log = tmp_path / "demo.jsonl"
    t = tmux("demo", "--speed", "20", "--log", str(log))
    first = t.wait_for("Phases", timeout=10)
    print(f"control room on screen after {first:.2f}s")
    t.wait_for("▶ expansion", timeout=30)  # promoted out of canary (60 s of demo time = 3 s)
    t.send("h")
    t.wait_for("held by")
    time.sleep(4)  # 80 s of demo time: past expansion's 50 s soak
    screen = t.screen()
    assert "▶ expansion" in screen and "held by" in screen
    t.send("r")
    t.wait_for("Roll back checkout?")
    t.send("y")
    t.wait_for("RolledBack")
    t.wait_for(f"rolled back by {actor()}")
    time.sleep(1)
    assert "RolledBack" in t.screen()  # stays on screen until q
    t.send("q")
    assert t.exit_code() == 1
    assert [(e["action"], e["actor"]) for e in audit(log, "action")] == [("hold", actor()), ("rollback", actor())]
    assert audit(log, "result")[0]["outcome"] == "RolledBack"


def test_replay_in_tmux_plays_with_the_time_controls_to_the_headless_outcome(tmux, tmp_path):
    fixture = DATA / "spike.yaml"
    code, result = headless("replay", str(fixture))
    t = tmux("replay", str(fixture), "--log", str(tmp_path / "replay.jsonl"))
    t.wait_for("Phases", timeout=10)
    t.send("Space")
    t.wait_for("paused")
    t.send("n")
    t.wait_for("05:34:00")  # one evaluation later: 1m after the fixture's start
    t.send("Space", "+", "+", "+", "+", "+", "+")
    t.wait_for(result["outcome"], timeout=30)
    screen = t.screen()
    assert f"✗ {result['phase']}" in screen  # the phase it rolled back in, marked
    t.send("q")
    assert t.exit_code() == code == 1


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_every_fixture_replays_in_the_control_room_to_the_headless_outcome(tmux, tmp_path, fixture):
    code, result = headless("replay", str(fixture))
    t = tmux("replay", str(fixture), "--speed", "1000000", "--log", str(tmp_path / "r.jsonl"), width=160, height=48)
    t.wait_for(f" {result['outcome']} ", timeout=30)
    t.send("q")
    assert t.exit_code() == code
