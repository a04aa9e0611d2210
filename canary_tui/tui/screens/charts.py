"""The charts screen (``g``): each gate over the whole run, canary and stable, levels and phase changes."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from ...core.gates import fmt
from ...core.model import CountsJudge, Gate, GateSource, Plan
from ...sanitize import clean
from ..history import Point
from ..look import Look
from ..model import RoomModel
from ..scales import ABOVE, BELOW, chart_range, tick_label, value_label, value_ticks, wall_ticks

RGB = tuple[int, int, int]
WIDE = 150  # the same breakpoint as the main screen


class ChartBox(Vertical):
    """A bordered box titled with the gate's name, around its chart (plotext draws to the edges)."""

    DEFAULT_CSS = """
    ChartBox {
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        height: 100%;
    }
    """

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate

    def compose(self) -> ComposeResult:
        yield GateChart(self.gate)

    def on_mount(self) -> None:
        self.border_title = Text(self.gate.name + (f" ({clean(self.gate.unit, 12)})" if self.gate.unit else ""))


class GateChart(PlotextPlot):
    """One gate's chart; ``draw`` replaces its data."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(id=f"chart-{gate.name}")
        self.gate = gate
        self._drawn: tuple[RoomModel, Look, datetime] | None = None

    def on_resize(self) -> None:
        """The ticks follow the chart's size: drawn again once the layout gave it one."""
        if self._drawn is not None:
            self.draw(*self._drawn)

    def draw(self, model: RoomModel, look: Look, start: datetime) -> None:
        self._drawn = (model, look, start)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        gate = self.gate
        points = list(model.history[gate.name].whole)
        canary = _rgb(look.accent)
        stable = _rgb(look.stable)
        bad, warn, muted = _rgb(look.bad), _rgb(look.warn), _rgb(look.muted)
        if not points:
            plt.title("no evaluation yet")
            self.refresh()
            return
        # x: seconds since the first evaluation, labelled in the controller's clock (virtual in
        # replay) with round ticks; y: from the data, the levels marked where they fall on it
        origin: datetime = points[0].at
        span = max(1.0, (points[-1].at - origin).total_seconds())

        def x(at: datetime) -> float:
            return (at - origin).total_seconds()

        # replay --whatif: the variant's phase changes and end, up to the last evaluation shown (all
        # of them once the run is decided, the time axis then reaching the variant's end)
        variant = model.variant
        done = model.state is not None and model.state.done
        marks = [m for m in variant.marks(None if done else points[-1].at) if m.at >= origin] if variant else []
        span = max([span, *(x(m.at) for m in marks)])

        xs = [x(p.at) for p in points]
        if isinstance(gate.judge, CountsJudge):  # the confidence sequence's own chart (judgechart.py)
            from .judgechart import draw_counts

            draw_counts(plt, model, gate, points, xs, x, xs[-1] if xs[-1] > 0 else 1.0, (canary, bad, warn, muted))
            self.refresh()
            return
        pods = gate.source is GateSource.PODS
        lo, hi = chart_range([[p.canary for p in points], [] if pods else [p.stable for p in points]])
        columns = self.size.width if self.size.width >= 20 else 60  # (not laid out yet: redrawn on resize)
        rows = max(3, (self.size.height if self.size.height >= 9 else 12) - 6)  # the plot's, between the axes
        free = 2 if marks and rows >= 4 else 1  # the top row(s) stay clear of the data: the phases' names go there
        hi = lo + (hi - lo) * rows / (rows - free)
        plt.ylim(lo, hi)
        plt.xlim(0, span)
        # x: ticks at round times on the wall clock (every 1, 2, 5, 10, 15, 30 min...), not at the
        # first evaluation plus a step; y: ticks at round values
        t0 = origin.timestamp()
        step, ticks = wall_ticks(t0, t0 + span, max(2, (columns - 8) // 10))
        plt.xticks([t - t0 for t in ticks], [tick_label(int(t), step) for t in ticks])
        vstep, values = value_ticks(lo, hi, rows // 3 + 1)  # a tick every third row or more: evenly spaced
        plt.yticks(values, [value_label(v, vstep) for v in values])
        plt.xlabel(f"{origin:%Y-%m-%d} UTC")
        off = self._levels(plt, model.plan, gate, model, x, span, points, bad, warn, (lo, hi))
        if not pods:  # stable first, dotted, so the canary is drawn over it
            _line(plt, xs, [p.stable for p in points], stable, f"stable {model.plan.stable.version}", "dot")
        _line(plt, xs, [p.canary for p in points], canary, f"canary {model.plan.canary.version}", "braille")
        gaps = [xv for xv, p in zip(xs, points, strict=True) if p.canary is None]
        if gaps:
            plt.scatter(gaps, [lo] * len(gaps), color=muted, marker="x", label="no data")
        for m in marks:  # under the run's own lines: where both changed at once, the run's line shows
            plt.vline(x(m.at), color=_rgb(look.variant))
        below = hi - (hi - lo) / (rows - 1) * (free - 1)  # the variant's names: the row under the phases'
        for m in marks:  # a name near the right edge ends at its line, so that it is not cut
            side: Literal["left", "right"] = "right" if x(m.at) > span * 0.8 else "left"
            plt.text(m.text, x(m.at), below, color=_rgb(look.variant), alignment=side)
        for index, at in sorted(model.phase_starts.items()):
            if index > 0 and at >= origin:
                plt.vline(x(at), color=muted)
                name = model.plan.phases[index].name if index < len(model.plan.phases) else str(index)
                plt.text(clean(name, 16), x(at), hi, color=muted, alignment="left")
        last = points[-1]
        title = f"now {fmt(last.canary, clean(gate.unit, 12))} ({last.status.value})"
        if off:
            title += "  ·  off the scale: " + ", ".join(off)
        plt.title(title)
        self.refresh()

    def _levels(self, plt, plan: Plan, gate: Gate, model: RoomModel, x, end, points: list[Point], bad, warn, yr):  # type: ignore[no-untyped-def]
        """Each phase's levels as horizontal segments over the time that phase lasted, where they fall
        on the value axis; the names of those above or below it (``fail >0.1 ↑``)."""
        lo, hi = yr
        off: list[str] = []
        origin: datetime = points[0].at
        starts = [(i, max(at, origin)) for i, at in sorted(model.phase_starts.items())] or [(0, origin)]
        for n, (index, at) in enumerate(starts):
            x0 = x(at)
            x1 = x(starts[n + 1][1]) if n + 1 < len(starts) else end
            t = plan.thresholds(index)[gate.name]
            levels = (
                (t.fail_above, bad, ">", "fail"),
                (t.fail_below, bad, "<", "fail"),
                (t.warn_above, warn, ">", "warn"),
                (t.warn_below, warn, "<", "warn"),
            )
            for level, color, sign, word in levels:
                if level is None:
                    continue
                if lo <= level <= hi:
                    plt.plot([x0, max(x1, x0 + 1e-9)], [level, level], color=color, marker="braille")
                else:
                    label = f"{word} {sign}{fmt(level, clean(gate.unit, 12))} {ABOVE if level > hi else BELOW}"
                    if label not in off:
                        off.append(label)
            if t.max_ratio_to_stable is not None:
                seg = [p for p in points if at <= p.at and x(p.at) <= x1 and p.stable is not None]
                seg = [p for p in seg if lo <= p.stable * t.max_ratio_to_stable <= hi]  # type: ignore[operator]
                if seg:
                    plt.plot(
                        [x(p.at) for p in seg],
                        [p.stable * t.max_ratio_to_stable for p in seg],  # type: ignore[operator]
                        color=bad,
                        marker="braille",
                    )
        return off


def _line(plt, xs: list[float], ys: list[float | None], color: RGB, label: str, marker: str) -> None:  # type: ignore[no-untyped-def]
    """Plot the points that have a value (plotext cannot draw gaps)."""
    pairs = [(a, b) for a, b in zip(xs, ys, strict=True) if b is not None and b == b and abs(b) != float("inf")]
    if pairs:
        plt.plot([a for a, _ in pairs], [b for _, b in pairs], color=color, label=label, marker=marker)


def _rgb(style) -> RGB:  # type: ignore[no-untyped-def]
    c = style.color
    if c is None:
        return (128, 128, 128)
    t = c.get_truecolor()
    return (t.red, t.green, t.blue)


class ChartsScreen(Screen[None]):
    """Opened by the app with the model and look; the app calls ``redraw`` after new evaluations."""

    DEFAULT_CSS = """
    ChartsScreen #charts-title {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    ChartsScreen #charts-grid {
        grid-size: 1;
        grid-rows: 14;
        grid-gutter: 0 1;
        height: auto;
    }
    ChartsScreen.-wide #charts-grid {
        grid-size: 2;
    }
    ChartsScreen #charts-body {
        scrollbar-size-vertical: 1;
    }
    ChartBox GateChart {
        margin-right: 1;
    }

    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,g", "close", "Back")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]  # noqa: RUF012 - Textual's own type

    def __init__(self, model: RoomModel, look: Look, start: datetime) -> None:
        super().__init__()
        self.model = model
        self.look = look
        self.start = start

    def title_text(self, width: int, long: bool | None = None) -> Text:
        """The title line and legend; shorter words when the whole does not fit in ``width``."""
        look = self.look
        if long is None:
            long = width <= 0 or width >= 120
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Charts", "bold")
        title.append(f"  {clean(self.model.plan.name, 40)}: ", look.muted)
        if long:
            title.append("each gate over the whole run; ", look.muted)
        title.append("canary", look.accent)
        title.append(" vs ", look.muted)
        title.append("stable", look.stable)
        title.append(", levels (" if long else ", ", look.muted)
        title.append("warn", look.warn)
        title.append(", ", look.muted)
        title.append("fail", look.bad)
        if self.model.variant is None:
            title.append("), phases (vertical lines, named)" if long else ", phases (lines)", look.muted)
            return title
        # replay --whatif: the variant's lines and names in its colour
        title.append("), phases (vertical lines, named), " if long else ", phases, ", look.muted)
        title.append("what-if ≈", look.variant)
        title.append(" (its phase changes and end)" if long else " (lines)", look.muted)
        if long and 0 < width < title.cell_len:
            return self.title_text(width, long=False)
        return title

    def compose(self) -> ComposeResult:
        plan = self.model.plan
        title = self.title_text(self.app.size.width)
        yield Static(title, id="charts-title", markup=False)
        with VerticalScroll(id="charts-body"), Grid(id="charts-grid"):
            for gate in plan.gates:
                yield ChartBox(gate)
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        """Charts share the height: two columns on wide terminals, at least 12 rows each (then scroll)."""
        n = len(self.model.plan.gates)
        columns = 2 if self.size.width >= WIDE else 1
        rows = -(-n // columns)
        height = max(12, (self.size.height - 2) // rows)
        self.query_one("#charts-grid", Grid).styles.grid_rows = str(height)
        self.query_one("#charts-title", Static).update(self.title_text(self.size.width))

    def redraw(self, look: Look | None = None) -> None:
        if look is not None:
            self.look = look
        for chart in self.query(GateChart):
            chart.draw(self.model, self.look, self.start)

    def action_close(self) -> None:
        self.dismiss(None)
