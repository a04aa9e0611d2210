"""Acceptance: ``demo --state-file S`` in one terminal, ``watch --state-file S`` in another (real CLIs in
tmux): the watcher shows the driver's phase and outcome within one refresh; a driver killed with
SIGKILL brings up the stale banner."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from canary_tui.identity import actor

pytestmark = pytest.mark.slow

REFRESH = 1.0
SLACK = 1.5  # drawing the screen and capturing the pane, on top of one refresh
PHASE = re.compile(r"▶ (\w+)")
OUTCOMES = ("Promoted", "RolledBack", "Incomplete")


def where(screen: str) -> tuple[str | None, str | None]:
    """(the current phase, the outcome) a control room shows."""
    head = screen.splitlines()[0] if screen else ""
    outcome = next((o for o in OUTCOMES if o in head), None)
    m = PHASE.search(screen)
    return (m.group(1) if m else None), outcome


ORDER = ("canary", "expansion", "majority", "full")


def progress(shown: tuple[str | None, str | None]) -> tuple[bool, int]:
    """How far a screen is: decided beats any phase; later phases beat earlier ones."""
    phase, outcome = shown
    return outcome is not None, ORDER.index(phase) if phase in ORDER else -1


def wait_state(path, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the driver wrote no state file"
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_the_watcher_shows_the_drivers_phase_and_outcome_within_one_refresh(tmux, tmp_path):
    state = tmp_path / "state.json"
    driver = tmux("demo", "--speed", "10", "--state-file", str(state), "--log", str(tmp_path / "demo.jsonl"))
    wait_state(state)
    watcher = tmux("watch", "--state-file", str(state), "--refresh", "1s")
    watcher.wait_for("READ-ONLY", timeout=15)
    followed: list[tuple[str | None, str | None]] = []
    deadline = time.monotonic() + 90
    while True:
        assert time.monotonic() < deadline, "the demo did not end"
        shown = where(driver.screen())
        if shown == (None, None):  # not drawn yet
            time.sleep(0.05)
            continue
        if not followed or followed[-1] != shown:
            # the driver changed phase (or ended): the watcher must show the same within one refresh (or
            # already a later one: the last phase has no soak and lasts one evaluation, half a second here)
            seen_at = time.monotonic()
            while progress(where(watcher.screen())) < progress(shown):
                waited = time.monotonic() - seen_at
                assert waited < REFRESH + SLACK, f"watcher shows {where(watcher.screen())}, driver {shown}"
                time.sleep(0.05)
            followed.append(shown)
            if shown[1] is not None:
                assert where(watcher.screen())[1] == shown[1]  # the same outcome
        if shown[1] is not None:
            break
        time.sleep(0.05)
    phases = [p for p, _ in followed]
    assert phases[:3] == ["canary", "expansion", "majority"] and followed[-1][1] == "Promoted"
    assert "READ-ONLY" in watcher.screen().splitlines()[0]
    driver.send("q")
    assert driver.exit_code() == 0
    watcher.send("q")
    assert watcher.exit_code() == 0  # the outcome it saw: Promoted
    assert (
        not (tmp_path / "state" / "canary-tui").exists()
        or [p.name for p in (tmp_path / "state" / "canary-tui").iterdir()] == []
    )  # (the demo logs with --log elsewhere; the watcher wrote nothing)


def test_killing_the_driver_brings_up_the_stale_banner(tmux, tmp_path):
    state = tmp_path / "state.json"
    driver = tmux("demo", "--state-file", str(state), "--log", str(tmp_path / "demo.jsonl"))
    doc = wait_state(state)
    watcher = tmux("watch", "--state-file", str(state), "--refresh", "1s")
    watcher.wait_for("state written", timeout=15)
    assert "STALE" not in watcher.screen()
    # a decision taken at the driver's keys shows at the watcher, with who took it
    driver.send("h")
    watcher.wait_for(f"held by {actor()}", timeout=REFRESH + SLACK + 1)
    os.kill(doc["process"]["pid"], signal.SIGKILL)  # the demo this test started, by its pid
    killed = time.monotonic()
    watcher.wait_for("STALE", timeout=REFRESH + SLACK + 1)
    print(f"stale banner {time.monotonic() - killed:.2f}s after the kill")
    screen = " ".join(watcher.screen().split())
    assert f"the driver's process (pid {doc['process']['pid']} on this machine) is gone" in screen
    watcher.send("q")
    assert watcher.exit_code() == 3  # quit before an outcome
