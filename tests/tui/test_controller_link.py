"""The UI and the controller's thread: a flood collapses, a slow evaluation shows, a crash is shown."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml
from tui_helpers import ACTOR, DATA, run, screen_text

from canary_tui.clock import RealClock
from canary_tui.controller import Controller
from canary_tui.core.fixture import load_fixture
from canary_tui.core.gates import Reading
from canary_tui.core.model import GateSource
from canary_tui.replay import FixtureCluster
from canary_tui.tui.app import make_app
from canary_tui.tui.screens.charts import ChartsScreen
from canary_tui.tui.screens.help import HelpScreen


def long_fixture(tmp_path: Path, samples: int) -> Path:
    """The spike fixture's plan at a 1 s interval with ``samples`` steady samples."""
    doc = yaml.safe_load((DATA / "spike.yaml").read_text())
    doc["plan"]["spec"]["interval"] = "1s"
    for phase in doc["plan"]["spec"]["phases"][:-1]:
        phase["duration"] = "1h"
    doc["step"] = "1s"
    doc["series"] = {
        name: {"canary": [s["canary"][0]] * samples, "stable": [s["stable"][0]] * samples}
        for name, s in doc["series"].items()
    }
    doc.pop("expect")
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_flood_of_snapshots_collapses_and_loses_no_evaluation(room, tmp_path):
    path = long_fixture(tmp_path, 3000)
    r = room(fixture=path, paused=False, speed=None)  # the virtual clock jumps: as fast as it can

    async def scenario():
        async with r.app.run_test(size=(120, 40)) as pilot:
            await r.until(pilot, lambda: r.app.ended.is_set(), timeout=60)
            await pilot.pause(0.2)

    run(scenario())
    model = r.app.model
    assert model.state.evaluations == 3000
    assert model.applied < r.app.mailbox.puts  # many snapshots, fewer screen updates
    whole = list(model.history["error_rate"].whole)
    assert whole[0].at == load_fixture(tmp_path / "long.yaml").start and len(whole) <= 2048
    assert [row.kind for row in model.rows][-1] == "result"


class SlowMetrics:
    """A metrics source that hangs until released, like a Prometheus that does not answer."""

    def __init__(self, gates: list[str]) -> None:
        self.gates = gates
        self.started = threading.Event()
        self.release = threading.Event()

    def read(self, plan, phase_index, at):
        self.started.set()
        self.release.wait(30)
        return {name: Reading(0.95, 0.95) if "ratio" in name else Reading(0.001, 0.001) for name in self.gates}


class BrokenMetrics:
    def read(self, plan, phase_index, at):
        raise RuntimeError("metrics adapter bug")


def live_controller(metrics) -> Controller:
    fixture = load_fixture(DATA / "spike.yaml")
    return Controller(fixture.plan, clock=RealClock(), metrics=metrics, cluster=FixtureCluster(fixture), mode="run")


@pytest.mark.slow
def test_a_slow_evaluation_shows_as_such_and_keys_still_answer():
    fixture = load_fixture(DATA / "spike.yaml")
    metrics = SlowMetrics([g.name for g in fixture.plan.gates if g.source is GateSource.PROMETHEUS])
    controller = live_controller(metrics)
    app = make_app(controller, mode="run", actor=ACTOR, tick=0.2)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                if metrics.started.is_set():
                    break
                await pilot.pause(0.05)
            assert metrics.started.is_set()
            await pilot.press("g")  # the UI answers while the controller is stuck in the read
            assert isinstance(app.screen, ChartsScreen)
            await pilot.press("escape", "question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            for _ in range(100):
                if "the metrics answer slowly" in screen_text(app):
                    break
                await pilot.pause(0.1)
            assert "evaluating for" in screen_text(app)
            metrics.release.set()
            for _ in range(50):
                if "promotes in" in screen_text(app):
                    break
                await pilot.pause(0.1)
            assert "promotes in" in screen_text(app)
            await pilot.press("q", "y")

    run(scenario())
    metrics.release.set()


def test_a_controller_crash_is_shown_and_the_app_stays_usable():
    app = make_app(live_controller(BrokenMetrics()), mode="run", actor=ACTOR, tick=None)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                if app.ended.is_set():
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.1)
            assert "the controller stopped with an error: RuntimeError('metrics adapter bug')" in screen_text(app)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            assert app.check_action("rollback", ()) is False  # nothing left to steer: no longer offered

    run(scenario())
    assert isinstance(app.error, RuntimeError)
