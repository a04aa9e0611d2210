"""The readable timeline of a headless run: phase changes, actions, decisions, and the result."""

from __future__ import annotations

import os
from datetime import datetime
from typing import IO

from ..core.durations import format_duration, format_time
from ..core.events import ActionTaken, Decided, Evaluated, Event, Finished, Notice, PhaseEntered
from ..core.gates import Status, fmt
from ..core.model import Plan
from ..sanitize import clean

_COLORS = {
    "phase": "36",
    "promote": "32",
    "rollback": "31;1",
    "action": "35",
    "refused": "33",
    "error": "31",
    "Promoted": "32;1",
    "RolledBack": "31;1",
    "Incomplete": "33;1",
    "fail": "31",
    "warn": "33",
    "nodata": "35",
}


def use_color(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class TimelineSink:
    """One line per event a person cares about; evaluations only with ``verbose``."""

    def __init__(self, stream: IO[str], plan: Plan, *, verbose: bool = False, color: bool = False) -> None:
        self.stream = stream
        self.plan = plan
        self.verbose = verbose
        self.color = color
        self.t0: datetime | None = None

    def _c(self, key: str, text: str) -> str:
        code = _COLORS.get(key)
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and code else text

    def _line(self, at: datetime, kind: str, text: str, color_key: str | None = None, *, safe: bool = False) -> None:
        """One line; ``text`` is made safe (``clean``: control characters shown escaped) unless the
        caller did it piece by piece (``safe``: the evaluation line carries our own colours)."""
        if self.t0 is None:
            self.t0 = at
        offset = "+" + format_duration(at - self.t0)
        label = self._c(color_key or kind, f"{kind:<9}")
        self.stream.write(f"{offset:>10}  {format_time(at)}  {label} {text if safe else clean(text)}\n")
        self.stream.flush()

    def emit(self, event: Event) -> None:
        plan = self.plan
        if isinstance(event, Evaluated):
            if self.verbose:
                self._line(event.at, "eval", self._evaluation(event), safe=True)
        elif isinstance(event, PhaseEntered):
            n = len(plan.phases)
            self._line(
                event.at,
                "phase",
                f"{event.phase} ({event.index + 1}/{n}): canary {event.weight}% / stable {100 - event.weight}%",
            )
        elif isinstance(event, ActionTaken):
            verdict = "" if event.accepted else " REFUSED: " + event.reason
            self._line(
                event.at, "action", f"{event.action} by {event.actor}{verdict}", None if event.accepted else "refused"
            )
        elif isinstance(event, Decided):
            self._line(event.at, event.decision, event.reason)
        elif isinstance(event, Finished):
            elapsed = format_duration(event.elapsed)
            self.stream.write(
                f"{self._c(event.outcome, event.outcome)} in phase {clean(event.phase)} after {elapsed} "
                f"({format_time(event.at)}): {clean(event.reason)}\n"
            )
            self.stream.flush()
        elif isinstance(event, Notice):
            self._line(event.at, "error", event.message)

    def _evaluation(self, event: Evaluated) -> str:
        # each piece from outside (names, reasons: query errors) is cleaned here, so that the colours
        # (ours) stay colours and nothing else can act on the terminal
        parts = [f"health {fmt(event.health_score)}"]
        for r in event.results:
            text = f"{clean(r.name)} {fmt(r.canary)}"
            if r.status is not Status.PASS:
                text += " " + self._c(r.status.value, r.status.value.upper())
                if r.status is Status.NODATA:
                    text += f" ({clean(r.reason)})"
            parts.append(text)
        return " | ".join(parts)
