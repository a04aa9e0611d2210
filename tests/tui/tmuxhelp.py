"""A canary-tui command in a real terminal (tmux): keys sent, screen read. Used by the control room's
and the watch tests (``tmux`` fixture: sessions killed at the end of the test)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Tmux:
    """One tmux session running one command; killed at the end of the test."""

    def __init__(self, tmp_path: Path, args: list[str], width: int = 120, height: int = 40) -> None:
        self.name = f"canary-tui-test-{uuid.uuid4().hex[:8]}"
        self.rc = tmp_path / f"{self.name}.rc"
        env = f"XDG_STATE_HOME={shlex.quote(str(tmp_path / 'state'))} TERM=xterm-256color"
        command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "canary_tui", *args])
        script = f"cd {shlex.quote(str(ROOT))} && env {env} {command}; echo $? > {shlex.quote(str(self.rc))}; sleep 600"
        self.started = time.monotonic()
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), script],
            check=True,
        )

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, check=True
        )
        return out.stdout

    def send(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; the screen:\n{self.screen()}")

    def exit_code(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.rc.exists() and self.rc.read_text().strip():
                return int(self.rc.read_text())
            time.sleep(0.05)
        raise AssertionError(f"the program did not exit; the screen:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True, check=False)


@pytest.fixture
def tmux(tmp_path):
    sessions: list[Tmux] = []

    def start(*args: str, width: int = 120, height: int = 40) -> Tmux:
        t = Tmux(tmp_path, list(args), width, height)
        sessions.append(t)
        return t

    yield start
    for t in sessions:
        t.kill()
