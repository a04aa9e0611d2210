"""The alert banner: the controller's one loud line (``Snapshot.alert``) under the header, at every size."""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...sanitize import clean
from ..grid import Cell, LinesWidget, wrap
from ..look import Look


class AlertBanner(LinesWidget):
    """Shown while ``text`` is not empty (metrics unavailable, traffic writes stopped); hidden otherwise.
    It sits outside the scrolling room, so no layout and no scroll position can hide it."""

    DEFAULT_CSS = """
    AlertBanner {
        height: auto;
        display: none;
        background: $error;
        color: $text;
        padding: 0 1;
    }
    AlertBanner.-shown {
        display: block;
    }
    """

    text: reactive[str] = reactive("")
    look: reactive[Look | None] = reactive(None)

    def watch_text(self, old: str, new: str) -> None:
        self.set_class(bool(new), "-shown")
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.build(width)) if self.text else 0

    def build(self, width: int) -> list[Cell]:
        if not self.text:
            return []
        parts = [("⚠ ", Style(bold=True)), (clean(self.text, 400), Style(bold=True))]
        return wrap(parts, max(10, width))[:2]  # one loud line; two when the terminal is narrow
