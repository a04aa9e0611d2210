"""The control room at a glance (issue 18), the details seen live: pod names at 80 columns, a toast that
stayed on the terminal after its time, a character lost where an event wraps, and the charts' axes
(on screen and in the HTML report) at round wall-clock times and round values."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from layout_check import screen_lines, shown_region, visible
from textual.app import App, ComposeResult
from tui_helpers import run, screen_text

from canary_tui.report import svg
from canary_tui.tui.look import look_for
from canary_tui.tui.model import EventRow, Tone
from canary_tui.tui.scales import value_label, value_ticks, wall_ticks
from canary_tui.tui.widgets.events import INDENT, EventLog
from canary_tui.tui.widgets.pod_columns import middle
from canary_tui.tui.widgets.pod_table import PodTable
from canary_tui.tui.widgets.pods import PodPanel

URL = "http://checkout-v2.shop.svc.cluster.local/healthz"


def test_a_shortened_pod_name_keeps_its_start_and_its_hash():
    name = "checkout-v2-5c6b4f9d8-7dq9d"
    assert middle(name, 17) == "checkout-v2…7dq9d"
    assert middle(name, 24) == "checkout-v2-5c6b4f…7dq9d"
    for width in range(1, 40):
        assert len(middle(name, width)) == width  # always exactly the column's width
    assert middle("web-1", 10) == "web-1     "
    assert middle(name, 4) == "che…"
    assert middle("nodashes-at-all-but-long", 9).endswith("long")


def test_pod_names_at_80_columns_tell_the_pods_apart(demo_room):
    r = demo_room(speed=None, paused=True)

    async def scenario():
        async with r.app.run_test(size=(80, 24)) as pilot:
            await r.until(pilot, lambda: r.app.query_one(PodPanel).shown)
            table = r.app.query_one(PodTable)
            table.focus()  # names the focused pod in full
            await pilot.press("end")  # the room scrolled to its end: the pod panel whole
            await pilot.pause(0.2)
            panel = r.app.query_one(PodPanel)
            assert visible(r.app, panel)
            region = shown_region(r.app, table)
            rows = screen_lines(r.app)[region.y + 1 : region.bottom]
            shown = 0
            for pod in panel.shown:
                line = next((row for row in rows if pod.name[-5:] in row), None)
                if line is None:
                    continue  # below the table's own fold
                shown += 1
                deployment_and_version = pod.name.rsplit("-", 2)[0]  # checkout-v2
                assert f"{deployment_and_version}-" in line and pod.name[-5:] in line, line
                assert re.search(r"\s\d+(d\d+h|m\d\ds|h\d+m|s)\s*│", line), line  # the age, whole
            assert shown >= 3
            # the pod under the cursor, in full, on the panel's bottom line
            bottom = screen_lines(r.app)[panel.region.bottom - 1]
            assert f"▸ {panel.shown[table.cursor].name}" in bottom

    run(scenario())


class LogApp(App[None]):
    """An event log alone, as wide as the compact room's."""

    CSS = "EventLog { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield EventLog(id="events")

    def on_mount(self) -> None:
        self.query_one(EventLog).look = look_for({}, dark=True)


def test_no_character_is_lost_where_an_event_wraps():
    app = LogApp()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    text = f"check smoke fail (GET {URL}: HTTP 503, want 200)"
    rows = [EventRow(at, "gates", "controller", f"row {i}: {text}", Tone.BAD) for i in range(12)]

    async def scenario():
        async with app.run_test(size=(80, 12)) as pilot:
            log = app.query_one(EventLog)
            log.add(rows[:1])
            await pilot.pause()
            log.add(rows[1:])  # now the log overflows and its scrollbar shows
            await pilot.pause(0.1)
            assert log.show_vertical_scrollbar
            region = log.region
            lines = screen_lines(app)[region.y + 1 : region.bottom - 1]
            last = [line[region.x + 2 : region.right - 3] for line in lines[-6:]]  # inside border, padding, bar
            start = next(i for i, line in enumerate(last) if "row 11:" in line)
            joined = "".join(line[INDENT:] for line in last[start:]).replace(" ", "")
            assert joined == f"row 11: {text}".replace(" ", ""), last

    run(scenario())


