"""Watch mode keeps what its panels drew too: as the driver writes new states, as the driver goes
quiet (the stale banner), and when the terminal grows into the wall board, the READ-ONLY screen must
be what a fresh drawing of it shows (``screen_check``)."""

from __future__ import annotations

from pathlib import Path

from screen_check import same_as_from_scratch
from watch_helpers import WRITTEN, Wall, demo_state, follower, pin, run, until, watch_app

from canary_tui.tui.widgets.watchbar import StaleBanner


def test_the_watch_screen_matches_a_fresh_drawing_as_the_release_goes_on(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = Path("state.json")
    wall = Wall(WRITTEN + 2)
    app = watch_app(follower(pin(demo_state(here, "smoke-failure", evaluations=10)), wall, refresh=0.2), tick=0.1)

    def evaluations() -> int:
        return app.model.state.evaluations if app.model.state is not None else 0

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: evaluations() >= 10)
            await same_as_from_scratch(app, pilot, "the first state")
            pin(demo_state(here, "smoke-failure", evaluations=23), written=WRITTEN + 10)
            wall.now = WRITTEN + 12
            await until(pilot, lambda: evaluations() >= 23)
            await same_as_from_scratch(app, pilot, "a newer state")
            wall.now = WRITTEN + 120  # the driver has written nothing for two minutes
            await until(pilot, lambda: app.query_one(StaleBanner).display)
            await same_as_from_scratch(app, pilot, "the stale banner")
            await pilot.resize_terminal(200, 60)  # the wall board
            await same_as_from_scratch(app, pilot, "growing into the wall board")
            pin(demo_state(here, "smoke-failure"), written=WRITTEN + 130)  # to the rollback
            wall.now = WRITTEN + 131
            await until(pilot, lambda: app.model.state is not None and app.model.state.done)
            await same_as_from_scratch(app, pilot, "the rollback")
            await pilot.resize_terminal(80, 24)
            await same_as_from_scratch(app, pilot, "shrinking to 80x24")

    run(scenario())
