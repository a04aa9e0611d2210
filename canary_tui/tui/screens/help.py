"""Help: every key, what it does, and whether this mode allows it (and why not)."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..look import Look
from ..modes import KEYS, Mode

ABOUT = {
    "demo": "a simulated cluster and simulated golden signals, on a virtual clock paced at real time",
    "replay": "a recorded fixture played through the same controller, on a virtual clock you control",
    "run": "a real release: keys change real traffic",
    "dry-run": "real metrics, no cluster writes: the screen says what the controller would do",
    "watch": "read-only: another process drives this release; nothing here can change it",
}


class HelpScreen(ModalScreen[None]):
    """Built from ``modes.KEYS`` and the mode table, so it can never disagree with the keys."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > #help {
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #keys {
        height: auto;
        max-height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss_help", "Close help")]

    def __init__(self, mode: Mode, look: Look, notes: list[str] | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.look = look
        self.notes = notes or []

    def compose(self) -> ComposeResult:
        look = self.look
        head = Text()
        head.append("Keys in ", look.muted)
        head.append(f" {self.mode.badge} ", Style(bold=True, reverse=True))
        head.append(f"  {ABOUT.get(self.mode.name, '')}", look.muted)
        with Vertical(id="help"):
            yield Static(head, markup=False, id="help-title")
            with VerticalScroll(id="keys"):
                yield Static(self._table(), markup=False)
                for note in self.notes:
                    yield Static(Text(note, look.muted), markup=False)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Help"
        self.query_one("#help").border_subtitle = "escape or ? to close"

    def _table(self) -> Table:
        look = self.look
        table = Table(box=None, padding=(0, 1), expand=True, header_style=look.muted, show_edge=False)
        table.add_column("key", no_wrap=True, style=look.accent + Style(bold=True))
        table.add_column("what it does", ratio=3)
        table.add_column(f"in {self.mode.badge}", ratio=1 if all(self.mode.allows(k.control) for k in KEYS) else 2)
        for k in KEYS:
            allowed = self.mode.allows(k.control)
            verdict = Text("yes", look.good) if allowed else Text("no: " + self.mode.why_not(k.control), look.muted)
            table.add_row(k.keys, Text(k.what, look.text if allowed else look.muted), verdict)
        return table

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
