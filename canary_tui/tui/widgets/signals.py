"""Golden signals: per gate, canary and stable sparklines on one shared scale with the levels marked on it."""

from __future__ import annotations

from collections.abc import Mapping

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...core.gates import Status, fmt
from ...core.model import GateSource, Plan, Thresholds
from ...sanitize import clean
from ..grid import Cell, Column, LinesWidget, cell, lay_out
from ..history import GateHistory
from ..look import Look
from ..model import STATUS_TONE, levels
from ..scales import mark, spark, value_scale

NAME_W = 19
VALUE_W = 10
LEVELS_W = 17
MARKS_W = 2  # the warn and the fail level on the sparklines' scale (an arrow when off it)


class GateSignals(LinesWidget):
    """Renders the recent history of every gate. The app sets ``thresholds`` and bumps ``version``
    after an evaluation (the histories themselves are the model's bounded ring buffers)."""

    DEFAULT_CSS = """
    GateSignals {
        height: auto;
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    version: reactive[int] = reactive(0)
    thresholds: reactive[Mapping[str, Thresholds]] = reactive(dict)
    look: reactive[Look | None] = reactive(None)

    def __init__(self, plan: Plan, history: Mapping[str, GateHistory], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan
        self.history = history
        self.spark_width = 0  # the cells of history each sparkline shows at the current width

    def on_mount(self) -> None:
        self.border_title = "Golden signals"
        self.border_subtitle = (
            f"canary {clean(self.plan.canary.version, 20)} vs stable {clean(self.plan.stable.version, 20)}"
        )

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The heading and one line per gate: known without building them (fast layout)."""
        return 1 + len(self.plan.gates)

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None:
            return []
        width = max(30, width)
        name_w = min(NAME_W, max(len(g.name) for g in self.plan.gates))
        # the sparklines get what is left once the names and the canary values fit (one cell per
        # evaluation, as many as fit); stable values and the levels come in when there is room for
        # sparklines of 12 or more. Between the two sparklines, the warn and fail levels' marks.
        extras = [VALUE_W, LEVELS_W]
        fixed = name_w + MARKS_W + VALUE_W + 5
        while extras and (width - fixed - sum(extras) - len(extras)) // 2 < 12:
            extras.pop()
        show_stable, show_levels = len(extras) >= 1, len(extras) >= 2
        spark_w = self.spark_width = max(4, (width - fixed - sum(extras) - len(extras)) // 2)
        # right-aligned: the newest evaluation sits next to the marks and the values, at every width
        spark = Column(width=spark_w, right=True)
        columns = [Column(width=name_w), spark, Column(width=MARKS_W), spark]
        columns.append(Column(width=VALUE_W, right=True))
        heads = [cell(("gate", look.muted)), cell(("canary", look.accent)), cell(("wf", look.muted))]
        heads += [cell(("stable", look.stable)), cell(("canary now", look.muted))]
        if show_stable:
            columns.append(Column(width=VALUE_W, right=True))
            heads.append(cell(("stable now", look.stable)))
        if show_levels:
            columns.append(Column(width=LEVELS_W))
            heads.append(cell(("warn | fail", look.muted)))
        rows = [heads]
        for gate in self.plan.gates:
            rows.append(self._row(gate.name, look, spark_w, show_stable, show_levels))
        return lay_out(rows, columns, width)

    def _row(self, name: str, look: Look, spark_w: int, show_stable: bool, show_levels: bool) -> list[Cell]:
        gate = self.plan.gate(name)
        points = list(self.history[name].recent)[-spark_w:]
        canary = [p.canary for p in points]
        stable = [p.stable for p in points]
        t = self.thresholds.get(name, gate.thresholds)
        ratio_level = None
        if t.max_ratio_to_stable is not None and points and points[-1].stable is not None:
            ratio_level = points[-1].stable * t.max_ratio_to_stable  # a relative gate's limit follows stable
        fail = t.fail_above if t.fail_above is not None else t.fail_below
        if fail is None:
            fail = ratio_level
        warn = t.warn_above if t.warn_above is not None else t.warn_below
        sc = value_scale((canary, stable), (t.warn_above, t.fail_above, ratio_level))
        chars = spark(canary, sc)
        trend: Cell = []
        start = 0
        for i in range(1, len(points) + 1):  # one segment per run of the same status
            if i == len(points) or points[i].status is not points[start].status:
                trend.append(Segment(chars[start:i], look.tone(STATUS_TONE[points[start].status])))
                start = i
        last = points[-1] if points else None
        status = last.status if last is not None else None
        tone = look.tone(STATUS_TONE[status]) if status is not None else look.muted
        pods = gate.source is GateSource.PODS
        base = cell(("(pods)", look.muted)) if pods else cell((spark(stable, sc), look.stable))
        marks = cell((mark(warn, sc), look.warn), (mark(fail, sc), look.bad))
        if last is None:
            now = cell(("-", look.muted))
        elif status is Status.NODATA:
            now = cell(("no data", look.muted))
        else:
            now = cell((fmt(last.canary, clean(gate.unit, 12)), tone + Style(bold=True)))
        cells = [cell((clean(name, NAME_W), tone)), trend, marks, base, now]
        if show_stable:
            value = "" if pods or last is None else fmt(last.stable, clean(gate.unit, 12))
            cells.append(cell((value, look.stable)))
        if show_levels:
            warn_text, fail_text = levels(t, clean(gate.unit, 12))
            cells.append(cell((warn_text, look.warn), (" | ", look.muted), (fail_text, look.bad)))
        return cells
