"""What the run-like commands share: output options, where events go, the actor, running headless."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.rule import EXIT_CODES, Outcome
from ..identity import actor as actor  # re-exported: the commands take it from here

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.model import Plan
    from ..output.jsonl import AuditLog
    from ..ports import Sink


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def add_output_arguments(p: argparse.ArgumentParser, *, speed: bool = True) -> None:
    p.add_argument("--headless", action="store_true", help="no screen: print a timeline (or JSON Lines with --json)")
    p.add_argument("--json", action="store_true", help="print the contract's JSON Lines (implies --headless)")
    p.add_argument("--verbose", "-v", action="store_true", help="with --headless: one line per evaluation too")
    if speed:
        p.add_argument(
            "--speed",
            type=positive_float,
            metavar="X",
            help="virtual seconds per real second (headless default: as fast as possible)",
        )
    p.add_argument(
        "--log", type=Path, metavar="PATH", help="audit log to append to (default: under $XDG_STATE_HOME/canary-tui/)"
    )


class Outputs:
    """Where a run's events go, besides the screen, and what happens when it ends.

    The sinks, in order: the audit log first (whatever a pipeline saw on stdout is already on disk),
    then, headless, the timeline or JSON Lines on stdout, then the plan's webhooks (queued, sent
    from their own thread). ``finish`` closes the log, lets the notifications out (a bounded wait)
    and writes ``--report PATH`` from this run's log. Every mode, headless or not, uses it.
    """

    def __init__(self, args: argparse.Namespace, plan: Plan, mode: str, *, headless: bool) -> None:
        from ..notify import sinks_for

        self.args = args
        self.audit = open_audit(args, plan, mode)
        self.sinks: list[Sink] = [self.audit]
        if headless:
            self.sinks.append(stdout_sink(args, plan))
        self.notify = sinks_for(plan, mode=mode)
        self.sinks.extend(self.notify)

    def finish(self) -> None:
        from ..notify import close_sinks
        from .report import write_run_report

        self.audit.close()
        close_sinks(self.notify)
        path = getattr(self.args, "report", None)
        if path is not None:
            write_run_report(self.audit.path, path, self.audit.run)


def stdout_sink(args: argparse.Namespace, plan: Plan) -> Sink:
    """What a headless run prints: the contract's JSON Lines with ``--json``, else the timeline."""
    from ..output.jsonl import JsonLinesSink
    from ..output.timeline import TimelineSink, use_color

    if args.json:
        return JsonLinesSink(sys.stdout)
    return TimelineSink(sys.stdout, plan, verbose=args.verbose, color=use_color(sys.stdout))


def open_audit(args: argparse.Namespace, plan: Plan, mode: str) -> AuditLog:
    """The audit log of this run: ``--log PATH`` or the default under $XDG_STATE_HOME."""
    from ..core.codec import plan_to_dict
    from ..output.jsonl import AuditLog, default_log_path

    path = args.log or default_log_path(plan.name, mode)
    try:
        return AuditLog(
            path, mode=mode, plan_name=plan.name, actor=actor(), source=plan.source, plan_document=plan_to_dict(plan)
        )
    except OSError as e:
        from ..errors import InputError

        raise InputError(f"cannot open the audit log {path}: {e.strerror or e}") from None


def run_headless(controller: Controller, on_done: Callable[[], None] | None = None) -> Outcome:
    """Run to the outcome; Ctrl-C or SIGTERM ends the run as Incomplete (never a rollback)."""
    done = threading.Event()
    result: list[Outcome] = []
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            state = controller.run()
            result.append(state.outcome or Outcome.INCOMPLETE)
        except BaseException as e:
            crashed.append(e)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="controller", daemon=True)
    previous = signal.signal(signal.SIGTERM, lambda *_: controller.stop("stopped by SIGTERM"))
    thread.start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        controller.stop("stopped by the operator (Ctrl-C)")
        done.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    thread.join()
    if on_done is not None:
        on_done()
    if crashed:
        raise crashed[0]
    return result[0]


def exit_code(outcome: Outcome) -> int:
    return EXIT_CODES[outcome]
