"""The audit log: every run appends its events, each line flushed as it happens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import FIXTURES, ROOT


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_runs_append_to_the_default_log_under_xdg_state_home(cli, state_home: Path) -> None:
    cli("demo", "--headless")
    cli("demo", "--headless", "--scenario", "error-spike")
    log = state_home / "canary-tui" / "checkout-demo.jsonl"
    events = read(log)
    starts = [e for e in events if e["type"] == "start"]
    assert len(starts) == 2 and starts[0]["mode"] == "demo" and "@" in starts[0]["actor"]
    assert [e["outcome"] for e in events if e["type"] == "result"] == ["Promoted", "RolledBack"]
    assert len({e["run"] for e in events}) == 2


def test_log_path_option_and_actions_keep_their_actor(cli, tmp_path: Path) -> None:
    log = tmp_path / "audit" / "hold.jsonl"
    cli("replay", FIXTURES / "hold-resume.yaml", "--headless", "--log", log)
    actions = [e for e in read(log) if e["type"] == "action"]
    assert [(a["action"], a["actor"], a["accepted"]) for a in actions] == [
        ("hold", "alice@laptop", True),
        ("resume", "alice@laptop", True),
    ]


def test_the_log_holds_the_same_events_as_the_json_output(cli, tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    r = cli("replay", FIXTURES / "phase-override.yaml", "--headless", "--json", "--log", log)
    logged = [e for e in read(log) if e["type"] != "start"]
    for e in logged:
        del e["run"]
    assert logged == [json.loads(line) for line in r.out.splitlines()]


def test_nothing_is_lost_when_the_process_is_killed(tmp_path: Path) -> None:
    log = tmp_path / "killed.jsonl"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "canary_tui", "demo", "--headless", "--json", "--speed", "40", "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    seen = [proc.stdout.readline() for _ in range(8)]  # the run is under way: phase + evaluations
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.1)
    logged = read(log)  # every line is whole JSON
    without_run = [{k: v for k, v in e.items() if k != "run"} for e in logged if e["type"] != "start"]
    for line in seen:
        assert json.loads(line) in without_run
    assert logged[-1]["type"] != "result"


def test_an_unwritable_log_is_bad_input(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = cli("demo", "--headless", "--log", blocker / "sub" / "log.jsonl")
    assert r.rc == 2 and "cannot open the audit log" in r.err


def test_the_audit_log_can_be_dev_null_or_a_fifo(tmp_path):
    """`--log /dev/null` and a FIFO take the lines; only regular files are fsynced."""
    import os
    import subprocess
    import sys
    import threading

    cmd = [sys.executable, "-m", "canary_tui", "demo", "--headless", "--scenario", "healthy"]
    done = subprocess.run([*cmd, "--log", "/dev/null"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    lines: list[str] = []

    def read() -> None:
        with open(fifo) as f:
            lines.extend(f.read().splitlines())

    reader = threading.Thread(target=read)
    reader.start()
    done = subprocess.run([*cmd, "--log", str(fifo)], capture_output=True, text=True, timeout=60)
    reader.join(30)
    assert done.returncode == 0, done.stderr
    assert '"type":"start"' in lines[0] and '"type":"result"' in lines[-1]
