"""The panels keep the lines they drew and draw again only the lines that changed (that is what
makes an evaluation cheap to show). What they keep must always be what drawing from scratch shows:
a stale line would be a control room that lies. Each step here compares the screen as shown with
the same screen drawn again after every widget forgot what it had drawn (``screen_check``)."""

from __future__ import annotations

from screen_check import same_as_from_scratch
from tui_helpers import run

from canary_tui.tui.screens.help import HelpScreen


def test_what_the_screen_shows_is_what_a_fresh_drawing_shows(room):
    r = room(fixture="spike.yaml")

    async def scenario():
        app = r.app
        async with app.run_test(size=(160, 48)) as pilot:
            for k in (1, 4, 9, 14):  # the phases move, a gate warns and recovers, the rollback
                await r.step_to(pilot, k)
                await same_as_from_scratch(app, pilot, f"{k} evaluations")
            app.theme = "textual-light"
            await same_as_from_scratch(app, pilot, "the light theme")
            await pilot.resize_terminal(80, 24)
            await same_as_from_scratch(app, pilot, "a resize to 80x24")
            await pilot.resize_terminal(200, 60)
            await same_as_from_scratch(app, pilot, "a resize to 200x60")
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await same_as_from_scratch(app, pilot, "the help screen and back")
            await pilot.press("s", "s")
            await same_as_from_scratch(app, pilot, "sorting the pods")
            app.query_one("PodTable").focus()
            await pilot.press("down", "down")
            await same_as_from_scratch(app, pilot, "moving the pod cursor")
            app.theme = "textual-dark"
            await same_as_from_scratch(app, pilot, "the dark theme again")

    run(scenario())


def test_a_release_shown_step_by_step_matches_a_fresh_drawing_at_every_step(room):
    """Every evaluation of a whole fixture, checked as it is shown (the replay's own steps)."""
    r = room(fixture="spike.yaml")

    async def scenario():
        app = r.app
        async with app.run_test(size=(120, 40)) as pilot:
            await r.step_to(pilot, 1)
            while app.model.state is not None and not app.model.state.done:
                await r.step_to(pilot, r.evaluations + 1)
                await same_as_from_scratch(app, pilot, f"{r.evaluations} evaluations")

    run(scenario())
