"""The control room app: one factory (``make_app``) for the CLI and the tests.

The controller runs in a thread worker. Its snapshots reach the UI only through the mailbox and a
``SnapshotReady`` message (a flood collapses into one update); keys reach the controller only
through ``Controller.submit``, ``stop`` and the clock's own thread-safe controls. The UI never
waits for the controller.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Footer

from ..core.rule import Outcome
from ..resources import styles_dir
from ..sanitize import clean
from .commands import RoomCommands
from .keys import RoomKeys
from .look import Look, look_for
from .mailbox import Mailbox
from .model import Changes, RoomModel
from .modes import Mode, get_mode
from .widgets.events import EventLog
from .widgets.gates import GatePanel
from .widgets.header import RoomHeader
from .widgets.phases import PhaseProgress
from .widgets.pods import PodPanel
from .widgets.signals import GateSignals

if TYPE_CHECKING:
    from ..controller import Controller, Snapshot
    from ..core.fixture import Fixture
    from .screens.charts import ChartsScreen

STYLES = ("control_room.tcss",)
WIDE = 150  # columns from which the panels sit side by side (styles/control_room.tcss)


class SnapshotReady(Message):
    """The mailbox holds news from the controller. Pending ones are replaced by the newest."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class ControllerEnded(Message):
    """The controller's ``run`` returned (or raised ``error``)."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__()
        self.error = error


class ControlRoom(RoomKeys, App[int]):
    """Watch and steer one controller. Built by ``make_app``."""

    TITLE = "canary-tui"
    CSS_PATH: ClassVar = [str(styles_dir() / name) for name in STYLES]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]  # noqa: RUF012 - Textual's own type
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
        Binding("space", "pause", "Pause", key_display="␣", id="pause"),
        Binding("space", "play", "Play", key_display="␣", id="play"),
        Binding("plus,equals_sign", "faster", "Speed", key_display="+/-", id="faster"),
        Binding("minus", "slower", "Slower", show=False, id="slower"),
        Binding("n", "step", "Step", id="step"),
        Binding("g", "charts", "Charts", id="charts"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("s", "sort", "Sort pods", show=False, id="sort"),
        Binding("colon", "command_palette", "Commands", show=False, id="palette"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="palette-ctrl"),
    ]

    def __init__(
        self,
        controller: Controller,
        *,
        mode: str,
        actor: str,
        fixture: Fixture | None = None,
        tick: float | None = 0.25,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.room_mode: Mode = get_mode(mode)
        self.actor = clean(actor, 64) or "unknown"
        self.fixture = fixture
        self.tick_seconds = tick
        self.model = RoomModel(controller.plan)
        self.mailbox = Mailbox()
        self.started = threading.Event()  # the controller's thread is running (or ran)
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self.look: Look = look_for({}, dark=True)
        self.title = f"canary-tui · {controller.plan.name}"
        self._charts: ChartsScreen | None = None
        self._keys_state: tuple[bool, ...] = ()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        plan = self.controller.plan
        # the breakpoint class now, not after the first resize: saves restyling the whole screen
        # once more before the first frame
        wide = self.size.width >= WIDE
        self.screen.set_class(wide, "-wide").set_class(not wide, "-narrow")
        yield RoomHeader(plan, self.room_mode.badge, id="header")
        with VerticalScroll(id="room"):
            with Horizontal(id="row-state", classes="row"):
                yield PhaseProgress(id="phases")
                yield GatePanel(plan, id="gates")
            with Horizontal(id="row-live", classes="row"):
                yield GateSignals(plan, self.model.history, id="signals")
                yield EventLog(id="events")
            yield PodPanel(plan.canary.version, id="pods")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self._restyle()
        self.controller.listeners.append(self._on_controller_change)
        self._show_time()
        if self.tick_seconds:
            self.set_interval(self.tick_seconds, self._show_time)
        # the first frame goes out before the controller's thread competes for the interpreter
        self.call_after_refresh(self._drive)

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
        with self.batch_update():  # one screen update for all the attributes set below
            self._show(self.model.apply(snapshot, events, dropped))
        return True

    def _show(self, changes: Changes) -> None:
        model = self.model
        state = model.state
        assert state is not None
        self.query_one(PhaseProgress).weight = state.canary_weight(model.plan)
        gates = self.query_one(GatePanel)
        gates.rows = model.gate_rows()
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
        self._show_time()
        self._refresh_keys()
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

    def _restyle(self) -> None:
        self.look = look_for(self.theme_variables, dark=self.current_theme.dark)
        for widget in (RoomHeader, PhaseProgress, GatePanel, GateSignals, PodPanel):
            self.query_one(widget).look = self.look  # type: ignore[attr-defined]
        self.query_one(EventLog).look = self.look
        if self._charts is not None and self._charts.is_attached:
            self._charts.redraw(self.look)


def make_app(
    controller: Controller,
    *,
    mode: str,
    actor: str,
    fixture: Fixture | None = None,
    tick: float | None = 0.25,
) -> ControlRoom:
    """The control room over ``controller``: what the CLI runs and what the tests drive."""
    return ControlRoom(controller, mode=mode, actor=actor, fixture=fixture, tick=tick)
