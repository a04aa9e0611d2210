"""The screen as shown against the same screen drawn from scratch: the panels keep what they drew
and draw again only what changed, and what they keep must always be what a fresh drawing shows."""

from __future__ import annotations

from typing import Any

from rich.style import Style

from canary_tui.tui.grid import LinesWidget
from canary_tui.tui.widgets.pod_table import PodTable

Cells = list[list[tuple[str, Style | None]]]


def cells(app: Any) -> Cells:
    """Every cell of the screen: its character and its style."""
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in app.screen._compositor.render_strips()]


async def drawn_again(app: Any, pilot: Any) -> Cells:
    # every widget forgets all it drew, by the widgets' own means of dropping what they keep (not
    # through ``refresh``, whose handling is what is under test), then the whole screen is drawn
    for widget in app.screen.walk_children(with_self=True):
        if isinstance(widget, (LinesWidget, PodTable)):
            widget.forget_drawn()
        widget._styles_cache.clear()  # Textual's own lines
        widget.refresh(layout=True)
    await pilot.pause()
    return cells(app)


async def same_as_from_scratch(app: Any, pilot: Any, step: str) -> None:
    """Fail, naming ``step``, when a row of the screen differs from a fresh drawing of it."""
    await pilot.pause()
    shown = cells(app)
    again = await drawn_again(app, pilot)
    rows = [y for y, (a, b) in enumerate(zip(shown, again, strict=True)) if a != b]
    assert not rows, f"after {step}: rows {rows} differ from a fresh drawing:\n" + "\n".join(
        "".join(ch for ch, _ in shown[y]) for y in rows[:5]
    )
