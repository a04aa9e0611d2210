"""The control room at a glance (issue 18): what must be on screen at each size class, and the small
things an operator trips on (the countdown, the filter echo, a refused action, the alert banner, the
summary left when quitting, ``--json`` without ``--headless``)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from layout_check import CHART_PANELS, assert_no_cell_outside_a_panel, screen_lines, shown_region, visible
from textual.widgets import Input
from tmuxhelp import ROOT
from tui_helpers import run, screen_text

from canary_tui.tui.scales import mark, spark, value_scale
from canary_tui.tui.screens.charts import ChartBox, ChartsScreen
from canary_tui.tui.widgets.alert import AlertBanner
from canary_tui.tui.widgets.events import EventLog
from canary_tui.tui.widgets.fold import FoldSign
from canary_tui.tui.widgets.gates import GatePanel
from canary_tui.tui.widgets.header import RoomHeader
from canary_tui.tui.widgets.phases import PhaseProgress
from canary_tui.tui.widgets.pods import PodPanel
from canary_tui.tui.widgets.signals import GateSignals

SIZES = [(80, 24), (120, 40), (200, 60)]
MID_RUN, DONE = 9, 14  # spike.yaml: in expansion; rolled back in majority at 13m
ALERT = "metrics unavailable: connection refused; rollback in 15m0s if it persists"
RESULT = "RolledBack in majority: error_rate 0.083"


def pod_rows_shown(app) -> list[str]:
    """The pod names drawn in the pod panel's table (rows under its heading), as on the screen."""
    panel = app.query_one(PodPanel)
    region = shown_region(app, panel.table)
    lines = screen_lines(app)[region.y + 1 : region.bottom]  # under the heading
    names = [p.name for p in panel.shown]
    return [line[region.x : region.right] for line in lines if any(n[-5:] in line for n in names)]


@pytest.mark.parametrize("evaluations", [MID_RUN, DONE], ids=["mid-run", "rolled-back"])
def test_each_size_class_shows_what_it_promises(room, evaluations):
    r = room()

    async def scenario():
        async with r.app.run_test(size=(80, 24)) as pilot:
            await r.step_to(pilot, evaluations)
            for width, height in SIZES:
                await pilot.resize_terminal(width, height)
                await pilot.pause(0.2)
                app = r.app
                screen = app.screen_stack[0]
                size_class = {80: "-compact", 120: "-standard", 200: "-wide"}[width]
                assert screen.has_class(size_class)
                # always: the header, the phases, the gates and what the controller waits for
                for panel in (RoomHeader, PhaseProgress, GatePanel):
                    assert visible(app, app.query_one(panel)), (width, panel)
                text = screen_text(app)
                assert app.model.waiting(app.model.now)[0][:20] in text
                sign = app.query_one(FoldSign)
                if width >= 120:
                    # the signals, the whole event log with its newest line (the result, once decided),
                    # the pod summary and pod rows; nothing below the fold
                    assert visible(app, app.query_one(GateSignals))
                    assert visible(app, app.query_one(EventLog))
                    assert app.model.rows[-1].text[:40] in text
                    if evaluations == DONE:
                        assert RESULT in text and app.model.rows[-1].kind == "result"
                    assert visible(app, app.query_one(PodPanel))
                    assert re.search(r"Pods \d+ · canary \d+ \(\d+ ready", text)
                    assert len(pod_rows_shown(app)) >= (1 if width == 120 else 3)
                    assert not sign.display and not app.query_one("#room").show_vertical_scrollbar
                else:
                    # compact: what is below the fold is named at the bottom edge of the room
                    assert sign.display and visible(app, sign)
                    assert "▼ more below: Golden signals · Events · Pods" in text
                if width >= 200:
                    assert app.query_one(GateSignals).spark_width >= 60  # history uses the width
                assert_no_cell_outside_a_panel(app)
            # back to 80 columns, scrolled to the end: nothing is below any more, and the sign goes
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.2)
            await pilot.press("end")
            await pilot.pause(0.2)
            assert not r.app.query_one(FoldSign).display
            assert visible(r.app, r.app.query_one(PodPanel))
            assert_no_cell_outside_a_panel(r.app)

    run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_charts_screen_keeps_every_glyph_in_its_panel(room, size):
    r = room()

    async def scenario():
        async with r.app.run_test(size=size) as pilot:
            await r.step_to(pilot, DONE)
            await pilot.press("g")
            await r.until(pilot, lambda: isinstance(r.app.screen, ChartsScreen))
            await pilot.pause(0.2)
            lines = screen_lines(r.app)
            assert lines[0].strip().endswith(")")  # the title and legend are not cut
            assert_no_cell_outside_a_panel(r.app, CHART_PANELS, "#charts-body")
            # x ticks at round wall-clock times, y ticks at round values (in the first chart)
            box = r.app.screen.query(ChartBox).first()
            inner = [line[box.region.x : box.region.right] for line in lines[box.region.y : box.region.bottom]]
            times = [t for line in inner for t in re.findall(r"\b(\d\d):(\d\d)\b", line)]
            minutes = [int(h) * 60 + int(m) for h, m in times]
            assert len(minutes) >= 2
            step = minutes[1] - minutes[0]
            assert step in (1, 2, 5, 10, 15, 30, 60) and all(m % step == 0 for m in minutes), times
            values = [float(v) for line in inner for v in re.findall(r"│ *(\d+(?:\.\d+)?)┤", line)]
            assert len(values) >= 2, inner
            values.sort()
            gap = values[1] - values[0]
            assert all(abs(v / gap - round(v / gap)) < 1e-6 for v in values), values
            assert re.fullmatch(r"[125]0*|2\.5|0\.0*[125]|0\.0*25", f"{gap:g}"), gap

    run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_watch_screen_shows_what_it_promises(tmp_path, monkeypatch, size):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watch"))
    from watch_helpers import WRITTEN, Wall, demo_state, follower, pin, watch_app

    monkeypatch.chdir(tmp_path)
    app = watch_app(follower(pin(demo_state(Path("state.json"), "smoke-failure")), Wall(WRITTEN + 2)))

    async def scenario():
        async with app.run_test(size=size) as pilot:
            deadline = 100
            while (app.model.state is None or not app.model.state.done) and deadline:
                deadline -= 1
                await pilot.pause(0.05)
            await pilot.pause(0.2)
            text = screen_text(app)
            assert "READ-ONLY" in text and visible(app, app.query_one(GatePanel))
            if size[0] >= 120:
                for panel in (GateSignals, EventLog, PodPanel):
                    assert visible(app, app.query_one(panel)), panel
                assert app.model.rows[-1].kind == "result" and app.model.rows[-1].text[:40] in text
                assert len(pod_rows_shown(app)) >= 1
            else:
                assert "▼ more below:" in text
            assert_no_cell_outside_a_panel(app)

    run(scenario())


