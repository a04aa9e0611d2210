"""A live run ends within a second of its result line, however it ends (outcome, SIGTERM, ``q``) and
whatever hangs then: the webhook, the Kubernetes Events API, the Lease release. What could not be
delivered is abandoned and said on stderr; the audit log has everything."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from kubehelpers import ROOT, vs_weights
from livehelp import exit_time, hang_the_sinks, live_plan

GIVEN_UP = (
    "notify team: gave up waiting after 0.5s",
    "Kubernetes Event(s) not recorded: the API server did not take them within 0.5s",
    "the lease canary-tui-checkout was not given back (the API server did not answer within 0.5s)",
)


def test_a_live_run_that_promotes_exits_within_a_second_of_its_result_whatever_hangs(
    fake, kenv, write_plan, hook, spawn
):
    hang_the_sinks(fake, hook)
    plan = live_plan(write_plan, notify=True)
    p = spawn("run", plan, "--headless", "--json", env={**kenv, "HOOK": hook.url()})
    result = p.until(lambda line: line.data["type"] == "result", timeout=60)
    ended = exit_time(p.proc)
    assert result.data["outcome"] == "Promoted" and p.proc.returncode == 0
    assert ended - result.at < 1.0, ended - result.at
    err = p.stderr
    for said in GIVEN_UP:
        assert said in err, err
    assert vs_weights(fake) == (0, 100)
    assert hook.attempts >= 1  # it was tried, and hung


def test_sigterm_ends_a_live_run_within_a_second_of_its_result_whatever_hangs(fake, kenv, write_plan, hook, spawn):
    hang_the_sinks(fake, hook)
    plan = live_plan(write_plan, notify=True, durations=("60s", "60s", "60s"))
    p = spawn("run", plan, "--headless", "--json", env={**kenv, "HOOK": hook.url()})
    p.until(lambda line: line.data["type"] == "evaluation")
    p.until(lambda line: line.data["type"] == "evaluation")
    os.kill(p.proc.pid, signal.SIGTERM)
    result = p.until(lambda line: line.data["type"] == "result", timeout=30)
    ended = exit_time(p.proc)
    assert result.data["outcome"] == "Incomplete" and p.proc.returncode == 3
    assert ended - result.at < 1.0, ended - result.at
    err = p.stderr
    for said in GIVEN_UP:
        assert said in err, err
    assert vs_weights(fake) == (95, 5)  # stopped, never rolled back


def test_q_ends_the_live_control_room_within_a_second_of_the_result_whatever_hangs(
    fake, kenv, write_plan, hook, tmp_path: Path
):
    hang_the_sinks(fake, hook)
    plan = live_plan(write_plan, notify=True, durations=("60s", "60s", "60s"))
    log, rc = tmp_path / "audit.jsonl", tmp_path / "rc"
    env = {k: kenv[k] for k in ("KUBECONFIG", "XDG_STATE_HOME", "CANARY_TUI_KUBE_TIMEOUT")}
    env |= {"HOOK": hook.url(), "TERM": "xterm-256color", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "canary_tui", "run", str(plan), "--log", str(log)]
    script = (
        f"cd {shlex.quote(str(ROOT))} && env {' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items())} "
        f"{shlex.join(command)}; echo $? > {shlex.quote(str(rc))}; sleep 600"
    )
    name = f"canary-tui-live-{uuid.uuid4().hex[:8]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", script], check=True)

    def logged(kind: str) -> bool:
        return log.exists() and any(json.loads(x)["type"] == kind for x in log.read_text().splitlines() if x.strip())

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout

    def until(condition, timeout: float = 30.0, step: float = 0.05) -> float:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, f"timed out; the screen:\n{screen()}"
            time.sleep(step)
        return time.monotonic()

    try:
        until(lambda: logged("evaluation"))
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        until(lambda: "Quit the control room?" in screen())
        subprocess.run(["tmux", "send-keys", "-t", name, "y"], check=True)
        result_at = until(lambda: logged("result"), step=0.01)
        exit_at = until(lambda: rc.exists() and rc.read_text().strip() != "", step=0.01)
        assert exit_at - result_at < 1.0, exit_at - result_at
        assert rc.read_text().strip() == "3"  # quit before an outcome: Incomplete
        assert "still running: the release stays in canary under canary 5% / stable 95%" in screen()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)
    assert vs_weights(fake) == (95, 5)
