"""``replay --state-file PATH`` feeds a watcher, and ``watch --state-file PATH`` started first waits for
the file to appear and to become valid, saying so, then follows it (issue 15)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canary_tui.statefile import read_state_file
from canary_tui.watch.feed import plan_from_document
from canary_tui.watch.follower import Follower
from canary_tui.watch.sources import FileSource

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "healthy-promotion.yaml"


def replay(state: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "canary_tui", "replay", str(FIXTURE), "--headless", "--log", str(log),
         "--state-file", str(state), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )  # fmt: skip


def test_a_follower_follows_a_replay_through_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    driver = replay(state, tmp_path / "replay.jsonl", "--speed", "300")  # 31 one-minute evaluations in ~6 s
    try:
        deadline = time.monotonic() + 60
        while not state.exists():
            assert time.monotonic() < deadline and driver.poll() is None, "the replay wrote no state file"
            time.sleep(0.02)
        doc = read_state_file(state)
        assert doc["mode"] == "replay"
        plan = plan_from_document(doc, str(state))
        assert plan is not None
        follower = Follower(plan, FileSource(state), refresh=1.0)
        phases: list[str] = []
        follower.listeners.append(
            lambda snap: phases.extend(e.phase for e in snap.events if type(e).__name__ == "PhaseEntered")
        )
        while follower.state is None or not follower.state.done:
            assert time.monotonic() < deadline, f"the follower saw {follower.state}"
            follower.poll()
            time.sleep(0.05)
        assert driver.wait(30) == 0, driver.stderr.read() if driver.stderr else ""
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert follower.state.outcome is not None and follower.state.outcome.value == "Promoted"
    assert phases == ["canary", "expansion", "majority", "full"]  # each once, in order
    # the replay's audit log and the watcher agree on the outcome
    result = json.loads((tmp_path / "replay.jsonl").read_text().splitlines()[-1])
    assert result["type"] == "result" and result["outcome"] == "Promoted"


def test_watch_waits_for_a_missing_state_file_and_ctrl_c_ends_it_as_incomplete(tmp_path: Path) -> None:
    state = tmp_path / "later.json"
    watcher = subprocess.Popen(
        [sys.executable, "-m", "canary_tui", "watch", "--state-file", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")},
        # Ctrl-C as in a terminal: a test run started in the background (``nohup ... &``) inherits an
        # ignored SIGINT, which Python (rightly) keeps ignoring, and the watcher would never hear it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert watcher.stderr is not None
        line = watcher.stderr.readline().decode()  # said at once, before any wait
        assert f"waiting for the state file {state} to appear" in line
        assert watcher.poll() is None  # still waiting, not exit 2
        state.write_text('{"kind": "Something"}')
        line = watcher.stderr.readline().decode()
        assert "to become a valid state document (now: not a state document: want kind CanaryState)" in line
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(30) == 3  # nothing was followed: Incomplete
        rest = watcher.stderr.read().decode()
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert "Traceback" not in rest and "stopped before the state file was there" in rest
    assert not (tmp_path / "xdg").exists()  # watch writes nothing


@pytest.mark.slow
def test_watch_started_first_picks_up_the_replay_that_creates_the_file(tmux, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    watcher = tmux("watch", "--state-file", str(state), "--refresh", "1s")
    watcher.wait_for("waiting for the state file", timeout=20)
    assert "to appear; Ctrl-C to stop" in "".join(watcher.screen().splitlines())  # (the pane wraps the line)
    driver = replay(state, tmp_path / "replay.jsonl")
    assert driver.wait(60) == 0
    watcher.wait_for("READ-ONLY", timeout=20)
    watcher.wait_for("Promoted", timeout=20)
    watcher.send("q")
    assert watcher.exit_code() == 0  # the outcome it saw


def test_a_state_file_without_its_plan_is_refused_at_once_not_waited_for(tmp_path: Path) -> None:
    """A valid state document that lacks ``planDocument`` (an older canary-tui wrote it) cannot heal:
    without PLAN, exit 2 at once naming the fix; with PLAN, it is followed."""
    state = tmp_path / "state.json"
    driver = replay(state, tmp_path / "replay.jsonl", "--speed", "300")
    assert driver.wait(60) == 0
    doc = json.loads(state.read_text())
    del doc["planDocument"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "canary_tui", "watch", "--state-file", str(old)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - started < 20  # not a wait
    assert "does not carry its plan" in done.stderr and "canary-tui watch PLAN --state-file PATH" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    plan_file = tmp_path / "plan.yaml"  # the plan the driver ran, as its user would keep it
    plan_file.write_text(json.dumps(json.loads(state.read_text())["planDocument"]))
    from canary_tui.commands.watch import _from_file

    class Args:
        state_file = old
        plan = plan_file
        refresh = None

    follower = _from_file(Args())  # type: ignore[arg-type]
    follower.poll()
    assert follower.state is not None and follower.state.outcome is not None
    assert follower.state.outcome.value == "Promoted"
