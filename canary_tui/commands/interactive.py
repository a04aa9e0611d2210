"""Opening the control room on a controller (the Textual app lives in ``canary_tui.tui``).

Textual is imported inside ``run_tui`` only, so ``canary-tui --help`` and headless runs never pay for it.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.fixture import Fixture
    from ..tui.variant import WhatIf

STOP_WAIT = 10.0  # seconds to wait for the controller to record the end of the run after quitting


def run_tui(
    controller: Controller,
    *,
    mode: str,
    actor: str,
    fixture: Fixture | None = None,
    on_exit: Callable[[], None] | None = None,
    headless: bool = False,
    whatif: WhatIf | None = None,
) -> int:
    """Run ``controller`` behind the control room until the operator quits; return the exit code
    of the outcome (3 when quit before one). ``mode``: demo, replay, run, dry-run (watch later);
    ``whatif``: a variant to show beside a replay (``replay --whatif``).

    Quitting stops the controller (the run ends Incomplete, never rolled back); ``on_exit`` runs
    once the controller has written its last event, so the audit log gets the ``result`` line."""
    from ..core.rule import EXIT_CODES, Outcome
    from ..tui.app import make_app

    app = make_app(controller, mode=mode, actor=actor, fixture=fixture, owns_process=True, whatif=whatif)
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
    print_summary(controller, sys.stdout)
    return EXIT_CODES[outcome]


def quit_summary(controller: Controller) -> list[str]:
    """What the terminal keeps once the control room closes, three lines: the outcome (or that the
    release goes on and nothing was rolled back), where the audit log and the state are, and the
    ``report`` command to run."""
    from ..core.rule import Outcome
    from ..sanitize import clean
    from ..tui.source import run_log_of

    plan, state = controller.plan, controller.state
    if state is None:
        first = f"{plan.name}: quit before the first evaluation; nothing was changed."
    elif state.outcome is not None and not (state.outcome is Outcome.INCOMPLETE and _quit(state.reason)):
        name = plan.phases[state.phase_index].name
        first = f"{plan.name}: {state.outcome.value} in {name}: {clean(state.reason, 200)}"
    else:
        phase = plan.phases[state.phase_index]
        weight = state.canary_weight(plan)
        live = controller.mode == "run"
        if live:
            goes_on = (
                f"still running: the release stays in {phase.name} under canary {weight}% / stable {100 - weight}%"
            )
        else:
            goes_on = (
                f"Incomplete: quit in {phase.name} at canary {weight}% ({controller.mode}: nothing outside changed)"
            )
        first = f"{plan.name}: {goes_on}; nothing was rolled back."
    log = run_log_of(controller)
    store = getattr(controller, "store", None)
    where = []
    if log is not None:
        where.append(f"audit log {log.path}")
    path = getattr(store, "path", None)
    if path is not None:
        where.append(f"state {path}")
    elif store is not None and getattr(store, "name", None):
        where.append(f"state ConfigMap {getattr(store, 'namespace', '')}/{store.name}")
    second = ("; ".join(where) or "no audit log") + "."
    if log is not None:
        out = log.report_path()
        run = f" --run {_arg(Path(log.run))}" if log.run else ""
        third = f"report: canary-tui report {_arg(log.path)}{run} -o {_arg(out)}"
    else:
        third = "report: none (this run kept no audit log)"
    return [first, second, third]


def print_summary(controller: Controller, out: TextIO) -> None:
    try:
        for line in quit_summary(controller):
            print(line, file=out)
        out.flush()
    except (OSError, ValueError):  # stdout went away: the exit code still says the outcome
        pass


def _quit(reason: str | None) -> bool:
    return bool(reason) and "quit" in str(reason)


def _arg(path: Path) -> str:
    return shlex.quote(str(path))
