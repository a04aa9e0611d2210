"""``canary-tui demo``: a simulated cluster and simulated golden signals, nothing to install."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .common import add_output_arguments
from .report import add_report_option

if TYPE_CHECKING:
    from ..controller import Controller
    from ..core.model import Plan
    from ..ports import Sink
    from ..sim.demo import DemoWorld
    from ..statefile import StateFileStore

HELP = "a simulated release, no cluster needed (the default way to try canary-tui)"
DESCRIPTION = (
    "Run a simulated canary release: pods of v1 and v2 and golden signals, seeded and deterministic, "
    "through the same controller as a real run. Headless runs start their virtual clock at "
    "2026-01-01T00:00:00Z unless --start says otherwise."
)
FIXED_START = datetime(2026, 1, 1, tzinfo=UTC)


def _scenarios() -> list[str]:
    from ..sim.scenarios import SCENARIOS

    return list(SCENARIOS)


def add_arguments(p: argparse.ArgumentParser) -> None:
    names = _scenarios()  # a small table of data classes: the help names every one of them
    p.add_argument(
        "--scenario",
        default="healthy",
        metavar="NAME",
        help=f"{names[0]} (default), {', '.join(names[1:])}; --list-scenarios says what each shows",
    )
    p.add_argument("--list-scenarios", action="store_true", help="list the scenarios and what they show")
    add_output_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated noise (default 0)")
    p.add_argument("--start", metavar="TIME", help="RFC 3339 start of the virtual clock")
    p.add_argument("--plan", type=Path, metavar="PLAN", help="simulate this plan instead of the built-in one")
    p.add_argument("--state-file", type=Path, metavar="PATH", help="keep the state in this file (for watch)")
    add_report_option(p)


def build(
    args: argparse.Namespace, plan: Plan, start: datetime, speed: float | None, sinks: list[Sink]
) -> tuple[Controller, DemoWorld]:
    from ..clock import VirtualClock
    from ..controller import Controller
    from ..sim.demo import DemoWorld
    from ..sim.scenarios import SCENARIOS

    clock = VirtualClock(start, speed)
    world = DemoWorld(plan, SCENARIOS[args.scenario], clock, args.seed)
    controller = Controller(
        plan,
        clock=clock,
        metrics=world.metrics,
        cluster=world.cluster,
        checks=world.checks,
        sinks=[world, *sinks],
        mode="demo",
        t0=start,
        store=state_file(args, plan),
    )
    return controller, world


def state_file(args: argparse.Namespace, plan: Plan) -> StateFileStore | None:
    """``--state-file PATH``: the state document a watcher reads, replaced atomically at each change."""
    if getattr(args, "state_file", None) is None:
        return None
    from ..statefile import DocumentBuilder, StateFileStore

    return StateFileStore(args.state_file, DocumentBuilder(plan, mode="demo"))


def load(args: argparse.Namespace) -> tuple[Plan, datetime]:
    """The plan and the start of the virtual clock, or an InputError."""
    from ..core.durations import parse_time
    from ..core.planfile import load_plan
    from ..errors import InputError
    from ..resources import demo_plan_path

    if args.scenario not in _scenarios():
        raise InputError(f"no scenario {args.scenario!r}; choose one of {', '.join(_scenarios())}")
    from ..sim.scenarios import SCENARIOS

    own = SCENARIOS[args.scenario].plan  # a scenario that needs its own plan (doubled-errors: judges.yaml)
    plan = load_plan(args.plan or (demo_plan_path().parent / own if own else demo_plan_path()))
    start = FIXED_START
    if args.start:
        try:
            start = parse_time(args.start)
        except ValueError as e:
            raise InputError(f"--start: {e}") from None
    return plan, start


def run(args: argparse.Namespace) -> int:
    from .common import Outputs, actor, exit_code, run_headless

    if args.list_scenarios:
        from ..sim.scenarios import SCENARIOS

        for s in SCENARIOS.values():
            print(f"{s.name:<20} {s.description} (ends {s.expect})")
        return 0
    plan, start = load(args)
    out = Outputs(args, plan, "demo", headless=args.headless)
    if args.headless:
        controller, _ = build(args, plan, start, args.speed, out.sinks)
        return exit_code(run_headless(controller, on_done=out.finish))

    from ..clock import RealClock
    from .interactive import run_tui

    if not args.start:
        start = RealClock().now().replace(microsecond=0)
    controller, _ = build(args, plan, start, args.speed or 1.0, out.sinks)
    return run_tui(controller, mode="demo", actor=actor(), on_exit=out.finish)
