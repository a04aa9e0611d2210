"""The top line: plan and namespace, stable -> canary, the mode badge, the controller's clock, the outcome."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from textual.reactive import reactive

from ...core.model import Plan
from ...core.rule import Outcome
from ...sanitize import clean
from ..grid import Cell, LinesWidget, cell, width_of
from ..look import Look, clock
from ..model import OUTCOME_TONE, Tone

BADGE_TONE = {
    "DEMO": Tone.ACCENT,
    "REPLAY": Tone.ACCENT,
    "LIVE": Tone.BAD,
    "DRY-RUN": Tone.WARN,
    "READ-ONLY": Tone.INFO,
}


class RoomHeader(LinesWidget):
    """One line. The app sets ``now``, ``outcome``, ``clock_note`` and ``look``; it only renders."""

    DEFAULT_CSS = """
    RoomHeader {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    now: reactive[datetime | None] = reactive(None)
    outcome: reactive[Outcome | None] = reactive(None)
    clock_note: reactive[str] = reactive("")
    look: reactive[Look | None] = reactive(None)

    def __init__(self, plan: Plan, badge: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan
        self.badge = badge

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None:
            return []
        plan = self.plan
        ink = Style(color="#121212" if look.dark else "#f5f5f5", bold=True)  # text on a coloured badge
        left = cell(
            (" ", look.text),
            (clean(plan.name, 40), look.text + Style(bold=True)),
            (" · ", look.muted),
            (clean(plan.namespace, 40), look.muted),
            ("  ", look.text),
            (clean(plan.stable.version, 20), look.text),
            (" → ", look.muted),
            (clean(plan.canary.version, 20), look.accent + Style(bold=True)),
        )
        tone = look.tone(BADGE_TONE.get(self.badge, Tone.ACCENT))
        right: Cell = cell((f" {self.badge} ", ink + Style(bgcolor=tone.color)), (" ", look.text))
        if self.clock_note:
            right += cell((self.clock_note + "  ", look.text))
        outcome = self.outcome
        badge_room = len(outcome.value) + 3 if outcome is not None else 0
        full = width >= width_of(left) + width_of(right) + 22 + badge_room + 8
        right += cell((clock(self.now, full=full), look.text + Style(bold=True)), (" ", look.text))
        if outcome is not None:
            style = look.tone(OUTCOME_TONE[outcome])
            right += cell((" ", look.text), (f" {outcome.value} ", ink + Style(bgcolor=style.color)), (" ", look.text))
        if width < width_of(left) + width_of(right):
            # narrow: the namespace and the versions go before anything on the right
            left = cell(
                (" ", look.text), (clean(plan.name, max(8, width - width_of(right) - 2)), look.text + Style(bold=True))
            )
        gap = cell((" " * max(1, width - width_of(left) - width_of(right)), look.text))
        return [left + gap + right]
