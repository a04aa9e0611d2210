"""The control room app: one factory (``make_app``) for the CLI and the tests.

The controller runs in a thread worker. Its snapshots reach the UI only through the mailbox and a
``SnapshotReady`` message (a flood collapses into one update); keys reach the controller only
through ``Controller.submit``, ``stop`` and the clock's own thread-safe controls. The UI never
waits for the controller. In watch mode the same app runs over a ``watch.Follower`` instead of a
controller (``source.RoomSource``): it posts snapshots the same way and takes no actions at all.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Footer

from ..core.rule import Outcome
from ..resources import styles_dir
from ..sanitize import clean
from .checkrows import check_rows
from .commands import PaletteRoom, RoomCommands
from .grid import LinesWidget, held
from .keys import RoomKeys
from .look import Look, look_for
from .mailbox import Mailbox
from .memory import settle_garbage_collector
from .model import Changes, RoomModel
from .modes import Mode, get_mode
from .source import RoomSource, RunLog, run_log_of
from .themes import EXTRA_THEMES, HIGH_CONTRAST
from .toasts import ToastRepaint
from .watchroom import WatchRoom
from .whatif import WhatIfRoom
from .widgets.alert import AlertBanner
from .widgets.events import EventLog
from .widgets.fold import FoldSign, Room
from .widgets.gates import GatePanel
from .widgets.header import RoomHeader
from .widgets.phases import PhaseProgress
from .widgets.pods import PodPanel
from .widgets.signals import GateSignals
from .widgets.whatif import WhatIfBar

if TYPE_CHECKING:
    from textual.screen import Screen

    from ..controller import Snapshot
    from ..core.fixture import Fixture
    from .screens.charts import ChartsScreen
    from .variant import WhatIf

STYLES = ("control_room.tcss",)
# The size classes (styles/control_room.tcss, docs/tui.md's wireframes): compact under STANDARD
# columns, standard under WIDE, wide from WIDE.
STANDARD = 100
WIDE = 180
BOARD_WIDTH, TALL = 150, 45  # watch mode adds the wall board from 150x45
PACE = Binding.Group("Pace")


class SnapshotReady(Message):
    """The mailbox holds news from the controller. Pending ones are replaced by the newest."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class ControllerEnded(Message):
    """The controller's ``run`` returned (or raised ``error``)."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__()
        self.error = error


class ControlRoom(RoomKeys, WhatIfRoom, WatchRoom, PaletteRoom, ToastRepaint, App[int]):
    """Watch and steer one controller. Built by ``make_app``."""

    TITLE = "canary-tui"
    CSS_PATH: ClassVar = [str(styles_dir() / name) for name in STYLES]
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (STANDARD, "-standard"), (WIDE, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]  # noqa: RUF012 - Textual's own type
    COMMANDS: ClassVar = App.COMMANDS | {RoomCommands}
    AUTO_FOCUS = "#room"
    # Help and quit first (as nano does), so that they stay visible in an 80-column footer.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("p", "promote", "Promote", id="promote"),
        Binding("h", "hold", "Hold", id="hold"),
        Binding("h", "resume", "Resume", id="resume"),
        Binding("r", "rollback", "Rollback", id="rollback"),
        # the clock's keys under one word in the footer ("␣ +/- n Pace"): it fits 80 columns with them
        Binding("space", "pause", "Pause", key_display="␣", id="pause", group=PACE),
        Binding("space", "play", "Play", key_display="␣", id="play", group=PACE),
        Binding("plus,equals_sign", "faster", "Speed", key_display="+/-", id="faster", group=PACE),
        Binding("minus", "slower", "Slower", show=False, id="slower"),
        Binding("n", "step", "Step", id="step", group=PACE),
        Binding("g", "charts", "Charts", id="charts"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("s", "sort", "Sort pods", show=False, id="sort"),
        Binding("w", "report", "Report", show=False, id="report"),
        Binding("colon", "command_palette", "Commands", show=False, id="palette"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="palette-ctrl"),
    ]

    def __init__(
        self,
        controller: RoomSource,
        *,
        mode: str,
        actor: str,
        fixture: Fixture | None = None,
        tick: float | None = 0.25,
        theme: str | None = None,
        run_log: RunLog | None = None,
        owns_process: bool = False,
        whatif: WhatIf | None = None,
    ) -> None:
        super().__init__()
        self.owns_process = owns_process
        for extra in EXTRA_THEMES:
            self.register_theme(extra)
        self.start_theme = theme
        self.controller = controller
        self.room_mode: Mode = get_mode(mode)
        self.watching = self.room_mode.name == "watch"
        self.run_log = None if self.watching else (run_log or run_log_of(controller))
        self.actor = clean(actor, 64) or "unknown"
        self.fixture = fixture
        self.tick_seconds = tick
        self.model = RoomModel(controller.plan)
        self.whatif = whatif  # replay --whatif: the variant shown beside the run (whatif.py)
        self.model.variant = whatif.timeline if whatif is not None else None
        self.mailbox = Mailbox()
        self.started = threading.Event()  # the controller's thread is running (or ran)
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self.look: Look = look_for({}, dark=True)
        self.title = f"canary-tui · {controller.plan.name}"
        self._charts: ChartsScreen | None = None
        self._keys_state: tuple[bool, ...] = ()
        self._panel_list: list[LinesWidget] | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        plan = self.controller.plan
        # the breakpoint classes now, not after the first resize: saves restyling the whole screen
        # once more before the first frame
        self._size_classes(self.screen, self.size.width, self.size.height)
        self.screen.set_class(self.watching, "-watch")
        yield RoomHeader(plan, self.room_mode.badge, id="header")
        if self.whatif is not None:
            yield WhatIfBar(plan, id="whatif")
        yield AlertBanner(id="alert")
        if self.watching:
            from .widgets.watchbar import StaleBanner, WatchBar

            yield WatchBar(id="watchbar")
            yield StaleBanner(id="stale")
        with Room(id="room"):
            yield FoldSign(id="fold")
            if self.watching:
                from .widgets.wall import WallBoard

                yield WallBoard(plan, id="wall")
            # a grid whose columns and spans the size class sets (styles/control_room.tcss)
            with Grid(id="row-state"):
                yield GatePanel(plan, id="gates")
                yield PhaseProgress(id="phases")
                yield GateSignals(plan, self.model.history, id="signals")
            with Horizontal(id="row-live", classes="row"):
                yield EventLog(id="events")
                yield PodPanel(plan.canary.version, id="pods")
        # under 100 columns the palette's key leaves the footer to the room's own keys (? lists it)
        yield Footer(compact=True, show_command_palette=self.size.width >= STANDARD)

    @staticmethod
    def _size_classes(screen: Screen[Any], width: int, height: int) -> None:
        """The size class (compact, standard, wide) and, in watch mode, the wall board's room."""
        size = "-compact" if width < STANDARD else "-standard" if width < WIDE else "-wide"
        for name in ("-compact", "-standard", "-wide"):
            screen.set_class(name == size, name)
        tall = height >= TALL
        screen.set_class(tall, "-tall").set_class(not tall, "-short")
        screen.set_class(width >= BOARD_WIDTH and tall, "-board")

    def on_resize(self, event: events.Resize) -> None:
        if self.screen_stack:
            self._size_classes(self.screen_stack[0], event.size.width, event.size.height)
            with contextlib.suppress(NoMatches):
                self.screen_stack[0].query_one(Footer).show_command_palette = event.size.width >= STANDARD
            self._variant_layout()

    def on_mount(self) -> None:
        if self.start_theme:
            self.theme = self.start_theme
        self.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self._restyle()
        self.controller.listeners.append(self._on_controller_change)
        self._show_time()
        if self.tick_seconds:
            self.set_interval(self.tick_seconds, self._tick)
        # the first frame goes out before the controller's thread competes for the interpreter
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        if self.owns_process:
            settle_garbage_collector()
        self._drive()
        self._start_variant()

    def on_unmount(self) -> None:
        # whatever ends the app, the controller must not keep waiting: quitting never rolls back
        self.controller.stop("stopped by the operator (quit)")

    # ------------------------------------------------------------------ the controller's side

    @work(thread=True, exclusive=True, exit_on_error=False, name="controller", group="controller")
    def _drive(self) -> None:
        error: BaseException | None = None
        self.started.set()
        try:
            self.controller.run()
        except BaseException as e:
            error = e
        finally:
            self.error = error
            self.ended.set()
            self._post(ControllerEnded(error))

    def _on_controller_change(self, snapshot: Snapshot) -> None:
        """Called on the controller's thread: keep the snapshot, wake the UI at most once."""
        if self.mailbox.put(snapshot):
            self._post(SnapshotReady())

    def _post(self, message: Message) -> None:
        with contextlib.suppress(RuntimeError):  # the event loop is closing: nobody is looking any more
            self.post_message(message)

    # ------------------------------------------------------------------ the UI's side

    def on_snapshot_ready(self, _message: SnapshotReady) -> None:
        with contextlib.suppress(NoMatches):  # the app is closing: its widgets are already gone
            self.apply_pending()

    def apply_pending(self) -> bool:
        """Apply what the mailbox holds to the screen. False when it held nothing."""
        taken = self.mailbox.take()
        if taken is None:
            return False
        snapshot, events, dropped = taken
        # one screen update for all the attributes set below, and each panel rebuilt once
        with self.batch_update(), held(self._panels()):
            self._show(self.model.apply(snapshot, events, dropped))
        return True

    def _panels(self) -> list[LinesWidget]:
        """The main screen's panels drawn from lines (all composed at the start)."""
        if not self._panel_list:
            self._panel_list = list(self.screen_stack[0].query(LinesWidget))
        return self._panel_list

    def _show(self, changes: Changes) -> None:
        model = self.model
        state = model.state
        assert state is not None
        self.query_one(PhaseProgress).weight = state.canary_weight(model.plan)
        gates = self.query_one(GatePanel)
        gates.rows = model.gate_rows()
        gates.checks = check_rows(model.plan, state)
        gates.health = model.health()
        gates.note = clean(model.pending_write, 300) if model.pending_write else ""
        if changes.evaluated:
            signals = self.query_one(GateSignals)
            signals.thresholds = model.plan.thresholds(state.phase_index)
            signals.version = model.applied
            signals.refresh()
            if self._charts is not None and self.screen is self._charts:
                self._charts.redraw()
        if changes.pods:
            self.query_one(PodPanel).pods = model.pods
        if changes.rows:
            self.query_one(EventLog).add(changes.rows)
        self.query_one(RoomHeader).outcome = state.outcome
        self.query_one(AlertBanner).text = model.alert or ""
        self._show_time()
        self._refresh_keys()
        for action, why in changes.refused:
            self.notify(f"{action} refused: {why}", markup=False, title="Refused", severity="warning", timeout=8)
        if changes.decided and state.outcome is not None:
            self.notify(
                model.waiting(None)[0],
                markup=False,
                title=state.outcome.value,
                severity="information" if state.outcome is Outcome.PROMOTED else "warning",
                timeout=8,
            )

    def on_controller_ended(self, message: ControllerEnded) -> None:
        if not self.screen_stack or not self.is_running:
            return
        with contextlib.suppress(NoMatches):  # the app is closing: its widgets are already gone
            self.apply_pending()
        if message.error is not None:
            text = f"the controller stopped with an error: {clean(repr(message.error), 300)}"
            self.query_one(GatePanel).note = text
            self.notify(text, markup=False, title="controller error", severity="error", timeout=30)
        self._refresh_keys()

    def _tick(self) -> None:
        with held(self._panels()):
            self._show_time()

    def _show_time(self) -> None:
        """Tick: the controller's clock, soak progress and what it waits for, without asking it anything
        but the time (a clock's ``now`` is thread-safe and never waits for an evaluation)."""
        model = self.model
        now = (
            self.controller.clock.now()
            if not self.ended.is_set()
            else (model.state.decided_at if model.state else None)
        )
        now = now or model.now
        try:
            header = self.query_one(RoomHeader)
            phases = self.query_one(PhaseProgress)
            gates = self.query_one(GatePanel)
        except NoMatches:  # a tick while the app is being torn down (quit): nothing to show it on
            return
        header.now = now
        header.clock_note = self._clock_note()
        phases.rows = model.phase_rows(now)
        phases.progress = model.progress(now)
        gates.waiting = model.waiting(now)
        self._show_variant(now)
        if self.watching:
            self._show_watch(phases.rows, gates.waiting)

    def _restyle(self) -> None:
        self.look = look_for(self.theme_variables, dark=self.current_theme.dark)
        if self.screen_stack:
            self.screen_stack[0].set_class(self.theme == HIGH_CONTRAST.name, "-high-contrast")
        for widget in (RoomHeader, PhaseProgress, GatePanel, GateSignals, PodPanel, AlertBanner):
            self.query_one(widget).look = self.look  # type: ignore[attr-defined]
        self.query_one(EventLog).look = self.look
        for extra in self.query("#watchbar, #stale, #wall, #whatif"):
            extra.look = self.look  # type: ignore[attr-defined]
        if self._charts is not None and self._charts.is_attached:
            self._charts.redraw(self.look)


def make_app(
    controller: RoomSource,
    *,
    mode: str,
    actor: str,
    fixture: Fixture | None = None,
    tick: float | None = 0.25,
    theme: str | None = None,
    run_log: RunLog | None = None,
    owns_process: bool = False,
    whatif: WhatIf | None = None,
) -> ControlRoom:
    """The control room over ``controller`` (or, in watch mode, a ``watch.Follower``): what the CLI
    runs and what the tests drive. ``theme``: a Textual theme name (or ``high-contrast``); ``run_log``:
    where this run logs, for the report key (default: the audit log among the controller's sinks).
    ``owns_process``: the app is the process's one job (the CLI), so it may tune the garbage
    collector for itself (``settle_garbage_collector``); tests that run many apps leave it off.
    ``whatif``: a variant of the replay to show beside it (``replay --whatif``, tui/variant.py)."""
    return ControlRoom(
        controller,
        mode=mode,
        actor=actor,
        fixture=fixture,
        tick=tick,
        theme=theme,
        run_log=run_log,
        owns_process=owns_process,
        whatif=whatif,
    )
