"""The wall board: on a big terminal in watch mode, the current phase (or the outcome) in big letters,
a bar of the phases across the whole width and what the controller waits for, readable from across
a room."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...core.model import Plan
from ...core.rule import Outcome
from ...sanitize import clean
from .. import bigtext
from ..grid import Cell, LinesWidget, cell, fit, width_of
from ..look import Look
from ..model import OUTCOME_TONE, PHASE_TONE, PhaseRow, PhaseState, Tone, short_duration
from .phases import MARKS, _fraction

OUTCOME_WORDS = {Outcome.PROMOTED: "promoted", Outcome.ROLLED_BACK: "rolled back", Outcome.INCOMPLETE: "incomplete"}
BAR_LINES = 2


class WallBoard(LinesWidget):
    """The app sets ``rows``, ``weight``, ``outcome``, ``waiting`` and ``look``; it only renders."""

    DEFAULT_CSS = """
    WallBoard {
        height: auto;
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        padding: 0 2;
    }
    """

    rows: reactive[tuple[PhaseRow, ...]] = reactive(())
    weight: reactive[int | None] = reactive(None)
    outcome: reactive[Outcome | None] = reactive(None)
    waiting: reactive[tuple[str, Tone]] = reactive(("", Tone.MUTED))
    look: reactive[Look | None] = reactive(None)

    def __init__(self, plan: Plan, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan

    def on_mount(self) -> None:
        self.border_title = "Release"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return bigtext.lines(self._scale(width)) + 1 + BAR_LINES + 2

    def watch_outcome(self) -> None:
        self.refresh(layout=True)  # the big words may change size

    def _headline(self) -> str:
        if self.outcome is not None:
            return OUTCOME_WORDS[self.outcome]
        current = next((r for r in self.rows if r.state is PhaseState.CURRENT), None)
        if current is None:
            return "waiting"
        return f"{clean(current.name, 24)} {current.weight}%"

    def _scale(self, width: int) -> int:
        text = self._headline()
        if bigtext.width(text, 2) <= width:
            return 2
        return 1 if bigtext.width(text, 1) <= width else 0

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None:
            return []
        width = max(20, width)
        tone = look.tone(OUTCOME_TONE[self.outcome]) if self.outcome is not None else look.accent
        text = self._headline()
        scale = self._scale(width)
        lines: list[Cell] = []
        if scale:
            for line in bigtext.render(text, scale):
                lines.append(_centre(cell((line, tone + Style(bold=True))), width))
        else:
            lines.append(_centre(cell((text.upper(), tone + Style(bold=True))), width))
        lines.append([])
        lines += self._bar(look, width)
        words, wtone = self.waiting
        lines.append(_centre(cell((clean(words, 300), look.tone(wtone) + Style(bold=True))), width))
        return lines

    def _bar(self, look: Look, width: int) -> list[Cell]:
        """One segment per phase, as wide as the others, filled as far as its soak; names below."""
        rows = self.rows
        if not rows:
            return [[] for _ in range(BAR_LINES + 1)]
        gap = 2
        seg = max(4, (width - gap * (len(rows) - 1)) // len(rows))
        bar: Cell = []
        labels: Cell = []
        for i, r in enumerate(rows):
            tone = look.tone(PHASE_TONE[r.state])
            filled = round(_fraction(r) * seg) if r.state is not PhaseState.PENDING else 0
            if i:
                bar.append(Segment(" " * gap))
                labels.append(Segment(" " * gap))
            bar += [Segment("█" * filled, tone), Segment("░" * (seg - filled), look.track)]
            label = cell((f"{MARKS[r.state]} ", tone), (clean(r.name, 24), tone + Style(bold=True)))
            label += cell((f" {r.weight}%", look.muted), (_soak(r), look.muted))
            labels += fit(label, seg)
        return [list(bar) for _ in range(BAR_LINES)] + [labels]


def _soak(r: PhaseRow) -> str:
    if r.state is PhaseState.CURRENT and r.remaining is not None and r.duration:
        return f" · {short_duration(r.remaining)} left" if r.remaining else " · soaked"
    return ""


def _centre(c: Cell, width: int) -> Cell:
    pad = max(0, (width - width_of(c)) // 2)
    return [Segment(" " * pad), *c] if pad else c
