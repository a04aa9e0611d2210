"""The control room in watch mode, driven with Pilot over a state file written by a real demo controller:
READ-ONLY, who drives and how fresh, no key that acts, help that says why, the stale banner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from textual.command import CommandPalette
from watch_helpers import DRIVER, WRITTEN, Tree, Wall, demo_state, follower, pin, run, screen_text, until, watch_app

from canary_tui.statefile import read_state_file, write_state_file
from canary_tui.tui.modes import STEERING, TIME, Control
from canary_tui.tui.screens.confirm import ConfirmScreen
from canary_tui.tui.screens.help import HelpScreen
from canary_tui.tui.widgets.watchbar import StaleBanner

SIZE = (120, 40)


@pytest.fixture
def mid(tmp_path) -> Path:
    """In expansion, the smoke check failed once (1/2): the demo's smoke-failure at 1m50s."""
    return pin(demo_state(tmp_path / "state.json", "smoke-failure", evaluations=23))


def test_the_screen_says_read_only_who_drives_and_how_fresh(mid):
    wall = Wall(WRITTEN + 3)
    app = watch_app(follower(mid, wall))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            await pilot.pause(0.1)
            text = screen_text(app)
            head = text.splitlines()[0]
            assert "READ-ONLY" in head and "checkout" in head
            bar = text.splitlines()[1]
            assert f"driven by {DRIVER}" in bar and "since 2026-01-01 00:00:00Z" in bar
            assert "state written 3s ago" in bar
            assert "▶ expansion" in text and "smoke check" in text and "1/2" in text
            assert "STALE" not in text
            # the driver's clock: the document's time, going on with this machine's
            wall.now += 2
            app._show_time()
            await pilot.pause()
            assert "00:01:55" in screen_text(app).splitlines()[0]

    run(scenario())


