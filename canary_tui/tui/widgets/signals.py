"""Golden signals: per gate, canary and stable sparklines on one shared scale, the latest values, the levels."""

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
from ..look import Look, scale, spark
from ..model import STATUS_TONE, levels

NAME_W = 19
VALUE_W = 10
LEVELS_W = 17


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
        # the sparklines get what is left once the names and the canary values fit; stable values
        # and the levels come in when there is room for sparklines of 12 or more
        extras = [VALUE_W, LEVELS_W]
        while extras and (width - name_w - VALUE_W - sum(extras) - 4 - len(extras)) // 2 < 12:
            extras.pop()
        show_stable, show_levels = len(extras) >= 1, len(extras) >= 2
        spark_w = max(4, (width - name_w - VALUE_W - sum(extras) - 4 - len(extras)) // 2)
        columns = [Column(width=name_w), Column(width=spark_w), Column(width=spark_w)]
        columns.append(Column(width=VALUE_W, right=True))
        heads = [cell(("gate", look.muted)), cell(("canary", look.accent)), cell(("stable", look.stable))]
        heads.append(cell(("canary now", look.muted)))
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
        lo, hi = scale(canary, stable)
        chars = spark(canary, lo, hi)
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
        base = cell(("(pods)", look.muted)) if pods else cell((spark(stable, lo, hi), look.stable))
        if last is None:
            now = cell(("-", look.muted))
        elif status is Status.NODATA:
            now = cell(("no data", look.muted))
        else:
            now = cell((fmt(last.canary, gate.unit), tone + Style(bold=True)))
        cells = [cell((clean(name, NAME_W), tone)), trend, base, now]
        if show_stable:
            value = "" if pods or last is None else fmt(last.stable, gate.unit)
            cells.append(cell((value, look.stable)))
        if show_levels:
            warn, fail = levels(self.thresholds.get(name, gate.thresholds), gate.unit)
            cells.append(cell((warn, look.warn), (" | ", look.muted), (fail, look.bad)))
        return cells
