"""The control room's keys: what each mode allows (``check_action``) and what each key does.

A mixin of ``ControlRoom`` (its ``BINDINGS`` stay on the app, where Textual looks for them). Keys
reach the controller only through ``Controller.submit`` and ``stop`` and the virtual clock's own
thread-safe controls: nothing here waits for the controller. Watch mode's follower has no ``submit``
at all: the mode table leaves no steering key, and there would be nothing to send it to.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import App

from ..core.rule import ActionKind, promote_refusal
from .look import Look
from .model import RoomModel
from .modes import STEERING, TIME, WRITING, Control, Mode
from .source import RoomSource, RunLog
from .widgets.header import RoomHeader
from .widgets.pods import PodPanel

if TYPE_CHECKING:
    from ..controller import Controller
    from .screens.charts import ChartsScreen

    _Base = App[int]
else:
    _Base = object

SPEED_LIMITS = (0.25, 1_000_000.0)

# action name -> the control it belongs to (hold/resume share ``h``, pause/play share space)
ACTION_CONTROLS: dict[str, Control] = {
    "promote": Control.PROMOTE,
    "hold": Control.HOLD,
    "resume": Control.HOLD,
    "rollback": Control.ROLLBACK,
    "pause": Control.PAUSE,
    "play": Control.PAUSE,
    "faster": Control.FASTER,
    "slower": Control.SLOWER,
    "step": Control.STEP,
    "charts": Control.CHARTS,
    "filter": Control.FILTER,
    "sort": Control.SORT,
    "report": Control.REPORT,
    "help": Control.HELP,
    "command_palette": Control.PALETTE,
    "quit": Control.QUIT,
}


class RoomKeys(_Base):
    """Key handling for ``ControlRoom``; these attributes are the app's."""

    controller: RoomSource
    room_mode: Mode
    watching: bool
    run_log: RunLog | None
    model: RoomModel
    actor: str
    look: Look
    ended: threading.Event
    _charts: ChartsScreen | None
    _keys_state: tuple[bool, ...]

    def _refresh_keys(self) -> None:
        """Re-check the keys (footer, palette) only when what ``check_action`` looks at changed:
        redrawing the footer on every snapshot would cost a layout each time."""
        state = self.model.state
        key = (
            state is None,
            state is not None and state.held,
            self.done,
            bool(getattr(self.controller.clock, "paused", False)),
        )
        if key != self._keys_state:
            self._keys_state = key
            self.refresh_bindings()

    def _clock_note(self) -> str:
        clock = self.controller.clock
        if not self.room_mode.allows(Control.PAUSE) or not _pacer(clock):
            return ""
        if self.done:
            return ""
        speed = clock.speed  # type: ignore[attr-defined]
        rate = "max" if speed is None else f"{speed:g}x"
        achieved = getattr(clock, "achieved", None)  # what the clock actually reached lately (clock.py)
        if speed is not None and achieved is not None and achieved < 0.9 * speed:
            rate += f" (achieved {achieved:.3g}x)"
        return f"⏸ paused ({rate})" if clock.paused else f"▶ {rate}"  # type: ignore[attr-defined]

    @property
    def done(self) -> bool:
        state = self.model.state
        return (state is not None and state.done) or self.ended.is_set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        control = ACTION_CONTROLS.get(action)
        if control is None:
            return True
        if not self.room_mode.allows(control):
            return False
        if control in TIME and not _pacer(self.controller.clock):
            return False
        state = self.model.state
        if action in ("hold", "resume"):
            held = state is not None and state.held
            if (action == "resume") != held:
                return False
        if action in ("pause", "play"):
            paused = bool(getattr(self.controller.clock, "paused", False))
            if (action == "play") != paused:
                return False
        if control in WRITING:
            return True if self.run_log is not None else None
        if control in STEERING | TIME and self.done:
            return False  # the release is decided: the footer no longer offers to steer or pace it
        if control in STEERING and state is None:
            return None
        return True

    def action_promote(self) -> None:
        plan, state = self.model.plan, self.model.state
        assert state is not None
        here = plan.phases[state.phase_index]
        if state.phase_index + 1 < len(plan.phases):
            nxt = plan.phases[state.phase_index + 1]
            title = f"Promote to {nxt.name} ({nxt.weight}%)?"
            body = (
                f"{plan.name} leaves {here.name} ({here.weight}%) now and enters {nxt.name}: "
                f"canary {nxt.weight}% / stable {100 - nxt.weight}%."
            )
        else:
            title = f"Finish the release from {here.name}?"
            body = f"{plan.name} ends Promoted: canary {plan.canary.version} takes 100% of traffic."
        body += f"\nRecorded in the audit log as {self.actor}."
        self._confirm(title, body, "Promote", self._steer_if(ActionKind.PROMOTE))

    def action_hold(self) -> None:
        self.steer(ActionKind.HOLD)

    def action_resume(self) -> None:
        self.steer(ActionKind.RESUME)

    def action_rollback(self) -> None:
        plan, state = self.model.plan, self.model.state
        assert state is not None
        here = plan.phases[state.phase_index]
        body = (
            f"All traffic goes back to stable {plan.stable.version} now (canary {here.weight}% → 0%) "
            f"and the release ends RolledBack in {here.name}.\nRecorded in the audit log as {self.actor}."
        )
        self._confirm(f"Roll back {plan.name}?", body, "Roll back", self._steer_if(ActionKind.ROLLBACK), danger=True)

    def _confirm(self, title: str, body: str, label: str, then: Any, danger: bool = False) -> None:
        from .screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(title, body, label, danger=danger), then)

    def _steer_if(self, kind: ActionKind):  # type: ignore[no-untyped-def]
        def answer(yes: bool | None) -> None:
            if yes:
                self.steer(kind)

        return answer

    def steer(self, kind: ActionKind) -> None:
        """Hand an operator action to the controller; it applies and logs it with the actor."""
        if self.done:
            return
        cast("Controller", self.controller).submit(kind, self.actor)
        state = self.model.state
        if kind is ActionKind.PROMOTE and state is not None and promote_refusal(state) is not None:
            return  # the controller refuses it (and logs it): its "refused" toast says why, no "sent" first
        self.notify(f"{kind.value} sent as {self.actor}", markup=False, timeout=3)

    def action_pause(self) -> None:
        self.controller.clock.set_paused(True)  # type: ignore[attr-defined]
        self._after_clock_change()

    def action_play(self) -> None:
        self.controller.clock.set_paused(False)  # type: ignore[attr-defined]
        self._after_clock_change()

    def action_faster(self) -> None:
        self._set_speed(2.0)

    def action_slower(self) -> None:
        self._set_speed(0.5)

    def _set_speed(self, factor: float) -> None:
        clock = self.controller.clock
        speed = clock.speed or SPEED_LIMITS[1]  # type: ignore[attr-defined]
        clock.set_speed(min(SPEED_LIMITS[1], max(SPEED_LIMITS[0], speed * factor)))  # type: ignore[attr-defined]
        self._after_clock_change()

    def action_step(self) -> None:
        self.controller.clock.step()  # type: ignore[attr-defined]
        cast("Controller", self.controller).poke()
        self._after_clock_change()

    def _after_clock_change(self) -> None:
        self.query_one(RoomHeader).clock_note = self._clock_note()
        self._refresh_keys()

    def action_charts(self) -> None:
        from .screens.charts import ChartsScreen

        if self._charts is not None and self.screen is self._charts:
            self.pop_screen()
            return
        start = self.model.state.started_at if self.model.state else self.controller.clock.now()
        self._charts = ChartsScreen(self.model, self.look, start)
        self.push_screen(self._charts)

    def _to_main(self) -> None:
        while len(self.screen_stack) > 1 and not self.screen.is_modal:
            self.pop_screen()

    def action_filter(self) -> None:
        self._to_main()
        self.query_one(PodPanel).open_filter()

    def action_sort(self) -> None:
        self._to_main()
        self.query_one(PodPanel).cycle_sort()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        notes = []
        if self.watching:
            notes.append(
                "This screen is read-only: it follows the driver's state and sends nothing back. No key here "
                "can change the release or write a file; the keys marked no do not exist in this mode. To act, "
                "use the driver's keys or `canary-tui hold|resume|promote|rollback PLAN`; for a report, "
                "`canary-tui report` on the driver's audit log or state file."
            )
        if self.room_mode.confirm_quit:
            notes.append("q asks first: quitting stops the controller but never rolls back; traffic stays as it is.")
        notes.append("Tab moves between panels; click a pod column header to sort by it; ctrl+p lists every command.")
        self.push_screen(HelpScreen(self.room_mode, self.look, notes))

    def action_report(self) -> None:
        """Write this run's report (HTML, from its audit log so far) in a thread; say where when done."""
        log = self.run_log
        if log is None:
            return
        out = log.report_path()
        self.notify(f"writing the report to {out}…", markup=False, title="Report", timeout=4)
        self._write_report(log, out)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report", name="report")
    def _write_report(self, log: RunLog, out: Path) -> None:
        from ..errors import InputError
        from ..report import write_report

        try:
            written = write_report(log.path, out, "html", log.run)
        except InputError as e:
            text = "; ".join(str(p) for p in e.problems)
            self.call_from_thread(self._said, f"report not written: {text}", "error")
        except OSError as e:
            self.call_from_thread(self._said, f"report not written: {out}: {e.strerror or e}", "error")
        else:
            self.call_from_thread(self._said, f"report written to {written}", "information")

    def _said(self, text: str, severity: str) -> None:
        self.notify(text, markup=False, title="Report", severity=severity, timeout=12)  # type: ignore[arg-type]

    async def action_quit(self) -> None:
        if self.room_mode.confirm_quit and not self.done:
            state = self.model.state
            weight = state.canary_weight(self.model.plan) if state is not None else 0
            body = (
                f"Quitting does not roll back: traffic stays at canary {weight}% / stable {100 - weight}%. "
                "The controller stops here and the run ends Incomplete."
            )
            self._confirm("Quit the control room?", body, "Quit", self._quit_if)
            return
        self.leave()

    def _quit_if(self, yes: bool | None) -> None:
        if yes:
            self.leave()

    def leave(self) -> None:
        """Stop the controller (never a rollback) and close the app."""
        self.controller.stop("stopped by the operator (quit)")
        self.exit(0)


def _pacer(clock: object) -> bool:
    """A clock the operator can pause, speed up and step (the virtual clock)."""
    return all(hasattr(clock, name) for name in ("set_paused", "set_speed", "step", "paused", "speed"))
