"""Lines of styled cells, built as ``Strip``s once when the data changes: what the panels draw.

Rich's ``Table`` measures and wraps every cell through the console on every render (9 ms for the
gate table here), and even a ``Text`` goes through Rich's renderer on each frame. These panels
need one line per row, so cells are lists of ``Segment``s, padded or cut with an ellipsis to
widths counted once; the widget keeps the strips until its data or its width changes. The text
in a cell is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Self

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

Cell = list[Segment]


def cell(*parts: tuple[str, Style]) -> Cell:
    """A cell from (text, style) pairs."""
    return [Segment(text, style) for text, style in parts if text]


def width_of(c: Cell) -> int:
    return sum(cell_len(s.text) for s in c)


def fit(c: Cell, width: int, right: bool = False) -> Cell:
    """``c`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    n = width_of(c)
    if n == width:
        return c
    if n < width:
        pad = Segment(" " * (width - n))
        return [pad, *c] if right else [*c, pad]
    if width <= 0:
        return []
    cut = Segment.adjust_line_length(c, width - 1, pad=False)
    style = c[-1].style if c else None
    return [*cut, Segment("…", style)]


@dataclass(frozen=True, slots=True)
class Column:
    """``width``: fixed, else as wide as the widest cell (between ``min`` and ``max``). ``flex``
    columns share what is left. When the line is too wide, columns give way in ``shrink`` order
    (higher first), down to ``min``."""

    width: int | None = None
    min: int = 1
    max: int = 10_000
    right: bool = False
    flex: bool = False
    shrink: int = 0


def widths(rows: Sequence[Sequence[Cell]], columns: Sequence[Column], total: int, gap: int = 1) -> list[int]:
    """Column widths for ``rows`` in ``total`` cells."""
    out = []
    for i, col in enumerate(columns):
        if col.width is not None:
            out.append(col.width)
        else:
            widest = max((width_of(row[i]) for row in rows if i < len(row)), default=0)
            out.append(max(col.min, min(col.max, widest)))
    room = total - sum(out) - gap * (len(columns) - 1)
    flex = [i for i, c in enumerate(columns) if c.flex]
    if room > 0 and flex:
        share, extra = divmod(room, len(flex))
        for n, i in enumerate(flex):
            out[i] += share + (1 if n < extra else 0)
    elif room < 0:
        for i in sorted(range(len(columns)), key=lambda i: -columns[i].shrink):
            if room >= 0:
                break
            give = min(-room, out[i] - columns[i].min)
            if give > 0:
                out[i] -= give
                room += give
    return out


def lay_out(rows: Sequence[Sequence[Cell]], columns: Sequence[Column], total: int, gap: int = 1) -> list[Cell]:
    """One line per row, each cell padded or cut to its column."""
    ws = widths(rows, columns, total, gap)
    space = Segment(" " * gap)
    length = sum(ws) + gap * (len(columns) - 1)
    tail = [Segment(" " * (total - length))] if length < total else []
    out = []
    for row in rows:
        segments: list[Segment] = []
        for i, (c, w, col) in enumerate(zip(row, ws, columns, strict=False)):
            if i:
                segments.append(space)
            segments.extend(fit(c, w, col.right))
        out.append(segments + tail)  # every line exactly ``total`` wide (when it fits)
    return out


def finish(line: Cell, width: int, base: Style, length: int | None = None) -> Strip:
    """The strip a frame copies: the line padded or cut to ``width``, on the widget's own style
    (segments without a background would show the terminal's). One Strip per line and build (a
    Strip is not cheap to make); ``length``, when the caller knows it, spares measuring the text."""
    if length is None:
        length = width_of(line)
    segments = list(Segment.apply_style(line, base))
    if length < width:
        segments.append(Segment(" " * (width - length), base))
    elif length > width:
        segments = Segment.adjust_line_length(segments, width, style=base)
    return Strip(segments, width)


class LinesWidget(Widget):
    """A widget drawn from lines it builds itself (``build``). A refresh rebuilds the lines once
    (however many attributes changed) and repaints only the lines that differ: the rest of the
    screen is not redrawn, and a frame copies finished strips."""

    def __init__(self, *, id: str | None = None) -> None:
        self._strips: list[Strip] = []
        self._built: tuple[int, Style] | None = None
        self._pending = False
        self._blank = Strip.blank(0)
        super().__init__(id=id)

    def build(self, width: int) -> list[Cell]:
        raise NotImplementedError

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if regions or layout or recompose or not repaint or not self.is_mounted or self._built is None:
            if not regions:
                self._built = None  # a full refresh: build everything again at the next frame
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        if not self._pending:  # several attributes set at once: one rebuild
            self._pending = True
            self.call_later(self._repaint_changed)
        return self

    def _repaint_changed(self) -> None:
        self._pending = False
        width, base = self.content_size.width, self.rich_style
        if self._built != (width, base):
            self._built = None
            super().refresh()
            return
        old = self._strips
        self._strips = new = [finish(line, width, base) for line in self.build(width)]
        if len(old) != len(new):
            super().refresh()
            return
        for y, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                super().refresh(Region(0, y, width, 1))

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.content_size.width
        base = self.rich_style  # once per frame: it walks the DOM
        if self._built != (width, base):
            self._strips = [finish(line, width, base) for line in self.build(width)]
            self._built = (width, base)
            self._blank = Strip.blank(width, base)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if 0 <= y < len(self._strips) else self._blank


def wrap(parts: Iterable[tuple[str, Style]], width: int) -> list[Cell]:
    """Styled words wrapped into lines of ``width`` (for a status line that may not fit)."""
    lines: list[list[Segment]] = [[]]
    used = 0
    for text, style in parts:
        for word in _words(text):
            n = cell_len(word)
            if used and used + n > width and word.strip():
                lines.append([])
                used = 0
                word = word.lstrip()
                n = cell_len(word)
            while n > width > 0:  # a word longer than the line
                lines[-1].append(Segment(word[:width], style))
                lines.append([])
                word, n = word[width:], n - width
            if word:
                lines[-1].append(Segment(word, style))
                used += n
    return lines


def _words(text: str) -> list[str]:
    """``text`` split before each space, keeping the spaces (so that joining gives it back)."""
    out: list[str] = []
    start = 0
    for i in range(1, len(text)):
        if text[i] == " " and text[i - 1] != " ":
            out.append(text[start:i])
            start = i
    out.append(text[start:])
    return out
