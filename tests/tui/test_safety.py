"""Outside strings are shown as text: no escape sequence reaches the terminal, no markup is obeyed."""

from __future__ import annotations

from tui_helpers import run, screen_text

from canary_tui.tui.widgets.pod_table import PodTable
from canary_tui.tui.widgets.pods import PodPanel


def test_hostile_pod_names_and_actor_render_harmlessly(room):
    r = room(fixture="hostile.yaml", mode="demo")

    async def scenario():
        async with r.app.run_test(size=(200, 60)) as pilot:
            await r.step_to(pilot, 2)  # the fixture's hold by a markup-named actor applies at 1m
            await r.until(pilot, lambda: r.app.model.state.held)
            text = screen_text(r.app)
            # markup shown literally, not obeyed
            assert "[@click=app.quit]click-me" in text
            assert "[bold red]loud[/]" in text
            assert "held by [@click=app.quit]mallory" in text
            # escape sequences shown, not obeyed: ESC and BEL drawn as \x1b and \x07 (issue 15)
            assert "\\x1b[2J\\x1b]0;pwned\\x07evil-\\x1b[31mred" in text
            svg = r.app.export_screenshot()
            assert "\x1b" not in svg and "\x07" not in svg
            # clicking the name that carries an action does nothing but select the row
            table = r.app.query_one(PodTable)
            row = [p.name for p in table.rows].index("[@click=app.quit]click-me")
            await pilot.click(PodTable, offset=(3, row + 1))
            await pilot.pause(0.2)
            assert r.app.is_running and table.cursor == row
            # and clicking the status line that shows the actor does nothing either
            await pilot.click("#gates", offset=(30, 1))
            await pilot.pause(0.2)
            assert r.app.is_running

    run(scenario())
    assert r.app.model.state.outcome is None or r.app.model.state.outcome.value == "Incomplete"


def test_typed_filter_text_is_not_markup(room):
    r = room(fixture="hostile.yaml")

    async def scenario():
        async with r.app.run_test(size=(160, 48)) as pilot:
            await r.step_to(pilot, 1)
            await pilot.press("slash", *"[@click=app.quit]")
            panel = r.app.query_one(PodPanel)
            assert [p.name for p in panel.shown] == ["[@click=app.quit]click-me"]
            assert "filter “[@click=app.quit]”: 1 shown" in screen_text(r.app)
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert r.app.is_running

    run(scenario())
