"""``canary-tui replay FIXTURE``: recorded metrics through the same decision code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import add_output_arguments
from .report import add_report_option

if TYPE_CHECKING:
    from ..controller import Controller, StateStore
    from ..core.fixture import Fixture
    from ..ports import MetricsSource
    from ..tui.variant import WhatIf

HELP = "replay a recorded MetricFixture through the controller"
DESCRIPTION = (
    "Replay a MetricFixture (YAML or JSON): the plan's decision rule runs on recorded samples with a "
    "virtual clock. --check compares the outcome with the fixture's expect block (exit 0 match, 1 not)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("fixture", type=Path, metavar="FIXTURE", help="a MetricFixture file (.yaml, .yml or .json)")
    add_output_arguments(p)
    p.add_argument("--check", action="store_true", help="compare the outcome with the fixture's expect block")
    p.add_argument(
        "--state-file", type=Path, metavar="PATH", help="keep the state in this file (for `watch --state-file PATH`)"
    )
    p.add_argument(
        "--whatif",
        dest="whatif",
        action="append",
        metavar="PATH=VALUE",
        help="also replay the fixture with its plan changed (as `whatif --set`; repeatable) and show that "
        "variant's phase changes and decisions beside the run, up to the replay's clock (not with --headless)",
    )
    add_report_option(p)


def build(
    fixture: Fixture,
    clock_speed: float | None,
    sinks: list,  # type: ignore[type-arg]
    mode: str = "replay",
    metrics: MetricsSource | None = None,
    store: StateStore | None = None,
) -> Controller:
    """A controller over the fixture: its samples (or ``metrics``, e.g. a backtest's cache of them),
    its pods, its actions, a virtual clock at its start; ``store`` keeps the state (``--state-file``)."""
    from ..clock import VirtualClock
    from ..controller import Controller, scripted_actions
    from ..replay import FixtureChecks, FixtureCluster, FixtureMetrics

    clock = VirtualClock(fixture.start, clock_speed)
    return Controller(
        fixture.plan,
        clock=clock,
        metrics=metrics if metrics is not None else FixtureMetrics(fixture),
        cluster=FixtureCluster(fixture),
        checks=FixtureChecks(fixture),
        sinks=sinks,
        mode=mode,
        t0=fixture.start,
        end=fixture.end,
        end_reason="the fixture's samples ran out before an outcome",
        scripted=scripted_actions(fixture.start, ((a.at, a.action, a.actor) for a in fixture.actions)),
        store=store,
    )


def state_file(args: argparse.Namespace, fixture: Fixture) -> StateStore | None:
    """``--state-file PATH``: the state document a watcher reads, replaced atomically at each change."""
    if getattr(args, "state_file", None) is None:
        return None
    from ..statefile import DocumentBuilder, StateFileStore

    return StateFileStore(args.state_file, DocumentBuilder(fixture.plan, mode="replay"))


def default_speed(fixture: Fixture) -> float:
    """Interactive replay plays the whole fixture in about a minute, and never slower than real time."""
    total = (fixture.end - fixture.start).total_seconds()
    return max(1.0, total / 60.0)


def run(args: argparse.Namespace) -> int:
    from ..core.fixture import load_fixture
    from ..errors import InputError
    from .common import Outputs, actor, exit_code, run_headless

    whatif = None
    if args.whatif:
        fixture, whatif = what_if(args)
    else:
        fixture = load_fixture(args.fixture)
    if args.check and fixture.expect is None:
        raise InputError(f"{args.fixture}: --check needs an expect block in the fixture")
    out = Outputs(args, fixture.plan, "replay", headless=args.headless)
    if not args.headless:
        from .interactive import run_tui

        controller = build(fixture, args.speed or default_speed(fixture), out.sinks, store=state_file(args, fixture))
        code = run_tui(controller, mode="replay", actor=actor(), fixture=fixture, on_exit=out.finish, whatif=whatif)
        if args.check and controller.state is not None and controller.state.done:
            return check(fixture, controller, json_mode=False)
        return code
    controller = build(fixture, args.speed, out.sinks, store=state_file(args, fixture))
    outcome = run_headless(controller, on_done=out.finish)
    if args.check:
        return check(fixture, controller, json_mode=args.json)
    return exit_code(outcome)


def what_if(args: argparse.Namespace) -> tuple[Fixture, WhatIf]:
    """``--whatif PATH=VALUE ...``: the fixture, and its variant under the edited plan (the edits of
    ``whatif --set``, through the plan validator, the same errors naming the edit) for the control
    room to replay beside it. Refused without a screen: ``whatif`` prints that comparison."""
    import shlex

    from .. import backtest
    from ..core.planedit import parse_edit
    from ..errors import InputError, Problem
    from ..tui.variant import WhatIf

    texts: list[str] = args.whatif
    if args.headless:
        sets = " ".join(f"--set {shlex.quote(t)}" for t in texts)
        raise InputError(
            "--whatif draws the variant in the control room, not with --headless or --json; for the "
            f"comparison as text (or --json) run: canary-tui whatif {shlex.quote(str(args.fixture))} {sets}"
        )

    def named(e: InputError) -> InputError:  # "--set X: ..." as the user typed it: "--whatif X: ..."
        def swap(message: str) -> str:
            for text in texts:
                message = message.replace(f"--set {text}", f"--whatif {text}")
            return message.replace("--set does", "--whatif does").replace("(use --plan)", "(use `whatif --plan`)")

        return InputError([Problem(p.file, p.path, p.line, swap(p.message)) for p in e.problems])

    try:
        edits = [parse_edit(text) for text in texts]
        rec = backtest.load(args.fixture)
        variant = backtest.edited(rec, edits)
    except InputError as e:
        if e.problems and any("--set " in p.message for p in e.problems):
            raise named(e) from None
        raise
    return rec.fixture, WhatIf(" ".join(e.text for e in edits), fixture=variant)


def check(fixture: Fixture, controller: Controller, *, json_mode: bool) -> int:
    """0 when the run matched ``expect``; else print what differed and return 1."""
    from ..core.durations import format_duration

    expect = fixture.expect
    state = controller.state
    assert expect is not None and state is not None and state.outcome is not None
    at = state.decided_at - fixture.start if state.decided_at is not None else None
    got = {
        "outcome": state.outcome.value,
        "phase": fixture.plan.phases[state.phase_index].name,
        "at": format_duration(at) if at is not None else "-",
    }
    want = {"outcome": expect.outcome.value}
    if expect.phase is not None:
        want["phase"] = expect.phase
    if expect.at is not None:
        want["at"] = format_duration(expect.at)
    diff = {k: (v, got[k]) for k, v in want.items() if got[k] != v}
    out = sys.stderr if json_mode else sys.stdout
    name = fixture.source or fixture.name
    if not diff:
        print(f"check ok: {name}: {got['outcome']} in {got['phase']} at {got['at']}, as expected", file=out)
        return 0
    print(f"check FAILED: {name}", file=out)
    for key, (w, g) in diff.items():
        print(f"  expect.{key}: want {w}, got {g}", file=out)
    if state.reason:
        print(f"  reason: {state.reason}", file=out)
    return 1
