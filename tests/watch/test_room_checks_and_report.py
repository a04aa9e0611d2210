"""Two additions to the control room in every mode (issue 7): the plan's phase checks in the gate table
and the event log, and ``w`` writing this run's report from its audit log. A replay fixture on a
paused virtual clock, with a real audit log file."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from textual.command import CommandPalette
from watch_helpers import run, screen_text, until

from canary_tui.commands.replay import build
from canary_tui.core.fixture import load_fixture
from canary_tui.output.jsonl import AuditLog
from canary_tui.tui.app import make_app
from canary_tui.tui.checkrows import check_rows
from canary_tui.tui.source import RunLog

ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 40)


class Replay:
    """A control room over a replay fixture, the clock paused, with a real audit log."""

    def __init__(self, tmp_path: Path, fixture: str, mode: str = "replay") -> None:
        fx = load_fixture(ROOT / "fixtures" / fixture)
        self.log = tmp_path / f"{fx.plan.name}-{mode}.jsonl"
        self.audit = AuditLog(self.log, mode=mode, plan_name=fx.plan.name, actor="alice@laptop", source=fx.source)
        self.controller = build(fx, 1.0, [self.audit], mode=mode)
        self.controller.clock.set_paused(True)  # type: ignore[attr-defined]
        self.app = make_app(self.controller, mode=mode, actor="alice@laptop", fixture=fx, tick=None)

    @property
    def evaluations(self) -> int:
        state = self.app.model.state
        return state.evaluations if state is not None else 0

    async def step_to(self, pilot, n: int) -> None:
        await until(pilot, lambda: self.evaluations >= 1)
        while self.evaluations < n:
            before = self.evaluations
            self.controller.clock.step()  # type: ignore[attr-defined]
            self.controller.poke()
            await until(pilot, lambda before=before: self.evaluations > before)
        await pilot.pause()

    def close(self) -> None:
        self.controller.stop("test over")
        self.app.ended.wait(5)
        self.audit.close()


@pytest.fixture
def replay(tmp_path):
    made: list[Replay] = []

    def make(fixture: str = "checks-rollback.yaml", mode: str = "replay") -> Replay:
        made.append(Replay(tmp_path, fixture, mode))
        return made[-1]

    yield make
    for r in made:
        r.close()


def check_line(text: str) -> str:
    return next(line for line in text.splitlines() if "smoke check" in line)


def test_checks_show_below_the_gates_with_status_reason_and_counts(replay):
    r = replay()

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            line = check_line(screen_text(r.app))
            assert re.search(r"smoke check +skip +on +promote +0/2 +0/3 +runs once the soak is served", line)
            await r.step_to(pilot, 11)  # 10m: canary's soak served, smoke passes, promoted
            assert re.search(r"smoke check +(pass|skip) .*0/2 +0/3", check_line(screen_text(r.app)))
            await r.step_to(pilot, 21)  # 20m: expansion served, smoke fails once
            line = check_line(screen_text(r.app))
            assert re.search(r"smoke check +fail +on +promote +1/2 +0/3", line), line
            text = screen_text(r.app)
            assert "check smoke failing" in text and "(1/2 fails)" in text  # what the controller waits for
            assert "check smoke pass→fail" in text or "check smoke fail" in text  # the event log
            await r.step_to(pilot, 22)  # 21m: fails again -> rolled back
            await until(pilot, lambda: r.app.model.state.done)
            await pilot.pause()
            assert re.search(r"smoke check +fail .* 2/2 ", check_line(screen_text(r.app)))
            assert "check smoke failed for 2 consecutive evaluations" in screen_text(r.app)

    run(scenario())


def test_a_plan_without_checks_has_no_check_rows(replay):
    r = replay("error-spike-at-25.yaml")
    assert check_rows(r.controller.plan, None) == ()


@pytest.mark.parametrize("mode", ["replay", "dry-run"])
def test_w_writes_the_report_of_this_run_from_its_audit_log(replay, tmp_path, mode):
    r = replay("checks-rollback.yaml", mode)
    assert r.app.run_log == RunLog(r.log, r.audit.run)
    out = tmp_path / "reports" / f"checkout-{mode}-{r.audit.run}.html"

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 22)
            await until(pilot, lambda: r.app.model.state.done)
            started = time.monotonic()
            await pilot.press("w")
            assert time.monotonic() - started < 1.0  # written in a thread: the screen never waits
            await until(pilot, lambda: any("report written" in n.message for n in r.app._notifications))
            assert any(str(out) in n.message for n in r.app._notifications)

    run(scenario())
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html>")
    for word in ("RolledBack", "canary", "expansion", "error_rate", "latency_p99", "smoke"):
        assert word in html, word
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained


def test_the_palette_offers_the_report_and_a_failure_is_said(replay, tmp_path):
    r = replay()
    (tmp_path / "reports").write_text("a file where the reports folder should be")

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 2)
            await pilot.press("ctrl+p")
            assert isinstance(r.app.screen, CommandPalette)
            await pilot.press(*"write the report")
            await pilot.pause(0.4)
            assert "Write the report" in screen_text(r.app)
            await pilot.press("enter")
            await until(pilot, lambda: any("report not written" in n.message for n in r.app._notifications))

    run(scenario())


def test_without_an_audit_log_the_report_key_is_disabled(tmp_path):
    fx = load_fixture(ROOT / "fixtures" / "checks-delay.yaml")
    controller = build(fx, 1.0, [], mode="replay")
    app = make_app(controller, mode="replay", actor="alice@laptop", tick=None)
    assert app.run_log is None and app.check_action("report", ()) is None
    controller.stop("test over")
