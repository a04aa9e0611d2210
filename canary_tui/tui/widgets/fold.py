"""The room: the scrolling column of panels, with a sign at its bottom edge naming the panels below the
fold (compact terminals, or any terminal too short for the size class's layout)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Static

# the panels a sign may name, in the room's order (ids set by the app's ``compose``)
PANELS = (
    ("wall", "Board"),
    ("gates", "Gates"),
    ("phases", "Phases"),
    ("signals", "Golden signals"),
    ("events", "Events"),
    ("pods", "Pods"),
)
HOW = "  (scroll or Tab)"


class FoldSign(Static):
    """One line at the room's bottom edge: what is below the fold and how to get there."""

    DEFAULT_CSS = """
    FoldSign {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        display: none;
    }
    """


class Room(VerticalScroll):
    """Shows ``FoldSign`` (its first child) while a panel reaches below the visible part, naming them.

    Recomputed when the room is laid out again (a new size, or content of another height) and when
    it scrolls: from the layout alone, never from a timer."""

    def on_resize(self) -> None:
        self._show_fold()

    def watch_virtual_size(self) -> None:  # the content grew or shrank (a layout gives no Resize for that)
        self._show_fold()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._show_fold()

    def below(self) -> list[str]:
        """The names of the panels that reach below the room's visible part (from where the layout
        put them in the room, so that it holds the moment the room scrolls)."""
        bottom = self.scroll_y + self.scrollable_content_region.height
        names = []
        for panel_id, name in PANELS:
            try:
                panel = self.query_one(f"#{panel_id}")
            except NoMatches:
                continue
            if panel.display and panel.size.height and self._top_of(panel) + panel.outer_size.height > bottom:
                names.append(name)
        return names

    def _top_of(self, widget: Widget) -> int:
        """Where ``widget`` starts in the room's scrolled content."""
        y = 0
        node: Widget | None = widget
        while node is not None and node is not self:
            y += node.virtual_region.y
            node = node.parent if isinstance(node.parent, Widget) else None
        return y

    def _show_fold(self) -> None:
        try:
            sign = self.query_one(FoldSign)
        except NoMatches:
            return
        names = self.below()
        text = f"▼ more below: {' · '.join(names)}" if names else ""
        if text and len(text) + len(HOW) + 2 <= self.size.width:
            text += HOW
        if text:
            sign.update(text)
        sign.display = bool(text)
