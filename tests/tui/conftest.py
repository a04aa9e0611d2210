"""Fixtures of the control room's tests: an app over a replay fixture (or the demo) with a real audit log file."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest
from tmuxhelp import tmux  # noqa: F401 - a fixture: a command in a tmux session
from tui_helpers import ACTOR, DATA, Room

from canary_tui.commands import demo as demo_command
from canary_tui.commands.replay import build as build_replay
from canary_tui.core.fixture import load_fixture
from canary_tui.output.jsonl import AuditLog
from canary_tui.tui.app import make_app
from canary_tui.tui.variant import WhatIf


@pytest.fixture
def room(tmp_path: Path) -> Callable[..., Room]:
    """``room(mode=..., fixture=..., paused=..., speed=..., whatif=...)``: a control room over a replay
    fixture (with ``whatif``, a variant beside it). The clock starts paused (deterministic: nothing
    moves unless a test steps it)."""
    made: list[Room] = []

    def make(
        mode: str = "replay",
        fixture: str | Path = "spike.yaml",
        paused: bool = True,
        speed: float | None = 1.0,
        tick: float | None = None,
        whatif: WhatIf | None = None,
    ) -> Room:
        fx = load_fixture(DATA / fixture)  # an absolute path stays as it is
        log = tmp_path / f"{mode}-{len(made)}.jsonl"
        audit = AuditLog(log, mode=mode, plan_name=fx.plan.name, actor=ACTOR, source=fx.source)
        controller = build_replay(fx, speed, [audit], mode=mode)
        if paused:
            controller.clock.set_paused(True)  # type: ignore[attr-defined]
        app = make_app(controller, mode=mode, actor=ACTOR, fixture=fx, tick=tick, whatif=whatif)
        r = Room(app, controller, audit, log)
        made.append(r)
        return r

    yield make
    for r in made:
        r.controller.stop("test over")
        r.app.ended.wait(5)
        r.audit.close()


@pytest.fixture
def demo_room(tmp_path: Path) -> Callable[..., Room]:
    """A control room over the simulated demo (mode ``demo``), on a fast virtual clock."""
    made: list[Room] = []

    def make(scenario: str = "healthy", speed: float | None = 50.0, paused: bool = False) -> Room:
        args = argparse.Namespace(scenario=scenario, seed=0, start=None, plan=None)
        plan, start = demo_command.load(args)
        log = tmp_path / f"demo-{len(made)}.jsonl"
        audit = AuditLog(log, mode="demo", plan_name=plan.name, actor=ACTOR, source=plan.source)
        controller, _ = demo_command.build(args, plan, start, speed, [audit])
        if paused:
            controller.clock.set_paused(True)  # type: ignore[attr-defined]
        app = make_app(controller, mode="demo", actor=ACTOR, tick=0.1)
        r = Room(app, controller, audit, log)
        made.append(r)
        return r

    yield make
    for r in made:
        r.controller.stop("test over")
        r.app.ended.wait(5)
        r.audit.close()
