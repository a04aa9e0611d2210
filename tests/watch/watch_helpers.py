"""Helpers of the watch tests: state files written by a real demo controller, a wall clock the test
moves, the app over a follower, and reading the screen."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canary_tui.commands import demo as demo_command
from canary_tui.statefile import read_state_file, write_state_file
from canary_tui.tui.app import ControlRoom, make_app
from canary_tui.watch.follower import Follower
from canary_tui.watch.sources import FileSource

WRITTEN = 1_767_225_710.0  # the wall time the fixed state files say they were written (their 2026-01-01T00:01:50Z)
DRIVER = "alice@laptop (pid 4242)"


class Wall:
    """A wall clock the test sets: ``wall.now`` seconds since the epoch."""

    def __init__(self, now: float = WRITTEN) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def demo_state(
    path: Path, scenario: str = "smoke-failure", evaluations: int | None = None, actions: dict | None = None
) -> Path:
    """The state file a real ``demo --state-file`` writes (virtual clock from 2026-01-01, seed 0),
    as it stood after ``evaluations`` evaluations (None: at the end). ``actions``: {evaluation:
    (ActionKind, actor)}, submitted as the control room's keys do, after that evaluation."""
    args = argparse.Namespace(scenario=scenario, seed=0, start=None, plan=None, state_file=path)
    plan, start = demo_command.load(args)
    controller, _ = demo_command.build(args, plan, start, None, [])
    kept = path.with_suffix(".kept")

    def listener(snapshot: Any) -> None:
        due = (actions or {}).pop(snapshot.state.evaluations, None)
        if due is not None:
            controller.submit(*due)
        if evaluations is not None and snapshot.state.evaluations == evaluations and not kept.exists():
            shutil.copy(path, kept)
            controller.stop("enough for the test")

    controller.listeners.append(listener)
    controller.run()
    if evaluations is not None:
        os.replace(kept, path)
    return path


def pin(path: Path, *, host: str = "elsewhere", written: float = WRITTEN) -> Path:
    """Make a state file the same on every machine: a fixed driver and writing process, a fixed mtime."""
    doc = read_state_file(path)
    doc["driver"] = DRIVER
    doc["process"] = {"pid": 4242, "host": host, "bootId": "fixed", "user": "alice@laptop"}
    write_state_file(path, doc)
    os.utime(path, (written, written))
    return path


def follower(path: Path, wall: Wall, refresh: float = 1.0) -> Follower:
    from canary_tui.watch.feed import plan_from_document

    plan = plan_from_document(read_state_file(path), str(path))
    assert plan is not None
    return Follower(plan, FileSource(path, wall=wall), refresh=refresh, wall=wall)


def watch_app(f: Follower, **kw: Any) -> ControlRoom:
    kw.setdefault("tick", None)
    return make_app(f, mode="watch", actor="bob@wall", **kw)


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.02)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def screen_text(app: ControlRoom) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def doc_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@dataclass
class Tree:
    """Every file under a directory, with its size and mtime: to prove nothing was written there."""

    root: Path

    def files(self) -> dict[str, tuple[int, int]]:
        out = {}
        for p in sorted(self.root.rglob("*")):
            if p.is_file():
                st = p.stat()
                out[str(p.relative_to(self.root))] = (st.st_size, st.st_mtime_ns)
        return out
