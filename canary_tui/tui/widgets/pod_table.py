"""A pod table that draws only the rows on screen (Line API): a thousand pods cost what twenty do.

Textual's DataTable measures every cell of every row on each update, which takes hundreds of
milliseconds for 1,000 pods; here a new pod list costs one pass for the column widths, and each
frame formats only the visible rows. The header line stays put while the rows scroll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.pods import Pod
from ...sanitize import clean
from ..grid import finish, joined
from ..look import Look
from ..model import POD_COLUMNS
from .pod_columns import (
    CONTAINER_LIMIT,
    GAP,
    HEADINGS,
    RIGHT,
    age_text,
    cpu_text,
    fitted,
    measure,
    memory_text,
    middle,
    total_width,
)
from .pod_columns import fit as _fit

__all__ = ["PodTable", "middle"]

NAME_LIMIT = 63  # a Kubernetes name is at most 63 characters in a label; longer is cut with …


class PodTable(ScrollView, can_focus=True):
    """Shows ``rows`` as given (already filtered and sorted by the panel). Posts ``HeaderClicked``."""

    DEFAULT_CSS = """
    PodTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        background: transparent;
    }
    PodTable > .pod-table--cursor {
        background: $primary 35%;
    }
    PodTable:focus > .pod-table--cursor {
        background: $primary 60%;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"pod-table--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1000000)", "First", show=False),
        Binding("end", "move(1000000)", "Last", show=False),
    ]

    class HeaderClicked(Message):
        """The operator clicked a column heading: sort by it (again: the other way)."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class Highlighted(Message):
        """The cursor is on another pod (or the table got the focus): its full name, for the panel."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    cursor: reactive[int] = reactive(0, repaint=True)

    def __init__(self, canary: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.canary = canary
        self.rows: Sequence[Pod] = ()
        self.look: Look | None = None
        self.sort_column = "name"
        self.sort_reverse = False
        self._names: list[str] = []
        self._widths: dict[str, int] = {}
        self._tight: dict[str, int] = {}
        self._cleaned: dict[str, str] = {}
        self._header_cache: tuple[object, list[Segment]] | None = None
        self._styles: tuple[Look, Style, dict[str, Style]] | None = None
        self._base = Style()
        self._blank = Strip.blank(0)
        self._blank_key: tuple[int, Style] | None = None
        self._frame_width = 0
        self._content_width = 0
        self._frame_key: object = None
        self._frame_lines: dict[int, Strip] = {}
        self._cursor_style = Style()
        self._frame_widths: dict[str, int] = {}
        self._frame_gap = GAP
        self._frame_length = 0

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def show(self, rows: Sequence[Pod], look: Look, sort_column: str, sort_reverse: bool) -> None:
        """New rows: recompute the column widths (one pass) and redraw what is visible."""
        keep = self._names[self.cursor] if 0 <= self.cursor < len(self._names) else None
        self.rows = rows
        self.look = look
        self.sort_column, self.sort_reverse = sort_column, sort_reverse
        cache = self._cleaned
        if len(cache) > 20_000:  # pods come and go over a long run: keep the cache bounded
            cache.clear()
        names = []
        for p in rows:
            name = cache.get(p.name)
            if name is None:
                name = cache[p.name] = clean(p.name, NAME_LIMIT)
            names.append(name)
        self._names = names
        self._widths, self._tight = measure(rows, names, sort_column, self._clean_long)
        self.virtual_size = Size(self._total_width(), len(rows) + 1)
        if keep is not None and keep in self._names:
            self.cursor = self._names.index(keep)
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        self.refresh()

    def _clean(self, text: str) -> str:
        """``sanitize.clean`` of a short outside string, remembered (versions and phases repeat)."""
        cache = self._cleaned
        out = cache.get(text)
        if out is None:
            out = cache[text] = clean(text, 24)
        return out

    def _clean_long(self, text: str | None) -> str:
        """``sanitize.clean`` of a container's story (kube reasons are outside strings), remembered."""
        cache = self._cleaned
        key = "\0" + (text or "")
        out = cache.get(key)
        if out is None:
            out = cache[key] = clean(text or "", CONTAINER_LIMIT)
        return out

    def _total_width(self) -> int:
        return total_width(self._widths, GAP)

    def _fitted(self) -> tuple[dict[str, int], int]:
        """Column widths and the gap for the current width (``pod_columns.fitted``)."""
        return fitted(self._widths, self._tight, self.scrollable_content_region.width)

    # ------------------------------------------------------------------ drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # once per frame, not per line: the widget's style (it walks the DOM; segments without a
        # background would show the terminal's own), the cursor's, the column widths
        self._base = base = self.rich_style
        self._cursor_style = Style(bgcolor=self.get_component_rich_style("pod-table--cursor").bgcolor)
        self._frame_widths, self._frame_gap = self._fitted()
        self._frame_length = total_width(self._frame_widths, self._frame_gap)
        # lines span the whole widget, the scrollbar's column included (the scrollbar is drawn over it)
        size = self.outer_size
        self._frame_width = width = size.width
        self._content_width = self.scrollable_content_region.width
        if self._blank_key != (width, base):
            self._blank_key = (width, base)
            self._blank = Strip.blank(width, base)
        look = self.look
        if look is not None and (self._styles is None or self._styles[0] is not look or self._styles[1] != base):
            self._styles = (look, base, _styles(look, base))
        # Lines go to the compositor as drawn here, not through Textual's per-line styling (border,
        # padding, tint, opacity: this widget has none, and that step cost more than drawing the
        # row): the whole width, the widget's background under the scrollbar, the app's filters.
        filters = self.get_line_filters()
        background = self.background_colors[1]
        key = (size, base, self._cursor_style, tuple(filters), background)
        if key != self._frame_key:
            self._frame_key = key
            self._frame_lines.clear()
        cache = self._frame_lines
        strips = []
        for y in crop.line_range:
            strip = cache.get(y)
            if strip is None:
                strip = self.render_line(y)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                cache[y] = strip
            strips.append(strip)
        if crop.column_span != (0, size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if repaint:
            self._frame_lines.clear()  # rows, cursor, scroll or style changed: draw the lines again
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def forget_drawn(self) -> None:
        """Drop every line drawn so far: the next frame draws from the rows alone."""
        self._frame_lines.clear()
        self._header_cache = None

    def render_line(self, y: int) -> Strip:
        line = self._line(y)
        if not line:
            return self._blank
        # the row's styles already carry the widget's (``_styles``): no pass over the segments here
        width, length = self._frame_width, self._frame_length
        if length == width:
            return Strip(line, width)
        if length <= self._content_width:
            return Strip([*line, Segment(" " * (width - length), self._base)], width)
        # too wide even with the name column at its narrowest: cut with an ellipsis where it shows
        cut = finish(line, self._content_width, self._base, length)
        return cut.extend_cell_length(width, self._base)

    def _line(self, y: int) -> list[Segment]:
        look = self.look
        if look is None:
            return []
        widths = self._frame_widths
        if y == 0:
            key = (tuple(widths.values()), self._frame_gap, self.sort_column, self.sort_reverse, id(look), self._base)
            if self._header_cache is None or self._header_cache[0] != key:
                self._header_cache = (key, self._header(widths))
            return self._header_cache[1]
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            return []
        row = self._row(index, widths)
        if index == self.cursor:
            cursor = self._cursor_style
            row = [Segment(s.text, (s.style or Style()) + cursor) for s in row]
        return row

    def _header(self, widths: dict[str, int]) -> list[Segment]:
        heading = self._row_styles()["heading"]
        labels = []
        for key in POD_COLUMNS:
            label = HEADINGS.get(key, key)
            if key == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            labels.append(_fit(label, widths[key], key in RIGHT))
        if "container" in widths:
            labels.append(_fit("container", widths["container"], False))
        return [Segment((" " * self._frame_gap).join(labels), heading)]

    def _row_styles(self) -> dict[str, Style]:
        st = self._styles
        assert st is not None, "render_lines sets the styles before any line"
        return st[2]

    def _row(self, index: int, widths: dict[str, int]) -> list[Segment]:
        p = self.rows[index]
        st = self._row_styles()
        w, gap = widths, " " * self._frame_gap
        canary = p.version == self.canary
        cpu, memory, age = cpu_text(p), memory_text(p), age_text(p)
        # each cell carries the gap after it (the row styles draw blanks plainly), and neighbours in
        # one style share a segment: every later step (filters, compositing) is paid per segment
        container = []
        if "container" in w:
            text = self._clean_long(p.container) if p.container else ""
            container = [Segment(gap + _fit(text, w["container"], False), st["bad"])]
        return joined(
            [
                Segment(middle(self._names[index], w["name"]) + gap, st["text"]),
                Segment(_fit(self._clean(p.version), w["version"], False) + gap, st["canary" if canary else "stable"]),
                Segment(_fit(self._clean(p.phase), w["phase"], False) + gap, st.get(p.phase, st["bad"])),
                Segment(_fit("yes" if p.ready else "no", w["ready"], False) + gap, st["good" if p.ready else "bad"]),
                Segment(_fit(str(p.restarts), w["restarts"], True) + gap, st["restarts" if p.restarts else "muted"]),
                Segment(_fit(cpu, w["cpu"], True) + gap, st["text"]),
                Segment(_fit(memory, w["memory"], True) + gap, st["text"]),
                Segment(_fit(age, w["age"], True), st["muted"]),
                *container,
            ]
        )

    # ------------------------------------------------------------------ operator

    def watch_cursor(self) -> None:
        if not self.rows:
            return
        self._tell_highlighted()
        top = int(self.scroll_offset.y)
        visible = max(1, self.scrollable_content_region.height - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def on_focus(self) -> None:
        self._tell_highlighted()

    def on_blur(self) -> None:
        self.post_message(self.Highlighted(""))

    def _tell_highlighted(self) -> None:
        if self.has_focus and 0 <= self.cursor < len(self._names):
            self.post_message(self.Highlighted(self._names[self.cursor]))

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 2))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x
            widths, gap = self._fitted()
            for key in POD_COLUMNS:
                if x < widths[key] + gap:
                    self.post_message(self.HeaderClicked(key))
                    return
                x -= widths[key] + gap
            return
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index


def _styles(look: Look, base: Style) -> dict[str, Style]:
    """The row styles of a look on the widget's own style (``base``: its colours and background),
    computed once per theme: a row's segments are then final, with no pass to add ``base``."""
    styles = {
        "heading": look.text + Style(bold=True),
        "text": look.text,
        "muted": look.muted,
        "good": look.good,
        "bad": look.bad,
        "canary": look.accent + Style(bold=True),
        "stable": look.stable,
        "restarts": look.bad + Style(bold=True),
        "Running": look.good,
        "Succeeded": look.good,
        "Pending": look.warn,
        "ContainerCreating": look.warn,
    }
    return {key: base + style for key, style in styles.items()}
