"""The control room shows a judge gate's estimate, confidence sequence and evidence in its row."""

from __future__ import annotations

from tmuxhelp import ROOT
from tui_helpers import run, screen_text


def test_the_gate_row_shows_estimate_interval_and_evidence(room):
    r = room(fixture=ROOT / "fixtures" / "judges-doubled-errors.yaml")

    async def scenario():
        async with r.app.run_test(size=(160, 48)) as pilot:
            await r.step_to(pilot, 4)
            text = screen_text(r.app)
            rows = [line for line in text.splitlines() if " errors " in line and " e " in line]
            assert rows and "CS " in rows[0] and "x" in rows[0], text
            # the gate table's row (the status line above it may name latency too)
            latency = next((line for line in text.splitlines() if " latency " in line and "nodata" in line), "")
            assert "warming up" in latency, text

    run(scenario())


def test_the_chart_draws_the_confidence_sequence_against_max_ratio(room):
    from canary_tui.tui.screens.charts import GateChart

    r = room(fixture=ROOT / "fixtures" / "judges-doubled-errors.yaml")

    async def scenario():
        async with r.app.run_test(size=(160, 48)) as pilot:
            await r.step_to(pilot, 4)
            await pilot.press("g")
            await pilot.pause(0.3)
            chart = r.app.screen.query_one("#chart-errors", GateChart)
            text = screen_text(r.app)
            assert "CS high" in text and "canary / stable" in text, text
            assert chart.plt is not None

    run(scenario())
