"""Helpers of the notification tests: fixtures whose plan has a ``spec.notify``, the CLI as a real
process, and a replay run in this process through the real controller."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def fixture_with_notify(
    src: Path, out: Path, notify: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None
) -> Path:
    """A copy of a fixture with its plan inline and ``spec.notify`` (and actions) set."""
    doc = yaml.safe_load(src.read_text())
    if "planRef" in doc:
        doc["plan"] = yaml.safe_load((src.parent / doc.pop("planRef")).read_text())
    doc["plan"]["spec"]["notify"] = notify
    if actions is not None:
        doc["actions"] = actions
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def run_cli(*args: object, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        full.pop(proxy, None)  # the receiver is on 127.0.0.1
    return subprocess.run(
        [sys.executable, "-m", "canary_tui", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full,
        cwd=ROOT,
    )


def replay_in_process(fixture: Path, sinks: Sequence[Any]) -> tuple[float, Any]:
    """Replay a fixture through the real controller as fast as it goes: (wall seconds, final state)."""
    from canary_tui.commands.replay import build
    from canary_tui.core.fixture import load_fixture

    controller = build(load_fixture(fixture), None, list(sinks))
    t = time.perf_counter()
    state = controller.run()
    return time.perf_counter() - t, state
