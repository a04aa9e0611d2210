"""SVG snapshots of the control room, made from a replay fixture on a paused clock (deterministic):
the three size classes (80x24 compact, 120x40 standard, 200x60 wide) mid-release, after the rollback
and on the charts screen; the help, the confirmation and the light theme at two sizes.

The layout is the style sheet's alone (no size is computed after a refresh), so a snapshot cannot be
taken one layout early. Each was looked at (converted to PNG with rsvg-convert) before it was
accepted; ``--snapshot-update`` rewrites them.
"""

from __future__ import annotations

import pytest

from canary_tui.tui.screens.charts import ChartsScreen
from canary_tui.tui.screens.confirm import ConfirmScreen
from canary_tui.tui.screens.help import HelpScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
CLASSES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 40), id="120x40"),
    pytest.param((200, 60), id="200x60"),
]
MID_RUN = 9  # in expansion, cache_hit_ratio just recovered from a warn
DONE = 14  # rolled back in majority at 13m


def at(room, evaluations):
    async def run_before(pilot):
        await room.step_to(pilot, evaluations)

    return run_before


@pytest.mark.parametrize("size", CLASSES)
def test_main_screen_mid_run(snap_compare, room, size):
    r = room()
    assert snap_compare(r.app, terminal_size=size, run_before=at(r, MID_RUN))


@pytest.mark.parametrize("size", CLASSES)
def test_main_screen_rolled_back(snap_compare, room, size):
    r = room()
    assert snap_compare(r.app, terminal_size=size, run_before=at(r, DONE))


def test_main_screen_light_theme(snap_compare, room):
    r = room()

    async def run_before(pilot):
        await at(r, MID_RUN)(pilot)
        r.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(r.app, terminal_size=(160, 48), run_before=run_before)


@pytest.mark.parametrize("size", CLASSES)
def test_charts_screen(snap_compare, room, size):
    r = room()

    async def run_before(pilot):
        await at(r, DONE)(pilot)
        r.app.clear_notifications()  # the RolledBack toast (the main screen's snapshots show it)
        await pilot.press("g")
        await r.until(pilot, lambda: isinstance(r.app.screen, ChartsScreen))

    assert snap_compare(r.app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, room, size):
    r = room()

    async def run_before(pilot):
        await at(r, MID_RUN)(pilot)
        await pilot.press("question_mark")
        await r.until(pilot, lambda: isinstance(r.app.screen, HelpScreen))

    assert snap_compare(r.app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rollback_confirmation(snap_compare, room, size):
    r = room()

    async def run_before(pilot):
        await at(r, MID_RUN)(pilot)
        await pilot.press("r")
        await r.until(pilot, lambda: isinstance(r.app.screen, ConfirmScreen))

    assert snap_compare(r.app, terminal_size=size, run_before=run_before)