def test_no_key_acts_and_nothing_is_written(mid, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = Tree(tmp_path).files()
    f = follower(mid, Wall(WRITTEN + 1))
    app = watch_app(f)
    assert not hasattr(f, "submit") and not hasattr(f, "poke")  # nothing to send an action to

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            for key in ("p", "h", "r", "space", "plus", "minus", "n", "w", "y", "enter"):
                await pilot.press(key)
                await pilot.pause(0.05)
                assert not isinstance(app.screen, ConfirmScreen)
            for control in STEERING | TIME | {Control.REPORT}:
                assert not app.room_mode.allows(control)
            for action in ("promote", "hold", "resume", "rollback", "pause", "play", "step", "report"):
                assert app.check_action(action, ()) is False
            footer = screen_text(app).splitlines()[-1]
            assert "Quit" in footer and not any(w in footer for w in ("Promote", "Hold", "Rollback", "Pause"))
            assert not [n for n in app._notifications if "sent" in n.message]
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            for query in ("roll", "hold", "promote", "screenshot", "report", "pause"):
                await pilot.press(*query)
                await pilot.pause(0.4)
                listed = screen_text(app)
                assert not any(
                    t in listed for t in ("Roll back", "Hold", "Promote", "Screenshot", "Write the report", "Pause")
                ), query
                for _ in query:
                    await pilot.press("backspace")
            await pilot.press("escape")

    run(scenario())
    assert Tree(tmp_path).files() == before  # not a byte: no audit log, no state, no screenshot


def test_help_says_why_each_missing_key_is_missing(mid):
    app = watch_app(follower(mid, Wall(WRITTEN + 1)))

    async def scenario():
        async with app.run_test(size=(120, 48)) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause(0.1)
            text = " ".join(screen_text(app).split())
            assert "READ-ONLY" in text and "nothing here can change it" in text
            lines = screen_text(app).splitlines()
            for key, why in (
                ("p", "no: read-only: another"),
                ("n", "no: only replay runs"),
                ("w", "no: watch writes"),
            ):
                assert any(f" {key}  " in line and why in line for line in lines), key
            assert "This screen is read-only" in text and "canary-tui hold|resume|promote|rollback PLAN" in text

    run(scenario())


def test_the_screen_follows_the_file_and_says_stale_when_the_driver_goes_quiet(tmp_path):
    path = pin(demo_state(tmp_path / "state.json", "healthy", evaluations=11))  # canary, 50s in
    wall = Wall(WRITTEN)
    f = follower(path, wall)
    app = watch_app(f)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            assert "▶ canary" in screen_text(app)
            # the driver writes a later state: shown within one refresh (1 s here)
            later = demo_state(tmp_path / "later.json", "healthy", evaluations=14)
            doc = read_state_file(later)
            doc["driver"] = DRIVER
            write_state_file(path, doc)
            wall.now = WRITTEN + 15
            os.utime(path, (wall.now, wall.now))
            await until(pilot, lambda: app.model.state.phase_index == 1, timeout=3)
            await pilot.pause(0.1)
            assert "▶ expansion" in screen_text(app)
            assert not app.query_one(StaleBanner).display
            # then nothing for 3 intervals (15 s): stale
            wall.now += 15
            await until(pilot, lambda: app.query_one(StaleBanner).display, timeout=3)
            await pilot.pause(0.1)
            text = " ".join(screen_text(app).split())
            assert "⚠ STALE: the driver has not written for 15s (more than 3 intervals of 5s)" in text
            assert "What you see is the last state it wrote (00:01:05 its time)" in text
            # it writes again: the banner goes
            wall.now += 1
            os.utime(path, (wall.now, wall.now + 0.5))
            await until(pilot, lambda: not app.query_one(StaleBanner).display, timeout=3)

    run(scenario())
    assert f.polls >= 3


def test_a_driver_whose_process_is_gone_is_stale_at_once(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = pin(demo_state(tmp_path / "state.json", "healthy", evaluations=11), host=socket.gethostname())
    doc = read_state_file(path)
    doc["process"].update(pid=dead.pid, bootId=Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    write_state_file(path, doc)
    os.utime(path, (WRITTEN, WRITTEN))
    app = watch_app(follower(path, Wall(WRITTEN + 1)))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.query_one(StaleBanner).display)
            text = " ".join(screen_text(app).split())
            assert f"⚠ STALE: the driver's process (pid {dead.pid} on this machine) is gone" in text

    run(scenario())


def test_a_decided_release_is_never_stale(tmp_path):
    path = pin(demo_state(tmp_path / "state.json", "smoke-failure"))
    app = watch_app(follower(path, Wall(WRITTEN + 3600)))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            await pilot.pause(0.1)
            text = screen_text(app)
            assert "RolledBack" in text.splitlines()[0] and "final state written 1h" in text
            assert not app.query_one(StaleBanner).display

    run(scenario())


def test_the_high_contrast_theme(mid):
    app = watch_app(follower(mid, Wall(WRITTEN + 1)), theme="high-contrast")

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            assert app.theme == "high-contrast" and app.look.text.color.name.lower() == "#ffffff"

    run(scenario())


def test_a_source_that_raises_leaves_the_last_state_on_screen(mid):
    """A bug or a surprise below the source does not take the wall screen down: it says so and goes on."""
    f = follower(mid, Wall(WRITTEN + 1))
    f.poll()
    assert f.state is not None and f.info.problem is None

    def broken():
        raise RuntimeError("disk on fire")

    f.source.read = broken  # type: ignore[method-assign]
    f.poll()
    assert f.state is not None and f.state.phase_index == 1
    assert f.info.problem == "cannot read file " + str(mid) + ": RuntimeError('disk on fire')"
    assert f.info.written_wall == WRITTEN  # the age still counts from the last write seen


def test_decisions_show_who_took_them(tmp_path):
    from canary_tui.core.rule import ActionKind

    actions = {3: (ActionKind.HOLD, "carol@desk"), 6: (ActionKind.ROLLBACK, "carol@desk")}
    path = pin(demo_state(tmp_path / "state.json", "healthy", actions=actions))
    app = watch_app(follower(path, Wall(WRITTEN + 1)))

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: app.model.state is not None)
            rows = [(r.kind, r.actor, r.text) for r in app.model.rows]
            assert ("hold", "carol@desk", "accepted") in rows and ("rollback", "carol@desk", "accepted") in rows
            assert ("rollback", "carol@desk", "rolled back by carol@desk") in rows  # the decision, and who
            assert rows[-1][:2] == ("result", "carol@desk") and rows[-1][2].startswith("RolledBack in canary")
            await pilot.pause(0.1)
            assert "RolledBack" in screen_text(app).splitlines()[0]

    run(scenario())
