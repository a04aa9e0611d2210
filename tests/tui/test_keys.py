"""Every key in every mode, driven with Pilot, checked on the controller and in the audit log file."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input
from tui_helpers import ACTOR, MODES, READ_ONLY_MODES, STEERING_MODES, run, screen_text

from canary_tui.core.rule import Outcome
from canary_tui.tui.screens.charts import ChartsScreen, GateChart
from canary_tui.tui.screens.confirm import ConfirmScreen
from canary_tui.tui.screens.help import HelpScreen
from canary_tui.tui.widgets.pod_table import PodTable
from canary_tui.tui.widgets.pods import PodPanel

SIZE = (120, 40)


def actions(room, kind=None):
    return [e for e in room.events("action") if kind is None or e["action"] == kind]


# ---------------------------------------------------------------------------- promote


@pytest.mark.parametrize("mode", STEERING_MODES)
def test_p_asks_naming_the_next_phase_then_promotes(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 2)
            await pilot.press("p")
            assert isinstance(r.app.screen, ConfirmScreen)
            assert "expansion (25%)" in screen_text(r.app)
            await pilot.press("enter")  # the focused default is Cancel
            assert not isinstance(r.app.screen, ConfirmScreen)
            await pilot.pause(0.1)
            assert actions(r) == []
            await pilot.press("p")
            await pilot.click("#confirm")
            await r.until(pilot, lambda: r.app.model.state.phase_index == 1)
            assert "expansion" in screen_text(r.app)

    run(scenario())
    promote = actions(r, "promote")
    assert promote and promote[0]["actor"] == ACTOR and promote[0]["accepted"] is True
    assert [e["phase"] for e in r.events("phase")] == ["canary", "expansion"]
    decision = r.events("decision")[0]
    assert decision["decision"] == "promote" and decision["reason"] == f"promoted by {ACTOR}"


def test_p_after_a_failing_evaluation_is_refused_and_says_why(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 13)  # error_rate 0.071 > 0.05 at 12m: one fail, in majority
            assert r.app.model.state.phase_index == 2
            await pilot.press("p", "y")
            await r.until(pilot, lambda: any(row.kind == "promote" for row in r.app.model.rows))
            assert "refused" in screen_text(r.app)
            assert r.app.model.state.phase_index == 2

    run(scenario())
    promote = actions(r, "promote")
    assert promote[0]["accepted"] is False and "failing gate" in promote[0]["reason"]


# ---------------------------------------------------------------------------- hold / resume


@pytest.mark.parametrize("mode", STEERING_MODES)
def test_h_holds_promotion_and_h_again_resumes(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            await pilot.press("h")
            await r.until(pilot, lambda: r.app.model.state.held)
            assert f"held by {ACTOR}" in screen_text(r.app)
            assert "h Resume" in screen_text(r.app)
            await r.step_to(pilot, 8)  # past the 5m soak: held, so still in canary
            assert r.app.model.state.phase_index == 0
            await pilot.press("h")
            await r.until(pilot, lambda: not r.app.model.state.held)
            await r.step_to(pilot, 9)
            assert r.app.model.state.phase_index == 1  # promoted at the next evaluation

    run(scenario())
    assert [(e["action"], e["actor"], e["accepted"]) for e in actions(r)] == [
        ("hold", ACTOR, True),
        ("resume", ACTOR, True),
    ]


# ---------------------------------------------------------------------------- rollback


@pytest.mark.parametrize("mode", STEERING_MODES)
def test_r_asks_with_cancel_as_default_then_rolls_back_with_the_actor(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 3)
            await pilot.press("r")
            assert isinstance(r.app.screen, ConfirmScreen)
            assert r.app.screen.focused.id == "cancel"
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert r.app.model.state.outcome is None and actions(r) == []
            await pilot.press("r")
            await pilot.press("escape")
            await pilot.press("r")
            await pilot.click("#confirm")
            await r.until(pilot, lambda: r.app.model.state.outcome is Outcome.ROLLED_BACK)
            text = screen_text(r.app)
            assert "RolledBack" in text and f"rolled back by {ACTOR}" in text
            # the app stays open, showing the outcome, until q
            await pilot.pause(0.2)
            assert r.app.is_running
            await pilot.press("q")

    run(scenario())
    assert actions(r, "rollback")[0]["actor"] == ACTOR
    result = r.events("result")
    assert len(result) == 1 and result[0]["outcome"] == "RolledBack" and ACTOR in result[0]["reason"]


def test_steering_keys_are_disabled_once_decided(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 14)
            assert r.app.model.state.outcome is Outcome.ROLLED_BACK
            for key in ("p", "h", "r", "space", "plus", "n"):
                await pilot.press(key)
                assert not isinstance(r.app.screen, ConfirmScreen)
            # no longer offered: the footer shows neither steering nor pacing keys after the outcome
            for action in ("promote", "hold", "rollback", "pause", "play", "faster", "step"):
                assert r.app.check_action(action, ()) is False
            await pilot.pause()
            footer = screen_text(r.app).splitlines()[-1]
            for word in ("Promote", "Hold", "Rollback", "Pace", "Play", "Pause", "Speed", "Step"):
                assert word not in footer, footer
            assert "Charts" in footer and "Quit" in footer
            assert r.app.is_running

    run(scenario())
    assert actions(r) == []


@pytest.mark.parametrize("mode", READ_ONLY_MODES)
def test_read_only_modes_have_no_steering_keys(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 2)
            for key in ("p", "h", "r"):
                await pilot.press(key)
                await pilot.pause()
                assert not isinstance(r.app.screen, ConfirmScreen)
            for action in ("promote", "hold", "resume", "rollback"):
                assert r.app.check_action(action, ()) is False
            footer = screen_text(r.app).splitlines()[-1]
            assert "Promote" not in footer and "Rollback" not in footer and "Hold" not in footer
            await pilot.pause(0.1)

    run(scenario())
    assert actions(r) == []


# ---------------------------------------------------------------------------- time controls


def test_replay_space_pauses_and_plays(room):
    r = room(paused=False, speed=60.0)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            clock = r.controller.clock
            await r.until(pilot, lambda: r.evaluations >= 1)
            await pilot.press("space")
            assert clock.paused
            assert "paused" in screen_text(r.app).splitlines()[0]
            frozen = clock.now()
            await pilot.pause(0.3)
            assert clock.now() == frozen
            await pilot.press("space")
            assert not clock.paused
            await r.until(pilot, lambda: clock.now() > frozen)

    run(scenario())


def test_replay_plus_and_minus_change_the_speed(room):
    r = room(speed=60.0)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            clock = r.controller.clock
            await pilot.press("plus")
            assert clock.speed == 120.0
            assert "120x" in screen_text(r.app).splitlines()[0]
            await pilot.press("minus", "minus")
            assert clock.speed == 30.0

    run(scenario())


def test_replay_n_steps_one_evaluation_while_paused(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            for expected in (2, 3, 4):
                await pilot.press("n")
                await r.until(pilot, lambda expected=expected: r.evaluations == expected)
            await pilot.pause(0.2)
            assert r.evaluations == 4  # and no further: the clock is still paused

    run(scenario())
    assert len(r.events("evaluation")) == 4


@pytest.mark.parametrize("mode", ["demo", "run", "dry-run", "watch"])
def test_time_keys_exist_only_in_replay(room, mode):
    r = room(mode=mode, speed=60.0)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            clock = r.controller.clock
            await pilot.press("space", "plus", "minus", "n")
            await pilot.pause(0.2)
            assert clock.paused
            assert clock.speed == 60.0
            assert r.evaluations == 1
            for action in ("pause", "play", "faster", "slower", "step"):
                assert r.app.check_action(action, ()) is False

    run(scenario())


# ---------------------------------------------------------------------------- viewing keys


@pytest.mark.parametrize("mode", MODES)
def test_g_opens_the_charts_and_g_closes_them(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 6)
            await pilot.press("g")
            assert isinstance(r.app.screen, ChartsScreen)
            charts = list(r.app.screen.query(GateChart))
            assert [c.gate.name for c in charts] == [g.name for g in r.controller.plan.gates]
            assert "now 0.001 (pass)" in str(charts[0].render())  # error_rate's sample at 5m
            await r.step_to(pilot, 7)  # a new evaluation redraws the open charts
            assert "now 0.0014 (pass)" in str(charts[0].render())
            await pilot.press("g")
            assert not isinstance(r.app.screen, ChartsScreen)
            await pilot.press("g", "escape")
            assert not isinstance(r.app.screen, ChartsScreen)

    run(scenario())


@pytest.mark.parametrize("mode", MODES)
def test_slash_filters_the_pods_and_escape_clears(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            panel = r.app.query_one(PodPanel)
            table = panel.table
            assert table.row_count == 4
            await pilot.press("slash")
            assert isinstance(r.app.focused, Input)
            await pilot.press("v", "2")
            assert table.row_count == 1 and panel.shown[0].name == "checkout-v2-5c6b4-pqrst"
            await pilot.press("enter")
            assert table.has_focus and table.row_count == 1
            await pilot.press("slash", "escape")
            assert table.row_count == 4 and panel.filter_text == ""

    run(scenario())


def test_s_and_header_clicks_sort_the_pods(room):
    r = room()

    async def scenario():
        async with r.app.run_test(size=(160, 48)) as pilot:
            await r.step_to(pilot, 1)
            panel = r.app.query_one(PodPanel)
            assert panel.shown[0].name == "checkout-v1-7d9f8-abcde"
            await pilot.press("s")  # name -> version
            assert panel.sort_column == "version"
            for _ in range(3):  # -> phase -> ready -> restarts
                await pilot.press("s")
            assert panel.sort_column == "restarts"
            assert panel.shown[-1].restarts == 1
            table = panel.table
            widths, gap = table._fitted()
            x = sum(widths[k] + gap for k in ("name", "version", "phase", "ready")) + 1
            await pilot.click(PodTable, offset=(x, 0))  # the "restarts" heading: again, so reversed
            await pilot.pause()
            assert panel.sort_reverse and panel.shown[0].restarts == 1

    run(scenario())


@pytest.mark.parametrize("mode", MODES)
def test_question_mark_shows_what_this_mode_allows(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=(120, 50)) as pilot:
            await r.step_to(pilot, 1)
            await pilot.press("question_mark")
            assert isinstance(r.app.screen, HelpScreen)
            text = screen_text(r.app)
            assert r.app.room_mode.badge in text
            if mode in READ_ONLY_MODES:
                assert "no: " + r.app.room_mode.steering_refused[:12] in text
            if mode != "replay":
                assert "no: only replay" in text
            await pilot.press("escape")
            assert not isinstance(r.app.screen, HelpScreen)

    run(scenario())


@pytest.mark.parametrize("mode", MODES)
def test_colon_opens_the_palette_with_what_the_mode_allows(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 1)
            await pilot.press("colon")
            assert isinstance(r.app.screen, CommandPalette)
            await pilot.press(*"roll back")
            await pilot.pause(0.5)
            text = screen_text(r.app)
            assert ("send all traffic to stable" in text) is (mode in STEERING_MODES)
            while isinstance(r.app.screen, CommandPalette):
                await pilot.press("escape")
                await pilot.pause(0.05)
            await pilot.press("ctrl+p")
            assert isinstance(r.app.screen, CommandPalette)
            await pilot.press(*"hold")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause(0.3)

    run(scenario())
    held = [(e["action"], e["actor"]) for e in actions(r)]
    assert held == ([("hold", ACTOR)] if mode in STEERING_MODES else [])


@pytest.mark.parametrize("mode", ["demo", "replay", "dry-run", "watch"])
def test_q_quits_at_once_and_never_rolls_back(room, mode):
    r = room(mode=mode)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 7)
            await pilot.press("q")
            await r.until(pilot, lambda: r.app.ended.is_set())

    run(scenario())
    assert r.app.ended.wait(5)
    assert r.controller.state.outcome is Outcome.INCOMPLETE
    assert [e["outcome"] for e in r.events("result")] == ["Incomplete"]
    assert not r.events("decision") or all(e["decision"] != "rollback" for e in r.events("decision"))


def test_q_in_a_live_run_says_quitting_does_not_roll_back(room):
    r = room(mode="run")

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.step_to(pilot, 7)
            await pilot.press("q")
            assert isinstance(r.app.screen, ConfirmScreen)
            assert "Quitting does not roll back" in screen_text(r.app)
            await pilot.press("enter")  # Cancel
            assert r.app.is_running and r.controller.state.outcome is None
            await pilot.press("q", "y")
            await r.until(pilot, lambda: r.app.ended.is_set())

    run(scenario())
    assert r.controller.state.outcome is Outcome.INCOMPLETE
    assert [e["outcome"] for e in r.events("result")] == ["Incomplete"]


# ---------------------------------------------------------------------------- demo


def test_demo_keys_drive_the_simulated_release(demo_room):
    r = demo_room(speed=40.0)

    async def scenario():
        async with r.app.run_test(size=SIZE) as pilot:
            await r.until(pilot, lambda: r.evaluations >= 2)
            await pilot.press("h")
            await r.until(pilot, lambda: r.app.model.state.held)
            await r.until(pilot, lambda: r.evaluations >= 16, timeout=20)  # 80 s of demo time
            assert r.app.model.state.phase_index == 0  # held past the 60 s soak
            await pilot.press("p", "y")
            await r.until(pilot, lambda: r.app.model.state.phase_index == 1)
            await pilot.press("r")
            await pilot.click("#confirm")
            await r.until(pilot, lambda: r.app.model.state.outcome is Outcome.ROLLED_BACK)
            assert f"rolled back by {ACTOR}" in screen_text(r.app)

    run(scenario())
    assert [(e["action"], e["actor"]) for e in actions(r)] == [("hold", ACTOR), ("promote", ACTOR), ("rollback", ACTOR)]
    assert r.events("result")[0]["outcome"] == "RolledBack"
