"""``replay FIXTURE --whatif PATH=VALUE`` (issue 17): the variant's decisions as a second track in the
control room (a line under each phase, a column at 80 columns, the what-if line under the header,
markers on the charts), shown only up to the replay's clock until the base run is decided; a bad
edit refused in one line before any screen; the layout at the three size classes; a snapshot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from layout_check import CHART_PANELS, ROOM_PANELS, assert_no_cell_outside_a_panel, visible
from tmuxhelp import ROOT
from tui_helpers import DATA, Room, run, screen_text

from canary_tui import backtest
from canary_tui.core.planedit import parse_edit
from canary_tui.tui.model import PhaseState
from canary_tui.tui.screens.charts import ChartsScreen
from canary_tui.tui.variant import WhatIf, replay_variant
from canary_tui.tui.widgets.events import EventLog
from canary_tui.tui.widgets.fold import FoldSign
from canary_tui.tui.widgets.gates import GatePanel
from canary_tui.tui.widgets.header import RoomHeader
from canary_tui.tui.widgets.phases import PhaseProgress
from canary_tui.tui.widgets.pods import PodPanel
from canary_tui.tui.widgets.signals import GateSignals
from canary_tui.tui.widgets.whatif import WhatIfBar

BLIP = ROOT / "fixtures" / "backtest" / "good-blip.yaml"  # Promoted at 4m; 7% errors at 1m only
SPIKE = DATA / "spike.yaml"  # RolledBack in majority at 13m
SEED = ROOT / "fixtures" / "error-spike-at-25.yaml"  # the seed plan, 8 gates: RolledBack in expansion at 13h5m
STRICT_RATIO = "spec.gates[latency_p99].maxRatioToStable=1.2"  # spike's variant: rolled back in expansion at 7m
PANELS = ROOM_PANELS + ", WhatIfBar"
SIZES = [(80, 24), (120, 40), (200, 60)]


@pytest.fixture
def whatif_room(room):
    """``whatif_room(fixture, edit, computed=False)``: a replay's control room on a paused clock with
    the variant ``edit``: replayed by the room's thread worker (as the CLI does), or, ``computed``,
    handed over as its timeline (plain data)."""

    def make(fixture: Path, edit: str, computed: bool = False, paused: bool = True, speed: float | None = 1.0) -> Room:
        variant = backtest.edited(backtest.load(fixture), [parse_edit(edit)])
        whatif = WhatIf(edit, timeline=replay_variant(variant, edit)) if computed else WhatIf(edit, fixture=variant)
        return room(fixture=fixture, paused=paused, speed=speed, whatif=whatif)

    return make


def line_of(app) -> str:
    """The what-if line as drawn."""
    region = app.query_one(WhatIfBar).region
    return screen_text(app).splitlines()[region.y]


def phase_lines(app) -> list[str]:
    region = app.query_one(PhaseProgress).region
    return [line[region.x : region.right] for line in screen_text(app).splitlines()[region.y : region.bottom]]


def test_the_variant_track_shows_its_rollback_where_the_base_promotes(whatif_room):
    r = whatif_room(BLIP, "spec.failureLimit=1")  # one failing evaluation rolls the variant back, at 1m

    async def scenario():
        async with r.app.run_test(size=(120, 40)) as pilot:
            await r.until(pilot, lambda: r.app.model.variant is not None)  # the worker's replay
            await r.step_to(pilot, 1)
            await pilot.pause()
            # at +0s the variant's rollback (at +1m) is still ahead of the replay's clock: not shown
            assert "RolledBack" not in line_of(r.app)
            assert "→ in canary 5% since +0s  (base: in canary 5% since +0s)" in line_of(r.app)
            assert r.app.query_one(PhaseProgress).variant[0].state is PhaseState.CURRENT

            await r.step_to(pilot, 2)  # +1m: the variant rolls back here, the base goes on
            line = line_of(r.app)
            assert "≈ what-if spec.failureLimit=1 → RolledBack in canary at +1m0s" in line
            assert "(base: in canary 5% since +0s)" in line
            lines = phase_lines(r.app)
            base = next(i for i, text in enumerate(lines) if "▶ canary" in text)
            assert "✗ ≈ what-if" in lines[base + 1] and "rolled back" in lines[base + 1]
            assert "1m00s" in lines[base + 1]

            await r.step_to(pilot, 5)  # +4m: the base is Promoted
            await r.until(pilot, lambda: r.app.model.state.done)
            line = line_of(r.app)
            assert "→ RolledBack in canary at +1m0s" in line and "(base: Promoted in full at +4m0s)" in line
            lines = phase_lines(r.app)
            full = next(i for i, text in enumerate(lines) if "✓ full" in text)
            assert "· ≈ what-if" in lines[full + 1]  # the variant never got there
            assert any("✗ ≈ what-if" in text for text in lines)

            # the charts: the variant's end as a marker named in its colour, and the legend
            await pilot.press("g")
            await r.until(pilot, lambda: isinstance(r.app.screen, ChartsScreen))
            await pilot.pause(0.2)
            text = screen_text(r.app)
            assert "what-if ≈" in text.splitlines()[0]
            assert "≈RolledBack" in text
            assert "≈full" not in text  # the variant never entered full
            assert_no_cell_outside_a_panel(r.app, CHART_PANELS, "#charts-body")

    run(scenario())


def test_the_whole_variant_shows_once_the_base_run_is_decided(whatif_room):
    # docs/backtest.md's example: the base rolls back at 13h5m; with expansion's limit at 15% the
    # variant runs on to the end of the recording (Incomplete at 13h20m), past the base's clock
    r = whatif_room(SEED, "spec.phases[expansion].gates.error_rate.failAbove=0.15", paused=False, speed=1e6)

    async def scenario():
        async with r.app.run_test(size=(200, 60)) as pilot:
            await r.until(pilot, lambda: r.app.model.state is not None and r.app.model.state.done, timeout=30)
            await r.until(pilot, lambda: r.app.model.variant is not None)
            await pilot.pause(0.2)
            line = line_of(r.app)
            assert (
                "spec.phases[expansion].gates.error_rate.failAbove=0.15 → Incomplete in expansion at +13h20m0s" in line
            )
            assert ": the fixture's samples ran out before an outcome" in line  # its reason: 200 columns have room
            assert line.rstrip().endswith("(base: RolledBack in expansion at +13h5m0s)")
            lines = phase_lines(r.app)
            expansion = next(i for i, text in enumerate(lines) if "✗ expansion" in text)
            assert "■ ≈ what-if" in lines[expansion + 1] and "stopped at 1h20m" in lines[expansion + 1]

            await pilot.press("g")
            await r.until(pilot, lambda: isinstance(r.app.screen, ChartsScreen))
            await pilot.pause(0.2)
            assert "≈Incomplete" in screen_text(r.app)  # after the base's last evaluation: the axis reaches it

    run(scenario())


@pytest.mark.parametrize("evaluations", [11, 14], ids=["mid-run", "decided"])
def test_the_track_fits_each_size_class_without_pushing_the_essentials_below(whatif_room, evaluations):
    r = whatif_room(SPIKE, STRICT_RATIO, computed=True)

    async def scenario():
        async with r.app.run_test(size=(80, 24)) as pilot:
            await r.step_to(pilot, evaluations)
            for width, height in SIZES:
                await pilot.resize_terminal(width, height)
                await pilot.pause(0.2)
                app = r.app
                text = screen_text(app)
                for panel in (RoomHeader, WhatIfBar, GatePanel, PhaseProgress):
                    assert visible(app, app.query_one(panel)), (width, panel)
                assert app.model.waiting(app.model.now)[0][:20] in text
                assert "RolledBack in expansion at +7m0s" in text or "RolledBack at +7m0s" in text
                phases = app.query_one(PhaseProgress)
                if width >= 120:  # a line under each phase; the rest of the room as without a variant
                    assert phases.stacked and text.count("≈ what-if") == 1 + len(app.model.plan.phases)
                    for panel in (GateSignals, EventLog, PodPanel):
                        assert visible(app, app.query_one(panel)), (width, panel)
                    assert app.model.rows[-1].text[:40] in text
                    assert not app.query_one(FoldSign).display
                else:  # compact: a column beside the phases' words, no line more
                    assert not phases.stacked and "≈✗ at 2m00s" in text
                    assert phases.region.height == len(app.model.plan.phases) + 4
                    assert "▼ more below: Golden signals · Events · Pods" in text
                assert_no_cell_outside_a_panel(app, PANELS)

    run(scenario())


def test_at_80x24_the_seed_plans_eight_gates_and_the_track_still_show_every_phase(whatif_room):
    r = whatif_room(SEED, "spec.phases[expansion].gates.error_rate.failAbove=0.15", computed=True)

    async def scenario():
        async with r.app.run_test(size=(80, 24)) as pilot:
            await r.step_to(pilot, 3)
            await pilot.pause(0.2)
            for panel in (RoomHeader, WhatIfBar, GatePanel, PhaseProgress):
                assert visible(r.app, r.app.query_one(panel)), panel
            assert "≈▶ 10m00s" in screen_text(r.app)
            assert_no_cell_outside_a_panel(r.app, PANELS)

    run(scenario())


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canary_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "spec.failureLimit=0",
            "--whatif spec.failureLimit=0: makes the plan invalid: spec.failureLimit: must be at least 1, got 0",
        ),
        ("spec.gates[nope].failAbove=1", "--whatif spec.gates[nope].failAbove=1: no item named 'nope' in spec.gates"),
        ("spec.failureLimit", "--whatif spec.failureLimit: want PATH=VALUE, e.g. spec.failureLimit=3"),
    ],
)
def test_a_bad_edit_exits_2_in_one_line_before_any_screen(tmp_path, edit, message):
    out = cli("replay", str(BLIP), "--whatif", edit, "--log", str(tmp_path / "r.jsonl"))
    assert out.returncode == 2
    assert out.stdout == ""  # no screen was drawn
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"canary-tui: error: {message}"), out.stderr
    assert not (tmp_path / "r.jsonl").exists()  # nothing ran


@pytest.mark.parametrize("flag", ["--headless", "--json"])
def test_headless_whatif_points_to_the_whatif_command(tmp_path, flag):
    out = cli("replay", str(BLIP), flag, "--whatif", "spec.failureLimit=1", "--log", str(tmp_path / "r.jsonl"))
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1
    assert f"canary-tui whatif {BLIP} --set spec.failureLimit=1" in lines[0]


def test_the_cli_replays_the_variant_beside_the_run(tmux, tmp_path):
    t = tmux(
        "replay", str(BLIP), "--whatif", "spec.failureLimit=1", "--speed", "1000000", "--log", str(tmp_path / "r.jsonl")
    )
    t.wait_for("(base: Promoted", timeout=30)
    screen = t.screen()  # (the words are shorter, and the track a column, if tmux gave us 80 columns)
    assert "≈ what-if spec.failureLimit=1 → RolledBack" in screen and "at +1m0s" in screen
    assert "✗ ≈ what-if" in screen or "≈✗ at 1m00s" in screen
    t.send("q")
    assert t.exit_code() == 0  # the base run's outcome: Promoted


def test_snapshot_of_the_track_at_120x40(snap_compare, whatif_room):
    r = whatif_room(SPIKE, STRICT_RATIO, computed=True)

    async def run_before(pilot):
        await r.step_to(pilot, 11)  # the base in majority; the variant rolled back in expansion at 7m

    assert snap_compare(r.app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_of_the_charts_markers_at_120x40(snap_compare, whatif_room):
    r = whatif_room(SPIKE, STRICT_RATIO, computed=True)

    async def run_before(pilot):
        await r.step_to(pilot, 11)
        await pilot.press("g")
        await r.until(pilot, lambda: isinstance(r.app.screen, ChartsScreen))

    assert snap_compare(r.app, terminal_size=(120, 40), run_before=run_before)
