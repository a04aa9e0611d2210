"""The header's clock note tells the speed the replay actually reaches (issue 17: pacing that keeps its word).

Asked for a speed the machine cannot give, the header shows ``▶ 1000000x (achieved Nx)`` with N the
speed virtual time really went at; at a speed it reaches, only the speed asked for."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from tui_helpers import run, screen_text

from canary_tui.tui.widgets.header import RoomHeader

SIZE = (120, 40)
SAMPLES = 200_000  # at 1 s a sample: days of replay, so no run ends while a test watches it


def long_fixture(tmp_path: Path) -> Path:
    """One gate at 1 s, manual promotion: the replay goes on until the samples run out."""
    plan = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": "pace", "namespace": "shop"},
        "spec": {
            "service": "pace",
            "stable": {"version": "v1"},
            "canary": {"version": "v2"},
            "traffic": {"router": "simulated"},
            "metrics": {"provider": "simulated"},
            "interval": "1s",
            "promotion": "manual",
            "phases": [
                {"name": "canary", "weight": 5, "duration": "1m"},
                {"name": "full", "weight": 100, "duration": "0s"},
            ],
            "gates": [{"name": "error_rate", "query": 'errors{version="{{version}}"}', "failAbove": 0.05}],
        },
    }
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "pace"},
        "plan": plan,
        "start": "2026-01-01T00:00:00Z",
        "step": "1s",
        "series": {"error_rate": {"canary": [0.001] * SAMPLES}},
    }
    path = tmp_path / "pace.json"
    path.write_text(json.dumps(doc))
    return path


def note(r) -> str:
    return r.app.query_one(RoomHeader).clock_note


def test_a_speed_out_of_reach_shows_the_speed_achieved(room, tmp_path):
    r = room(fixture=long_fixture(tmp_path), paused=False, speed=1_000_000.0, tick=0.25)
    clock = r.controller.clock

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.until(pilot, lambda: "achieved" in note(r), timeout=30)
            # the speed virtual time really goes at, measured here over at least half a second
            t1, v1, e1 = time.monotonic(), clock.now(), r.evaluations
            await r.until(pilot, lambda: time.monotonic() - t1 >= 0.5 and r.evaluations >= e1 + 100, timeout=30)
            rate = (clock.now() - v1).total_seconds() / (time.monotonic() - t1)
            await pilot.pause()
            screen = screen_text(r.app)  # what the header shows (its note changes at every evaluation)
            m = re.search(r"▶ 1e\+06x \(achieved ([0-9.e+]+)x\)", screen)
            assert m is not None, screen.splitlines()[0]
            achieved = float(m.group(1))
            assert achieved < 0.9 * 1_000_000
            assert rate / 3 <= achieved <= rate * 3, (achieved, rate)  # the truth, within the noise of a busy machine

    run(scenario())


def test_a_speed_within_reach_shows_only_the_speed(room, tmp_path):
    r = room(fixture=long_fixture(tmp_path), paused=False, speed=4.0, tick=0.25)
    clock = r.controller.clock

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            # measured: at least a second of pacing behind the clock's figure
            await r.until(pilot, lambda: clock.achieved is not None and r.evaluations >= 6, timeout=30)
            await pilot.pause()
            assert note(r) == "▶ 4x"
            assert "▶ 4x" in screen_text(r.app) and "achieved" not in screen_text(r.app)

    run(scenario())
