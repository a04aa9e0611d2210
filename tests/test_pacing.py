"""``--speed`` keeps its word: a paced replay runs at the speed asked for, not one evaluation per tick."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from canary_tui.clock import VirtualClock

from .conftest import ROOT

START = datetime(2026, 1, 1, tzinfo=UTC)


def paced_fixture(path: Path, seconds: int) -> Path:
    """One gate, a 1 s interval, ``seconds`` of healthy samples (a 24 h soak: it never finishes)."""
    doc = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": "pace"},
        "plan": {
            "apiVersion": "canary-tui/v1alpha1",
            "kind": "CanaryPlan",
            "metadata": {"name": "pace"},
            "spec": {
                "service": "s",
                "stable": {"version": "v1"},
                "canary": {"version": "v2"},
                "interval": "1s",
                "phases": [
                    {"name": "canary", "weight": 5, "duration": "24h"},
                    {"name": "full", "weight": 100, "duration": "0s"},
                ],
                "gates": [{"name": "error_rate", "query": "e", "failAbove": 0.5}],
            },
        },
        "start": "2026-01-01T00:00:00Z",
        "step": "1s",
        "series": {"error_rate": {"canary": [0.01] * (seconds + 1)}},
    }
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("speed", [200, 2000])
def test_headless_replay_runs_at_the_speed_asked_for(tmp_path: Path, state_home: Path, speed: int) -> None:
    # 2000x with a 1 s interval used to be ~21x: one 50 ms tick per evaluation, the overshoot dropped
    seconds = speed * 2  # about two real seconds of replay
    fixture = paced_fixture(tmp_path / "pace.json", seconds)
    env = {**os.environ, "XDG_STATE_HOME": str(state_home)}
    argv = [sys.executable, "-m", "canary_tui", "replay", str(fixture), "--headless", "--json", "--speed", str(speed)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        first = None
        last = None
        for line in proc.stdout:  # each line is flushed as it happens: its arrival time is its real time
            event = json.loads(line)
            if event["type"] == "evaluation":
                now = time.monotonic()
                if first is None:
                    first = (now, event["at"])
                last = (now, event["at"])
        assert proc.wait(timeout=60) == 3  # Incomplete: the samples ran out
    finally:
        proc.kill()
        proc.wait()
    assert first is not None and last is not None
    virtual = (datetime.fromisoformat(last[1]) - datetime.fromisoformat(first[1])).total_seconds()
    assert virtual == seconds
    achieved = virtual / (last[0] - first[0])
    assert abs(achieved - speed) / speed < 0.10, f"asked {speed}x, achieved {achieved:.0f}x"


def run_targets(clock: VirtualClock, interval: timedelta, until: datetime, reached: list[datetime]) -> None:
    wake = threading.Event()
    t = START
    while t <= until:
        clock.wait_until(t, wake)
        reached.append(clock.now())
        t += interval


def test_the_clock_reaches_many_targets_per_tick_and_reports_the_speed() -> None:
    clock = VirtualClock(START, speed=1000.0)
    reached: list[datetime] = []
    began = time.monotonic()
    run_targets(clock, timedelta(seconds=1), START + timedelta(seconds=1500), reached)
    real = time.monotonic() - began
    assert reached[-1] == START + timedelta(seconds=1500)
    assert 1.35 <= real <= 1.65  # 1500 s at 1000x: 1.5 s, not 1501 ticks of 50 ms (75 s)
    achieved = clock.achieved
    assert achieved is not None and abs(achieved - 1000) / 1000 < 0.10


def test_a_slow_caller_gets_the_speed_it_can_reach_and_the_clock_says_so() -> None:
    # each step costs the caller 20 ms of work: at most ~50 targets a second, i.e. 50x with a 1 s interval
    clock = VirtualClock(START, speed=2000.0)
    wake = threading.Event()
    t = START
    for _ in range(60):
        clock.wait_until(t, wake)
        busy_until = time.monotonic() + 0.02
        while time.monotonic() < busy_until:
            pass
        t += timedelta(seconds=1)
    achieved = clock.achieved
    assert achieved is not None and 30 <= achieved <= 55
    assert clock.speed == 2000.0  # what was asked stays what was asked


def test_pause_stops_virtual_time_and_step_still_jumps() -> None:
    clock = VirtualClock(START, speed=1000.0)
    clock.set_paused(True)
    wake = threading.Event()
    done = threading.Event()

    def wait() -> None:
        clock.wait_until(START + timedelta(seconds=10), wake)
        done.set()

    worker = threading.Thread(target=wait)
    worker.start()
    assert not done.wait(0.3)  # paused: 0.3 s at 1000x would have been 300 s
    assert clock.now() == START
    assert clock.achieved is None
    clock.step()
    assert done.wait(5)
    worker.join()
    assert clock.now() == START + timedelta(seconds=10)


def test_a_stall_is_not_paid_back_in_a_burst() -> None:
    clock = VirtualClock(START, speed=100.0)
    wake = threading.Event()
    clock.wait_until(START + timedelta(seconds=1), wake)
    stall = threading.Event()
    stall.wait(1.0)  # the caller is away for a second (a breakpoint): 100 virtual seconds not credited
    began = time.monotonic()
    clock.wait_until(START + timedelta(seconds=60), wake)
    # at most MAX_CREDIT (0.25 s = 25 virtual s) was credited: the remaining ~34 s take ~0.34 s
    assert time.monotonic() - began >= 0.25
