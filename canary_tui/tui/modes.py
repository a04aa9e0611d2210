"""Which controls each mode allows: the one table that keys, the command palette and help consult.

Pure data, no Textual: ``watch`` (read-only) reuses the control room with every steering control
absent, because this table says so, not because a different app is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Control(StrEnum):
    """One thing an operator can do in the control room (a key, a palette command)."""

    PROMOTE = "promote"
    HOLD = "hold"  # h: hold, or resume when held
    ROLLBACK = "rollback"
    PAUSE = "pause"  # space: pause, or play when paused
    FASTER = "faster"
    SLOWER = "slower"
    STEP = "step"
    CHARTS = "charts"
    FILTER = "filter"
    SORT = "sort"
    REPORT = "report"
    HELP = "help"
    PALETTE = "palette"
    QUIT = "quit"


STEERING = frozenset({Control.PROMOTE, Control.HOLD, Control.ROLLBACK})
"""Controls that change the release; they go to the controller and the audit log."""
TIME = frozenset({Control.PAUSE, Control.FASTER, Control.SLOWER, Control.STEP})
"""Controls of the virtual clock."""
VIEWING = frozenset({Control.CHARTS, Control.FILTER, Control.SORT, Control.HELP, Control.PALETTE, Control.QUIT})
"""Controls that change only what the screen shows."""
WRITING = frozenset({Control.REPORT})
"""Controls that write a file (never the release): the report of this run, from its audit log."""


@dataclass(frozen=True)
class Mode:
    """A mode of the control room: its header badge, what it allows, and why it refuses the rest."""

    name: str
    badge: str
    allowed: frozenset[Control]
    confirm_quit: bool = False
    steering_refused: str = ""
    time_refused: str = "only replay runs on a clock that can be paused, sped up or stepped"
    writing_refused: str = ""

    def allows(self, control: Control) -> bool:
        return control in self.allowed

    def why_not(self, control: Control) -> str:
        """Why this mode does not offer ``control`` (empty when it does)."""
        if control in self.allowed:
            return ""
        if control in STEERING:
            return self.steering_refused
        if control in TIME:
            return self.time_refused
        if control in WRITING:
            return self.writing_refused
        return "not available"


MODES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("demo", "DEMO", VIEWING | STEERING | WRITING),
        Mode("replay", "REPLAY", VIEWING | STEERING | TIME | WRITING),
        Mode("run", "LIVE", VIEWING | STEERING | WRITING, confirm_quit=True),
        Mode(
            "dry-run",
            "DRY-RUN",
            VIEWING | WRITING,
            steering_refused="a dry run never changes traffic: it only says what it would do",
        ),
        Mode(
            "watch",
            "READ-ONLY",
            VIEWING,
            steering_refused="read-only: another process drives the release",
            writing_refused="watch writes nothing, anywhere",
        ),
    )
}


def get_mode(name: str) -> Mode:
    """The mode called ``name``; ValueError naming the known modes otherwise."""
    try:
        return MODES[name]
    except KeyError:
        raise ValueError(f"unknown control room mode {name!r}; one of {', '.join(MODES)}") from None


@dataclass(frozen=True)
class KeyHelp:
    """A key as the help screen and docs/keys.md describe it."""

    control: Control
    keys: str
    what: str


KEYS: tuple[KeyHelp, ...] = (
    KeyHelp(Control.PROMOTE, "p", "promote: enter the next phase now (asks first, naming the phase)"),
    KeyHelp(Control.HOLD, "h", "hold promotions / resume them"),
    KeyHelp(Control.ROLLBACK, "r", "roll back: all traffic to stable now (asks first; Cancel is the default)"),
    KeyHelp(Control.PAUSE, "space", "pause / play the replay clock"),
    KeyHelp(Control.FASTER, "+", "replay twice as fast"),
    KeyHelp(Control.SLOWER, "-", "replay half as fast"),
    KeyHelp(Control.STEP, "n", "jump to the next evaluation now (also when paused)"),
    KeyHelp(Control.CHARTS, "g", "charts of every gate over the run (g or escape: back)"),
    KeyHelp(Control.FILTER, "/", "filter the pod table (enter: keep, escape: clear)"),
    KeyHelp(Control.SORT, "s", "sort the pod table by the next column (or click a column header)"),
    KeyHelp(Control.REPORT, "w", "write this run's HTML report now, from its audit log (the path is shown)"),
    KeyHelp(Control.HELP, "?", "this help"),
    KeyHelp(Control.PALETTE, ": or ctrl+p", "command palette: every action by name"),
    KeyHelp(Control.QUIT, "q", "quit; quitting never rolls back"),
)
