"""The event log: every phase change, decision, action and gate status change, newest at the bottom.

A Line API widget: rows are wrapped into lines once (again only when the width or the theme
changes), and a frame draws only the lines on screen. Bounded: the last ``MAX_ROWS`` rows.
"""

from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...sanitize import clean
from ..grid import finish
from ..look import Look, clock
from ..model import EventRow

MAX_ROWS = 500
TIME_W, ACTOR_W, KIND_W = 8, 18, 8
INDENT = TIME_W + ACTOR_W + KIND_W + 3


class EventLog(ScrollView, can_focus=True):
    """The app calls ``add`` with new rows and sets ``look``; the log follows the newest row
    unless the operator has scrolled up to read."""

    DEFAULT_CSS = """
    EventLog {
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        background: transparent;
        padding: 0 1;
        height: auto;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        /* the scrollbar's column is kept when it does not show: lines wrap at one width, and none
         * loses its last character under a scrollbar that appears once the log overflows */
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._look: Look | None = None
        self.rows: deque[EventRow] = deque(maxlen=MAX_ROWS)
        self._lines: list[list[Segment]] = []
        self._per_row: deque[int] = deque()
        self._width = 0
        self._base = Style()
        # follows the newest row until the operator scrolls up; kept across resizes, where the
        # offset alone cannot tell (a shorter log has a larger max_scroll_y at the same offset)
        self._following = True

    def on_mount(self) -> None:
        self.border_title = "Events"

    @property
    def look(self) -> Look | None:
        return self._look

    @look.setter
    def look(self, look: Look) -> None:
        self._look = look
        self._relayout()

    def add(self, rows: Iterable[EventRow]) -> None:
        follow = self._following
        for row in rows:
            if len(self.rows) == self.rows.maxlen:
                del self._lines[: self._per_row.popleft()]
            self.rows.append(row)
            self._append(row)
        self._resize(follow)

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._relayout()
        elif self._following:  # only the height changed: keep the newest row in view
            self._to_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._following = new_value >= self.max_scroll_y - 1

    def _relayout(self) -> None:
        self._width = self.scrollable_content_region.width
        self._lines = []
        self._per_row.clear()
        for row in self.rows:
            self._append(row)
        self._resize(self._following)

    def _resize(self, follow: bool) -> None:
        self.virtual_size = Size(self._width, len(self._lines))
        if follow:
            self._to_end()
        self.refresh()

    def _to_end(self) -> None:
        """Show the newest row now. Forced: the scrollbar that allows scrolling shows only after the
        next layout, and the newest row must not wait for it (nor stay hidden when it never comes)."""
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self._following = True

    def _append(self, row: EventRow) -> None:
        look = self._look
        width = self._width
        if look is None or width <= 0:
            self._per_row.append(0)
            return
        style = look.tone(row.tone)
        room = max(10, width - INDENT)
        text = textwrap.wrap(clean(row.text, 400), room, break_long_words=True, break_on_hyphens=False) or [""]
        actor = clean(row.actor, 64)
        actor = actor if len(actor) <= ACTOR_W else actor[: ACTOR_W - 1] + "…"
        head = [
            Segment(clock(row.at).ljust(TIME_W), look.muted),
            Segment(" "),
            Segment(actor.ljust(ACTOR_W), look.text),
            Segment(" "),
            Segment(row.kind[:KIND_W].ljust(KIND_W), style + Style(bold=True)),
            Segment(" "),
        ]
        lines = [[*head, Segment(text[0], style)]]
        lines += [[Segment(" " * INDENT), Segment(part, style)] for part in text[1:]]
        self._lines.extend(lines)
        self._per_row.append(len(lines))

    def render_lines(self, crop: Region) -> list[Strip]:
        # segments without a background would show the terminal's own: the widget's style goes under
        # them; computed once per frame, not per line (it walks the DOM)
        self._base = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        line = self._lines[index] if 0 <= index < len(self._lines) else []
        return finish(line, width, self._base)
