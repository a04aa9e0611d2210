"""Layout checks shared by the control room's and watch mode's tests: every drawn cell lies in a panel
(or a bar: header, footer, banners), no glyph sits on a panel's border, and what is visible."""

from __future__ import annotations

from typing import Any

# the main screen's panels and bars (watch mode adds its bar, banner and board)
ROOM_PANELS = (
    "RoomHeader, AlertBanner, WatchBar, StaleBanner, WallBoard, GatePanel, PhaseProgress, GateSignals,"
    " EventLog, PodPanel, FoldSign, Footer"
)
CHART_PANELS = "#charts-title, ChartBox, Footer"
VERTICAL = {"round": "│", "solid": "│", "heavy": "┃", "double": "║"}


def screen_lines(app: Any) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def shown_region(app: Any, widget: Any) -> Any:
    """The part of ``widget`` on the screen (its region clipped by the containers that scroll it)."""
    geometry = app.screen._compositor.find_widget(widget)
    return geometry.region.intersection(geometry.clip)


def visible(app: Any, widget: Any) -> bool:
    """The widget's whole region is on the screen (not scrolled out of its container's view)."""
    region = widget.region
    return bool(region.height) and shown_region(app, widget) == region


def assert_no_cell_outside_a_panel(app: Any, panels: str = ROOM_PANELS, scroller: str | None = "#room") -> None:
    """Every drawn cell lies in one of ``panels`` (what of them is on screen); the only exception is
    the scrollbar of ``scroller`` (the column right of the panels), when it shows. And no glyph sits on
    a bordered panel's left or right border."""
    app_screen = app.screen
    lines = screen_lines(app)
    widgets = [w for w in app_screen.query(panels) if w.display and w.region]
    shown = [shown_region(app, w) for w in widgets]
    bar = None
    if scroller is not None:
        host = app_screen.query_one(scroller)
        if host.show_vertical_scrollbar:
            bar = (host.region.right - 1, host.region.y, host.region.bottom)
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            if char == " " or any(r.contains(x, y) for r in shown):
                continue
            if bar is not None and x == bar[0] and bar[1] <= y < bar[2]:
                continue  # the room's scrollbar
            raise AssertionError(f"{char!r} at ({x}, {y}) outside every panel:\n{line}")
    covers = [r for w, r in zip(widgets, shown, strict=True) if type(w).__name__ == "FoldSign"]  # docked over
    for widget, region in zip(widgets, shown, strict=True):
        kind = widget.styles.border_left[0]
        edge = VERTICAL.get(kind)
        if edge is None or not region:
            continue
        full = widget.region
        for y in range(max(region.y, full.y + 1), min(region.bottom, full.bottom - 1)):
            if any(c.contains(full.x, y) for c in covers):
                continue
            left, right = lines[y][full.x], lines[y][full.right - 1]
            assert left == edge and right == edge, f"a glyph on {widget!r}'s border at row {y}:\n{lines[y]}"