def test_sparkline_scales_let_noise_look_like_noise():
    # from 0, topped by the data or a quarter of the warn level: an error rate of 0.0007 under a
    # 0.01 warn level is a low bar, and a 3% wobble around 0.18 s does not fill the height
    low = value_scale(([0.0007, 0.0008, 0.0006],), (0.01, 0.05))
    assert spark([0.0007, 0.0008, 0.0006], low) == "▃▃▃"
    wobble = value_scale(([0.18, 0.185, 0.175, 0.18],), (0.5, 2.0))
    assert set(spark([0.18, 0.185, 0.175, 0.18], wobble)) <= {"▇", "█"}
    # constants and zeros drawn as such
    zeros = value_scale(([0.0, 0.0, 0.0],), (0.0,))
    assert spark([0.0, 0.0, 0.0], zeros) == "▁▁▁"
    assert spark([0.4, 0.4], value_scale(([0.4, 0.4],))) == "██"
    # canary and stable on one scale; levels marked on it, or an arrow at the edge when off it
    both = value_scale(([0.001, 0.12], [0.0007, 0.0008]), (0.01, 0.1))
    assert spark([0.12], both) == "█" and spark([0.0008], both) == "▁"
    assert mark(0.1, both) == "▇" and mark(0.5, both) == "↑" and mark(None, both) == " "
    assert spark([None, float("inf")], both) == "·█"