def test_the_rolled_back_toast_leaves_no_trace_after_its_time(tmux):
    t = tmux("demo", "--scenario", "error-spike", "--speed", "40", width=80, height=24)
    t.wait_for("▌ RolledBack")  # the toast, over the gate table at 80x24
    t.wait_for("stable warn  fail", timeout=15)  # gone after its 8 s: the gate table's heading whole again
    screen = t.screen()
    assert "▌" not in screen, screen
    assert re.search(r"│ gate +status +canary +stable +warn +fail +fails +nodata", screen), screen
    t.send("q")
    assert t.exit_code() == 1


def test_time_ticks_fall_on_round_wall_clock_times():
    start = datetime(2026, 2, 19, 5, 33, 20, tzinfo=UTC).timestamp()
    step, ticks = wall_ticks(start, start + 13 * 60, 6)
    assert step == 300
    labels = [datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S") for t in ticks]
    assert labels == ["05:35:00", "05:40:00", "05:45:00"]
    step, ticks = wall_ticks(start, start + 40, 6)
    assert step == 10 and [int(t) % 60 for t in ticks] == [20, 30, 40, 50, 0]


def test_value_ticks_are_round():
    for lo, hi, most in ((0, 0.279, 6), (0, 0.09, 3), (0, 1.03, 4), (0, 0.0009, 3), (-1, 1, 3)):
        step, ticks = value_ticks(lo, hi, most)
        assert 2 <= len(ticks) <= max(2, most)
        assert lo <= ticks[0] and ticks[-1] <= hi
        mantissa = f"{step:.1e}".split("e")[0]
        assert mantissa in ("1.0", "2.0", "2.5", "5.0"), step
        assert all(abs(t / step - round(t / step)) < 1e-6 for t in ticks)
    step, ticks = value_ticks(0, 0.279, 6)
    assert [value_label(t, step) for t in ticks] == ["0", "0.05", "0.10", "0.15", "0.20", "0.25"]


def test_the_reports_charts_label_round_wall_clock_times():
    t0 = datetime(2026, 2, 19, 5, 33, 20, tzinfo=UTC).timestamp()
    fr = svg.frame(t0, t0 + 13 * 60, [(t0, t0 + 13 * 60, 0, "canary")], [], [t0])
    labels = re.findall(r">([^<]+)</text>", "".join(svg._time_ticks(fr, 100)))
    assert labels == ["05:34 UTC", "05:36", "05:38", "05:40", "05:42", "05:44", "05:46"]


def test_the_event_log_follows_the_newest_row_unless_scrolled_up():
    app = LogApp()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [EventRow(at, "gates", "controller", f"row {i}", Tone.INFO) for i in range(60)]

    def newest_shown() -> str:
        region = app.query_one(EventLog).region
        return "\n".join(screen_lines(app)[region.y + 1 : region.bottom - 1])

    async def scenario():
        async with app.run_test(size=(80, 20)) as pilot:
            log = app.query_one(EventLog)
            log.add(rows[:30])
            await pilot.pause()
            assert "row 29" in newest_shown()
            await pilot.resize_terminal(80, 12)  # shorter: the newest row stays in view
            await pilot.pause()
            assert "row 29" in newest_shown()
            log.scroll_to(y=0, animate=False)  # the operator reads the start
            await pilot.pause()
            log.add(rows[30:40])
            await pilot.pause()
            assert "row 0" in newest_shown() and "row 39" not in newest_shown()  # not yanked away
            log.scroll_end(animate=False)  # back at the end: following again
            await pilot.pause()
            log.add(rows[40:])
            await pilot.resize_terminal(80, 16)
            await pilot.pause()
            assert "row 59" in newest_shown()

    run(scenario())


def test_the_traffic_split_is_never_cut_mid_figure(demo_room):
    """At 120x40 the phases panel is narrow: "canary; stable 95%" does not fit, and "stable 9…" would
    read as 9%. The words give way, never the figure."""
    r = demo_room(paused=True)

    async def scenario():
        async with r.app.run_test(size=(120, 40)) as pilot:
            await r.step_to(pilot, 2)  # a few seconds into the soak: "5s/1m00s 55s left" takes the room
            await pilot.pause(0.2)
            line = next(line for line in screen_text(r.app).splitlines() if "⇄ traffic" in line)
            assert re.search(r"⇄ traffic +5% .*stable 95%", line), line
            assert "…" not in line.split("⇄ traffic")[1].split("│")[0], line

    run(scenario())
