"""Lines of styled cells, built as ``Strip``s once when the data changes: what the panels draw.

Rich's ``Table`` measures and wraps every cell through the console on every render (9 ms for the
gate table here), and even a ``Text`` goes through Rich's renderer on each frame. These panels
need one line per row, so cells are lists of ``Segment``s, padded or cut with an ellipsis to
widths counted once; the widget keeps the strips until its data or its width changes. The text
in a cell is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
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


def widths(measured: Sequence[Sequence[int]], columns: Sequence[Column], total: int, gap: int) -> list[int]:
    """Column widths in ``total`` cells, from each cell's width (``measured``, row by row)."""
    out = []
    for i, col in enumerate(columns):
        if col.width is not None:
            out.append(col.width)
        else:
            widest = max((row[i] for row in measured if i < len(row)), default=0)
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
    """One line per row, each cell padded or cut to its column. Gaps and padding join the segment
    before them where that looks the same (``joined``): every later step is paid per segment.
    Each cell is measured once."""
    measured = [[width_of(c) for c in row] for row in rows]
    ws = widths(measured, columns, total, gap)
    space = Segment(" " * gap)
    length = sum(ws) + gap * (len(columns) - 1)
    tail = [Segment(" " * (total - length))] if length < total else []
    out = []
    for row, row_widths in zip(rows, measured, strict=True):
        segments: list[Segment] = []
        for i, (c, n, w, col) in enumerate(zip(row, row_widths, ws, columns, strict=False)):
            if i:
                segments.append(space)
            if n == w:
                segments.extend(c)
            elif n < w:
                pad = Segment(" " * (w - n))
                if col.right:
                    segments.append(pad)
                    segments.extend(c)
                else:
                    segments.extend(c)
                    segments.append(pad)
            else:
                segments.extend(fit(c, w, col.right))
        out.append(joined(segments + tail))  # every line exactly ``total`` wide (when it fits)
    return out


_PLAIN: dict[Style, bool] = {}


def _blank_safe(style: Style | None) -> bool:
    """Whether spaces drawn in ``style`` look like unstyled ones: no background of its own and
    nothing drawn across a blank (underline, strike, reverse and the like)."""
    if style is None:
        return True
    safe = _PLAIN.get(style)
    if safe is None:
        if len(_PLAIN) > 4096:
            _PLAIN.clear()
        safe = _PLAIN[style] = (
            style.bgcolor is None
            and style.link is None
            and not (style.underline or style.underline2 or style.strike or style.reverse or style.overline)
            and not (style.blink or style.blink2 or style.frame or style.encircle)
        )
    return safe


def joined(line: Cell) -> Cell:
    """``line`` with neighbours in the same style joined, and unstyled blanks joined to the segment
    before them when its style draws blanks plainly: the same cells on screen, fewer segments."""
    out: list[Segment] = []
    text: str | None = None
    style: Style | None = None
    for t, st, _control in line:
        if text is not None and (
            st is style or (st is None and _blank_safe(style) and not t.strip(" ")) or st == style
        ):
            text += t
            continue
        if text is not None:
            out.append(Segment(text, style))
        text, style = t, st
    if text is not None:
        out.append(Segment(text, style))
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
    screen is not redrawn, and a frame copies finished strips.

    The compositor asks every widget under a frame's changed area for its lines, most of them
    unchanged. Textual's styling step (border, padding, background, filters) costs more per call
    than the lines it returns from its cache, so the styled lines are kept here too, and only the
    lines a refresh touched go through it again."""

    def __init__(self, *, id: str | None = None) -> None:
        self._built_lines: list[Cell] = []
        self._strips: list[Strip] = []
        self._built: tuple[int, Style] | None = None
        self._pending = False
        self._held = 0
        self._blank = Strip.blank(0)
        self._styled: dict[int, Strip] = {}  # y (in the widget, border included) -> styled line
        self._styled_size: Size | None = None
        self._top = 0  # where the content starts, under the border and padding
        super().__init__(id=id)

    def build(self, width: int) -> list[Cell]:
        raise NotImplementedError

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if regions or layout or recompose or not repaint or not self.is_mounted or self._built is None:
            if not regions:
                self._built = None  # a full refresh: build everything again at the next frame
            self._restyle(regions)
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        if not self._pending:  # several attributes set at once: one rebuild
            self._pending = True
            if not self._held:
                self.call_later(self._repaint_changed)
        return self

    def _repaint_changed(self) -> None:
        if not self._pending:
            return
        self._pending = False
        # a plain ``refresh`` is also how Textual says the style changed (a theme, a class): then
        # the widget's own style differs from the one the lines were finished with
        width, base = self.content_size.width, self.rich_style
        if self._built != (width, base):
            self._built = None
            self._restyle(())
            super().refresh()
            return
        old, new = self._built_lines, self.build(width)
        self._built_lines = new
        if len(old) != len(new):
            self._strips = [finish(line, width, base) for line in new]
            self._restyle(())
            super().refresh()
            return
        # lines are compared as built (before the widget's style is added): only those that differ
        # are finished and repainted
        strips = self._strips
        changed = []
        for y, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                strips[y] = finish(b, width, base)
                changed.append(Region(0, y, width, 1))
        if changed:
            self._restyle(changed)
            super().refresh(*changed)

    def forget_drawn(self) -> None:
        """Drop every line built and styled so far: the next frame draws from the data alone."""
        self._built = None
        self._restyle(())
        self._styles_cache.clear()

    def _restyle(self, regions: Sequence[Region]) -> None:
        """Forget the styled lines of ``regions`` (content coordinates, as ``refresh`` takes them),
        or all of them."""
        if not regions:
            self._styled.clear()
            self._styled_size = None  # and measure the border and padding again at the next frame
            return
        top = self._top
        for region in regions:
            for y in region.line_range:
                self._styled.pop(y + top, None)

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.content_size.width
        base = self.rich_style  # once per frame: it walks the DOM
        if self._built != (width, base):
            self._built_lines = self.build(width)
            self._strips = [finish(line, width, base) for line in self._built_lines]
            self._built = (width, base)
            self._blank = Strip.blank(width, base)
            self._styled.clear()
        size = self.outer_size  # border and padding included, as the compositor asks
        if size != self._styled_size:
            self._styled_size = size
            self._top = self.content_offset.y
            self._styled.clear()
        styled = self._styled
        missing = [y for y in crop.line_range if y not in styled]
        if missing:
            first, last = missing[0], missing[-1]
            fresh = super().render_lines(Region(0, first, size.width, last - first + 1))
            for y, strip in zip(range(first, last + 1), fresh, strict=True):
                styled[y] = strip
        strips = [styled[y] for y in crop.line_range]
        if crop.column_span != (0, size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if 0 <= y < len(self._strips) else self._blank


@contextmanager
def held(widgets: Iterable[LinesWidget]) -> Iterator[None]:
    """Attributes set inside rebuild each widget once, on the way out, instead of through a message
    per widget: what the app does when it applies a snapshot."""
    widgets = list(widgets)
    for w in widgets:
        w._held += 1
    try:
        yield
    finally:
        for w in widgets:
            w._held -= 1
            if not w._held and w.is_mounted:
                w._repaint_changed()


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
