"""Watch mode's lines under the header: who drives, since when, how fresh the state is, where it is read
from; and the stale banner, shown only while the driver's state is stale."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive

from ...sanitize import clean
from ...watch.info import WatchInfo, ago, freshness
from ..grid import Cell, LinesWidget, cell, width_of, wrap
from ..look import Look, clock


def _since(at: datetime | None) -> str:
    return clock(at.astimezone(UTC), full=True) if at is not None else "?"


class WatchBar(LinesWidget):
    """One line. The app sets ``info`` (the follower's), ``now_wall`` (this machine's time) and ``look``."""

    DEFAULT_CSS = """
    WatchBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    info: reactive[WatchInfo | None] = reactive(None)
    now_wall: reactive[float] = reactive(0.0)
    look: reactive[Look | None] = reactive(None)

    def build(self, width: int) -> list[Cell]:
        look, info = self.look, self.info
        if look is None or info is None:
            return []
        if info.waiting and not info.driver:
            return [cell((" waiting: ", look.muted), (clean(info.waiting, 300), look.warn + Style(bold=True)))]
        fresh = freshness(info, self.now_wall)
        # (priority, cell): the lowest priorities go first when the line is too narrow
        parts: list[tuple[int, Cell]] = [
            (9, cell((" driven by ", look.muted), (clean(info.driver or "unknown", 120), look.text + Style(bold=True))))
        ]
        if info.mode and info.mode != "run":
            parts.append((3, cell((f" ({clean(info.mode, 20)})", look.muted))))
        parts.append((6, cell((" · since ", look.muted), (_since(info.since), look.text))))
        if fresh.age is not None:
            tone = look.bad if fresh.stale else (look.warn if fresh.age > fresh.limit * 2 / 3 else look.good)
            if info.done:
                tone = look.text
            what = "final state" if info.done else "state"
            parts.append(
                (8, cell((f" · {what} written ", look.muted), (f"{ago(fresh.age)} ago", tone + Style(bold=True))))
            )
        if info.problem:
            parts.append((7, cell((" · ⚠ ", look.warn), (clean(info.problem, 300), look.warn))))
        parts.append((2, cell((" · ", look.muted), (info.source, look.muted))))
        parts.append((1, cell((f" · every {ago(info.refresh)}", look.muted))))
        while len(parts) > 1 and sum(width_of(c) for _, c in parts) > width:
            parts.remove(min(parts, key=lambda p: p[0]))
        line: Cell = []
        for _, c in parts:
            line += c
        return [line]


class StaleBanner(LinesWidget):
    """Shown while ``text`` (why the state is stale) is not empty; hidden otherwise."""

    DEFAULT_CSS = """
    StaleBanner {
        height: auto;
        display: none;
        background: $error;
        color: $text;
        padding: 0 1;
    }
    StaleBanner.-shown {
        display: block;
    }
    """

    text: reactive[str] = reactive("")
    written: reactive[datetime | None] = reactive(None)
    look: reactive[Look | None] = reactive(None)

    def watch_text(self, old: str, new: str) -> None:
        self.set_class(bool(new), "-shown")
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width)) if self.text else 0

    def build(self, width: int) -> list[Cell]:
        return self._lines(width)

    def _lines(self, width: int) -> list[Cell]:
        if not self.text:
            return []
        bold = Style(bold=True)
        last = f" What you see is the last state it wrote ({clock(self.written)} its time)." if self.written else ""
        parts = [("⚠ STALE: ", bold), (clean(self.text, 400) + ".", Style()), (last, Style(italic=True))]
        return wrap(parts, max(10, width))
