"""Toasts leave no trace: the screen is repainted once an expired toast is gone (a mixin of ``ControlRoom``).

Textual (8.2) repaints what an expired toast covered only when its compositor map still holds the
toast at the next layout, and any look at a widget's region in between (every frame takes one)
rebuilds that map without it: the toast's cells stayed on the terminal (over the gate table at
80x24) until something else repainted them. ``tests/tui/test_glance_details.py`` watches for it in
a real terminal (tmux).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.notifications import Notify

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[int]
else:
    _Base = object


class ToastRepaint(_Base):
    """Handles the app's ``Notify`` messages (after Textual's own handler shows the toast)."""

    def on_notify(self, event: Notify) -> None:
        self._repaint_when_gone(event.notification.identity, event.notification.timeout + 0.2)

    def _repaint_when_gone(self, identity: str, delay: float) -> None:
        def check() -> None:
            if not self.is_running:
                return
            if self.screen.query(f"#--textual-toast-{identity}"):  # Textual's id for the toast's holder
                self._repaint_when_gone(identity, 0.2)  # not removed yet (a busy machine): look again
            else:
                self.screen.refresh()

        self.set_timer(delay, check)
