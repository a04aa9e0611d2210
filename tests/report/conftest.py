"""Audit logs of real runs, made once per session: every fixture replayed, two demo scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from reporthelp import FIXTURE_FILES, run_cli


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> audit log of one run: each fixture of fixtures/ replayed, and ``demo-error-spike``,
    ``demo-smoke-failure`` (a failing phase check)."""
    base = tmp_path_factory.mktemp("logs")
    env = {"XDG_STATE_HOME": str(base / "state")}
    out: dict[str, Path] = {}
    for fixture in FIXTURE_FILES:
        log = base / f"{fixture.stem}.jsonl"
        r = run_cli("replay", fixture, "--headless", "--log", log, env=env)
        assert r.returncode in (0, 1, 3), f"{fixture.name}: {r.stderr}"
        out[fixture.stem] = log
    for scenario in ("error-spike", "smoke-failure"):
        log = base / f"demo-{scenario}.jsonl"
        r = run_cli("demo", "--headless", "--scenario", scenario, "--log", log, env=env)
        assert r.returncode == 1, r.stderr
        out[f"demo-{scenario}"] = log
    return out
