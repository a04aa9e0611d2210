"""The what-if line under the header (``replay FIXTURE --whatif PATH=VALUE``): the change, where the
variant is (or how it ended) and where the base run is, at the replay's clock."""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len
from rich.style import Style
from textual.reactive import reactive

from ...core.model import Plan
from ...core.rule import State
from ...sanitize import clean
from ..grid import Cell, LinesWidget, cell, width_of
from ..look import Look
from ..model import OUTCOME_TONE
from ..variant import VariantTimeline, base_where

LABEL_MIN = 16  # the change keeps at least this much before the words about the runs get shorter
REASON = 80  # the variant's reason, once it has an outcome, when the line has room for it


class WhatIfBar(LinesWidget):
    """One line. The app sets ``variant`` (None while it is being replayed), ``until`` (the replay's
    clock; None once the base run is decided: the whole variant), ``base`` (the base run's state),
    ``label`` and ``look``."""

    DEFAULT_CSS = """
    WhatIfBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    variant: reactive[VariantTimeline | None] = reactive(None)
    until: reactive[datetime | None] = reactive(None)
    base: reactive[State | None] = reactive(None)
    label: reactive[str] = reactive("")
    error: reactive[str] = reactive("")
    look: reactive[Look | None] = reactive(None)

    def __init__(self, plan: Plan, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan  # the base run's

    def build(self, width: int) -> list[Cell]:
        look = self.look
        if look is None:
            return []
        badge = cell((" ≈ what-if ", look.variant + Style(bold=True)))
        label = clean(self.label, 300)
        variant = self.variant
        if variant is None:
            if self.error:
                rest = cell((" the variant's replay failed: ", look.bad), (clean(self.error, 300), look.bad))
            else:
                rest = cell((" → replaying the variant…", look.muted))
            return [badge + _label(label, max(LABEL_MIN, width - width_of(badge) - width_of(rest)), look) + rest]
        ways = []
        for short, why in ((False, True), (False, False), (True, False)):
            v_text, v_outcome = variant.where(self.until, short=short)
            b_text, b_outcome = base_where(self.plan, self.base, variant.start, short=short)
            reason = clean(variant.reason, REASON) if why and v_outcome is not None else ""
            ways.append(
                cell(
                    (" → ", look.muted),
                    (v_text, look.tone(OUTCOME_TONE[v_outcome]) if v_outcome else look.variant),
                    (f": {reason}" if reason else "", look.muted),
                    ("  (base: ", look.muted),
                    (b_text, look.tone(OUTCOME_TONE[b_outcome]) if b_outcome else look.text),
                    (")", look.muted),
                )
            )
        fixed = width - width_of(badge)
        # the whole change first (with the variant's reason, without, in the shorter words), else
        # the change cut to LABEL_MIN (without the reason)
        whole = [w for w in ways if fixed - width_of(w) >= cell_len(label)]
        cut = [w for w in ways[1:] if fixed - width_of(w) >= LABEL_MIN]
        rest = (whole or cut or ways[-1:])[0]
        return [badge + _label(label, fixed - width_of(rest), look) + rest]


def _label(text: str, room: int, look: Look) -> Cell:
    """The change in ``room`` cells, its start cut when it does not fit: the end (the key and the
    value, ``…[canary].duration=3m``) says what changed."""
    if cell_len(text) <= room:
        return cell((text, look.text + Style(bold=True)))
    if room < 5:
        return []
    return cell(("…" + text[-(room - 1) :], look.text + Style(bold=True)))