def test_the_signals_panel_marks_the_levels_between_canary_and_stable(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=(200, 60)) as pilot:
            await r.step_to(pilot, MID_RUN)
            signals = r.app.query_one(GateSignals).region
            lines = screen_text(r.app).splitlines()[signals.y + 1 : signals.bottom - 1]
            assert " wf " in lines[0]
            for line in lines[1:]:
                # the newest canary bar, then the warn and fail marks, then stable's sparkline
                assert re.search(r"[▁-█·] [ ▁-█↑↓]{2} +[▁-█·(]", line), line

    run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_alert_banner_shows_at_every_size(room, size):
    r = room()
    seen = []
    r.controller.listeners.append(seen.append)

    async def scenario():
        async with r.app.run_test(size=size) as pilot:
            await r.step_to(pilot, 2)
            assert not visible(r.app, r.app.query_one(AlertBanner))
            r.app._on_controller_change(dataclasses.replace(seen[-1], alert=ALERT))
            await r.until(pilot, lambda: r.app.query_one(AlertBanner).text == ALERT)
            await pilot.pause(0.1)
            banner = r.app.query_one(AlertBanner)
            assert visible(r.app, banner) and banner.region.y == 1  # right under the header
            assert "⚠ metrics unavailable: connection refused" in screen_text(r.app)
            r.app._on_controller_change(seen[-1])
            await r.until(pilot, lambda: not r.app.query_one(AlertBanner).text)

    run(scenario())


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
def test_a_refused_promote_says_refused_and_why(room, size):
    r = room()

    async def scenario():
        async with r.app.run_test(size=size, notifications=True) as pilot:
            await r.step_to(pilot, 13)  # error_rate failed at the last evaluation
            await pilot.press("p", "y")
            await r.until(pilot, lambda: any("refused" in n.message for n in r.app._notifications))
            messages = [n.message for n in r.app._notifications]
            message = next(m for m in messages if "refused" in m)
            assert message.startswith("promote refused: ") and "failing gate" in message
            assert "error_rate 0.071 > 0.050" in message  # and why
            assert not any("sent as" in m for m in messages), messages  # no "sent" before the refusal
            # the toast stays clear of the event log's newest lines and of the phases
            await pilot.pause(0.3)
            log = r.app.query_one(EventLog).region
            phases = r.app.query_one(PhaseProgress).region
            toasts = list(r.app.screen.query("Toast"))
            assert toasts
            for toast in toasts:
                assert not toast.region.overlaps(log.translate((0, log.height - 4)).intersection(log))
                assert not toast.region.overlaps(phases), (toast.region, phases)
            # an accepted action still says it was sent
            await pilot.press("h")
            await r.until(pilot, lambda: any("hold sent as" in n.message for n in r.app._notifications))

    run(scenario())


def test_the_countdown_is_in_whole_seconds_after_a_manual_promote(room):
    r = room(paused=False, speed=1.0, tick=0.1)

    async def scenario():
        async with r.app.run_test(size=(120, 40)) as pilot:
            await r.until(pilot, lambda: r.evaluations >= 1)
            await pilot.press("p", "y")
            await r.until(pilot, lambda: r.app.model.state.phase_index == 1)
            assert r.app.model.state.phase_start.microsecond != 0  # a key press lands between seconds
            await pilot.pause(0.3)
            waiting = r.app.query_one(GatePanel).waiting[0]
            assert re.fullmatch(r"promotes in (\d+h)?(\d+m)?\d+s", waiting), waiting

    run(scenario())


def test_the_pod_filter_shows_what_is_typed(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=(120, 40)) as pilot:
            await r.step_to(pilot, 1)
            await pilot.press("slash", *"v2")
            await pilot.pause(0.2)
            field = r.app.query_one("#pod-filter", Input)
            assert visible(r.app, field)
            line = screen_text(r.app).splitlines()[field.region.y]
            assert "v2" in line[field.region.x : field.region.right]
            # the room does not scroll for it: the gates, phases and events stay where they were
            for panel in (GatePanel, PhaseProgress, EventLog):
                assert visible(r.app, r.app.query_one(panel)), panel
            assert r.app.query_one("#room").scroll_y == 0
            assert "esc Clear filter" in screen_text(r.app).splitlines()[-1]

    run(scenario())


def test_json_without_headless_prints_json_lines(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "canary_tui", "demo", "--json", "--log", str(tmp_path / "demo.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["type"] == "phase" and lines[-1]["type"] == "result"
    assert out.returncode == 0


def test_quitting_prints_the_outcome_the_log_and_the_report_command(tmux):
    t = tmux("demo", "--speed", "5")
    t.wait_for("promotes in")
    t.send("q")
    assert t.exit_code() == 3
    screen = t.screen()
    assert "nothing was rolled back." in screen
    assert "audit log " in screen and "checkout-demo.jsonl" in screen
    assert "report: canary-tui report " in screen
