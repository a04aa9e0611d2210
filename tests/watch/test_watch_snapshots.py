"""SVG snapshots of watch mode, from state files written by the real demo controller (fixed virtual
clock, fixed driver, a wall clock the test sets): the READ-ONLY screen in the three size classes, the
wall board on a big terminal, the stale banner, the help screen, the high-contrast theme.

The layout is the style sheet's alone (no size is computed after a refresh). Each was looked at
(converted to PNG with rsvg-convert) before it was accepted; ``--snapshot-update`` rewrites them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from watch_helpers import WRITTEN, Wall, demo_state, follower, pin, until, watch_app

from canary_tui.tui.screens.help import HelpScreen
from canary_tui.tui.widgets.watchbar import StaleBanner


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the screen names the file as given: a relative name, the same everywhere
    return Path("state.json")


def shown(app):
    async def run_before(pilot):
        await until(pilot, lambda: app.model.state is not None)
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize(
    "size",
    [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40"), pytest.param((200, 60), id="200x60")],
)
def test_read_only_mid_release(snap_compare, here, size):
    app = watch_app(follower(pin(demo_state(here, "smoke-failure", evaluations=23)), Wall(WRITTEN + 2)))
    assert snap_compare(app, terminal_size=size, run_before=shown(app))


def test_wall_board_after_the_rollback(snap_compare, here):
    app = watch_app(follower(pin(demo_state(here, "smoke-failure")), Wall(WRITTEN + 2)))
    assert snap_compare(app, terminal_size=(160, 48), run_before=shown(app))


def test_stale_banner(snap_compare, here):
    app = watch_app(follower(pin(demo_state(here, "healthy", evaluations=30)), Wall(WRITTEN + 47)))

    async def run_before(pilot):
        await until(pilot, lambda: app.query_one(StaleBanner).display)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_help_screen(snap_compare, here):
    app = watch_app(follower(pin(demo_state(here, "smoke-failure", evaluations=23)), Wall(WRITTEN + 2)))

    async def run_before(pilot):
        await shown(app)(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(120, 48), run_before=run_before)


def test_high_contrast_wall_screen(snap_compare, here):
    path = pin(demo_state(here, "healthy", evaluations=18))
    app = watch_app(follower(path, Wall(WRITTEN + 2)), theme="high-contrast")
    assert snap_compare(app, terminal_size=(200, 60), run_before=shown(app))
