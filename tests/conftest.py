"""Shared test helpers: run the real CLI in a subprocess with a private state directory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PLANS = FIXTURES / "plans"


@dataclass
class Result:
    rc: int
    out: str
    err: str


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_STATE_HOME, so audit logs land in the test's temporary directory."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


@pytest.fixture
def cli(state_home: Path):
    """Run ``canary-tui ARGS`` as a real process; returns rc, stdout, stderr."""

    def run(
        *args: str | os.PathLike[str], timeout: float = 120, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> Result:
        full_env = {**os.environ, "XDG_STATE_HOME": str(state_home), "NO_COLOR": "1", **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "canary_tui", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            cwd=cwd or ROOT,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
