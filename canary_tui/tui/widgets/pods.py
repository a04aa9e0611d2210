"""The pod panel: the pod table with its filter field (``/``) and sort order (``s`` or a header click)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive

from ...core.pods import Pod
from ...sanitize import clean
from ..look import Look
from ..model import POD_COLUMNS, select_pods
from .pod_table import PodTable

if TYPE_CHECKING:
    from textual.widgets import Input


class PodPanel(Vertical):
    """The app sets ``pods`` and ``look``; the panel keeps its own filter and sort order, which only
    change what it shows."""

    DEFAULT_CSS = """
    PodPanel {
        border: round $primary 40%;
        border-title-color: $foreground;
        border-title-style: bold;
        border-subtitle-color: $foreground;
        height: auto;
        padding: 0 1;
    }
    PodPanel > Input, PodPanel > Input:focus {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    PodPanel.-filtering > Input, PodPanel.-filtering > Input:focus {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close_filter", "Clear filter")]

    # the panel draws only its border: a change redraws the table (in _rebuild), not the panel
    pods: reactive[Sequence[Pod] | None] = reactive(None, always_update=True, repaint=False)
    look: reactive[Look | None] = reactive(None, repaint=False)
    filter_text: reactive[str] = reactive("", repaint=False)
    sort_column: reactive[str] = reactive("name", repaint=False)
    sort_reverse: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, canary: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.canary = canary
        self.shown: list[Pod] = []
        self.focused_name = ""
        self._titles = ("", "")

    def compose(self) -> ComposeResult:
        yield PodTable(self.canary, id="pod-table")

    def on_mount(self) -> None:
        self.border_title = "Pods"

    @property
    def table(self) -> PodTable:
        return self.query_one(PodTable)

    # ------------------------------------------------------------------ operator

    def _field(self) -> Input | None:
        from textual.widgets import Input

        try:
            return self.query_one(Input)
        except NoMatches:
            return None

    def open_filter(self) -> None:
        """Show the filter field (made on first use: most sessions never filter) and focus it."""
        from textual.widgets import Input

        self.add_class("-filtering")
        field = self._field()
        if field is None:
            field = Input(placeholder="filter pods: part of a name, version or phase", id="pod-filter")
            field.cursor_blink = False
            self.mount(field, before=self.table)
        self.call_after_refresh(field.focus)
        self.call_after_refresh(self.scroll_visible, animate=False)  # below the fold on a small screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_filter":  # offered (in the footer) only while there is a filter to clear
            return self.has_class("-filtering") or bool(self.filter_text)
        return True

    def action_close_filter(self) -> None:
        field = self._field()
        if field is not None:
            field.value = ""
        self.filter_text = ""
        self.remove_class("-filtering")
        self.table.focus()

    def cycle_sort(self) -> None:
        i = POD_COLUMNS.index(self.sort_column)
        self.sort_reverse = False
        self.sort_column = POD_COLUMNS[(i + 1) % len(POD_COLUMNS)]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = clean(event.value, 100)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.remove_class("-filtering")
        self.table.focus()

    def on_pod_table_highlighted(self, event: PodTable.Highlighted) -> None:
        """The full name of the pod under the cursor, in the bottom line (the table may shorten it)."""
        event.stop()
        if event.name != self.focused_name:
            self.focused_name = event.name
            self._rebuild()

    def on_pod_table_header_clicked(self, event: PodTable.HeaderClicked) -> None:
        event.stop()
        if event.column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_reverse = False
            self.sort_column = event.column

    # ------------------------------------------------------------------ drawing

    def watch_pods(self) -> None:
        self._rebuild()

    def watch_filter_text(self) -> None:
        self._rebuild()

    def watch_sort_column(self) -> None:
        self._rebuild()

    def watch_sort_reverse(self) -> None:
        self._rebuild()

    def watch_look(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        look = self.look
        if look is None or not self.is_mounted:
            return
        self.shown = select_pods(self.pods, self.filter_text, self.sort_column, self.sort_reverse)
        self.table.show(self.shown, look, self.sort_column, self.sort_reverse)
        title = pod_summary(self.pods or (), self.canary)
        parts = []
        if self.pods is None:
            parts.append("no pod snapshot yet")
        if self.focused_name:
            parts.append(f"▸ {self.focused_name}")
        if self.filter_text:
            parts.append(f"filter “{self.filter_text}”: {len(self.shown)} shown")
        subtitle = " · ".join(parts)
        if (title, subtitle) != self._titles:  # a new title repaints the whole panel: only when it changed
            self._titles = (title, subtitle)
            self.border_title = title
            self.border_subtitle = Text(subtitle)  # typed text: never markup


def pod_summary(pods: Sequence[Pod], canary: str) -> str:
    """The panel's title, a summary readable when only it is on screen: ``Pods 10 · canary 3 (3
    ready, 0 restarts) · stable 7 (7 ready)``."""
    if not pods:
        return "Pods"
    mine = [p for p in pods if p.version == canary]
    rest = [p for p in pods if p.version != canary]
    ready = sum(1 for p in mine if p.ready)
    restarts = sum(p.restarts for p in mine)
    text = f"Pods {len(pods)} · canary {len(mine)} ({ready} ready, {restarts} restart{'s' if restarts != 1 else ''})"
    return text + f" · stable {len(rest)} ({sum(1 for p in rest if p.ready)} ready)"
