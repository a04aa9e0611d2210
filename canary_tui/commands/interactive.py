"""Opening the control room on a controller (the Textual app lives in ``canary_tui.tui``).

Textual is imported inside ``run_tui`` only, so ``canary-tui --help`` and headless runs never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.fixture import Fixture

STOP_WAIT = 10.0  # seconds to wait for the controller to record the end of the run after quitting


def run_tui(
    controller: Controller,
    *,
    mode: str,
    actor: str,
    fixture: Fixture | None = None,
    on_exit: Callable[[], None] | None = None,
    headless: bool = False,
) -> int:
    """Run ``controller`` behind the control room until the operator quits; return the exit code
    of the outcome (3 when quit before one). ``mode``: demo, replay, run, dry-run (watch later).

    Quitting stops the controller (the run ends Incomplete, never rolled back); ``on_exit`` runs
    once the controller has written its last event, so the audit log gets the ``result`` line."""
    from ..core.rule import EXIT_CODES, Outcome
    from ..tui.app import make_app

    app = make_app(controller, mode=mode, actor=actor, fixture=fixture, owns_process=True)
    try:
        app.run(headless=headless)
    finally:
        controller.stop("stopped by the operator (quit)")
        if app.started.is_set():  # (quit before the first frame: the controller never ran)
            app.ended.wait(STOP_WAIT)
        if on_exit is not None:
            on_exit()
    if app.error is not None:
        raise app.error
    state = controller.state
    outcome = state.outcome if state is not None and state.outcome is not None else Outcome.INCOMPLETE
    return EXIT_CODES[outcome]
