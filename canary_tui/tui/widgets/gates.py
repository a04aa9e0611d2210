"""The gate table: status and reason, values, the current phase's thresholds, consecutive counts against
their limits, the health score against minHealthScore, and what the controller waits for. The plan's
phase checks follow the gates, with their status, reason and consecutive counts."""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...core.gates import fmt
from ...core.judges import summary as judge_summary
from ...core.model import Plan
from ...sanitize import clean
from ..checkrows import CheckRow
from ..grid import Cell, Column, LinesWidget, cell, lay_out, wrap
from ..look import Look
from ..model import STATUS_TONE, GateRow, Tone, levels


class GatePanel(LinesWidget):
    """Renders ``rows``, ``checks``, ``health``, ``waiting`` (text and tone) and ``note``, all set by the app."""

    DEFAULT_CSS = """
    GatePanel {
        height: auto;
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    rows: reactive[tuple[GateRow, ...]] = reactive(())
    checks: reactive[tuple[CheckRow, ...]] = reactive(())
    health: reactive[float | None] = reactive(None)
    waiting: reactive[tuple[str, Tone]] = reactive(("", Tone.MUTED))
    note: reactive[str] = reactive("")
    look: reactive[Look | None] = reactive(None)

    def __init__(self, plan: Plan, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan
        self._laid_out_lines = 0

    def on_mount(self) -> None:
        self.border_title = "Gates"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The status lines, the heading and one line per gate and check, counted without building them."""
        if (self.styles.column_span or 1) > 1:  # across the grid: Textual measures it one column wide
            width = container.width - self.styles.gutter.width
        return len(self._status(width)) + 1 + len(self.plan.gates) + len(self.plan.checks)

    def watch_waiting(self) -> None:
        self._relayout_if_taller()

    def watch_note(self) -> None:
        self._relayout_if_taller()

    def _relayout_if_taller(self) -> None:
        """A layout costs milliseconds: ask for one only when the status lines wrap differently."""
        lines = len(self._status(self.content_size.width))
        if lines != self._laid_out_lines:
            self._laid_out_lines = lines
            self.refresh(layout=True)

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None:
            return []
        return self._status(width) + self._table(look, width)

    def _status(self, width: int) -> list[Cell]:
        """ "health 87.5 ≥ 80 min · promotes in 4m10s", and the note (a write being retried)."""
        look = self.look
        if look is None:
            return [[]]
        plan, health = self.plan, self.health
        parts = [("health ", look.muted)]
        if health is None:
            parts += [("- / ", look.muted)]
        else:
            ok = health >= plan.min_health_score
            parts += [(fmt(health), (look.good if ok else look.warn) + Style(bold=True))]
            parts += [(" ≥ " if ok else " < ", look.muted)]
        parts += [(f"{fmt(plan.min_health_score)} min  ·  ", look.muted)]
        text, tone = self.waiting
        parts += [(clean(text, 400), look.tone(tone) + Style(bold=True))]
        lines = wrap(parts, max(1, width))
        if self.note:
            lines += wrap([(clean(self.note, 400), look.bad + Style(bold=True))], max(1, width))
        return lines

    def _table(self, look: Look, width: int) -> list[Cell]:
        plan = self.plan
        # under 100 columns the reason column goes: the line above names the failing gate's reason
        with_reason = width >= 100
        columns = [
            Column(min=10, shrink=3),
            Column(min=6),
            Column(min=7, right=True),
            Column(min=7, right=True),
            Column(min=4, shrink=2),
            Column(min=4, shrink=2),
            Column(min=5, right=True),
            Column(min=6, right=True),
        ]
        heads = ["gate", "status", "canary", "stable", "warn", "fail", "fails", "nodata"]
        if with_reason:
            columns.append(Column(min=6, flex=True, shrink=9))
            heads.append("reason")
        rows: list[list[Cell]] = [[cell((h, look.muted)) for h in heads]]
        for r in self.rows:
            tone = look.tone(STATUS_TONE[r.status]) if r.status is not None else look.muted
            warn, fail = levels(r.thresholds, r.unit) if r.stats is None else judge_summary(r.stats)
            stable = fmt(r.stable, r.unit) if r.stable is not None or r.status is None else "-"
            cells = [
                cell((clean(r.name, 40), tone)),
                cell((r.status.value if r.status is not None else "-", tone + Style(bold=r.status is not None))),
                cell((fmt(r.canary, r.unit), look.text)),
                cell((stable, look.stable)),
                cell((warn, look.muted)),
                cell((fail, look.muted)),
                cell((f"{r.fails}/{plan.failure_limit}", look.bad + Style(bold=True) if r.fails else look.muted)),
                cell((f"{r.nodata}/{plan.no_data_limit}", look.warn + Style(bold=True) if r.nodata else look.muted)),
            ]
            if with_reason:
                cells.append(cell((clean(r.reason, 300), tone)))
            rows.append(cells)
        rows += [self._check(c, look, with_reason) for c in self.checks]
        return lay_out(rows, columns, width, gap=2 if with_reason else 1)

    def _check(self, c: CheckRow, look: Look, with_reason: bool) -> list[Cell]:
        """A check: ``smoke check  fail  on promote  1/2  0/4  GET ...: HTTP 503``."""
        plan = self.plan
        tone = look.tone(STATUS_TONE[c.status]) if c.status is not None else look.muted
        cells = [
            cell((clean(c.name, 30), tone), (" check", look.muted)),
            cell((c.status.value if c.status is not None else "-", tone + Style(bold=c.status is not None))),
            cell(("", look.muted)),
            cell(("", look.muted)),
            cell(("on", look.muted)),
            cell((c.when, look.muted)),
            cell((f"{c.fails}/{plan.failure_limit}", look.bad + Style(bold=True) if c.fails else look.muted)),
            cell((f"{c.nodata}/{plan.no_data_limit}", look.warn + Style(bold=True) if c.nodata else look.muted)),
        ]
        if with_reason:
            cells.append(cell((clean(c.reason, 300), tone)))
        return cells
