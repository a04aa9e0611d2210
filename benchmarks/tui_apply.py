#!/usr/bin/env python3
"""Applying one controller snapshot to the control room's screen, with 100 and 1,000 pods.

Each snapshot is one evaluation as the controller publishes it: a new state from the decision
rule, its Evaluated event, and a new pod list (every pod's age and CPU change). Measured on the
UI thread, in a headless app at 160x48:
  apply        the mailbox hand-over, the view model, the widgets' attributes, the panels' lines;
  apply+paint  that, plus every widget handling the refreshes it caused and the screen's update
               (``settle``: the event loop runs until no message waits anywhere; checked after
               each snapshot: Pilot's wait then finds nothing left to paint);
  probed       the same with Pilot's wait instead, which posts a message to every widget and
               waits for all of them: about 3 ms more, the measuring's own cost (snapshots take
               turns between the two ways);
  UI CPU       the CPU time of the UI thread for apply+paint (less sensitive to a busy machine).
The controller's clock moves with each snapshot, so the header, phases and gates redraw too.
Before each snapshot a fixed piece of pure Python is timed (``calibrate``): on a shared machine
whole stretches of a run go 1.5 to 2 times slower, and this says when. "At quiet speed" scales each
measurement by how much slower the machine was at that moment than at its fastest tenth.
Targets: median apply+paint under 16 ms with 100 pods, under 50 ms with 1,000. Run by hand:
    .venv/bin/python benchmarks/tui_apply.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from textual.message_pump import MessagePump

from canary_tui.commands import demo as demo_command
from canary_tui.controller import Controller, Snapshot
from canary_tui.core import rule
from canary_tui.core.gates import Reading
from canary_tui.core.pods import Pod
from canary_tui.sim.demo import DemoWorld
from canary_tui.sim.scenarios import SCENARIOS
from canary_tui.tui.app import make_app

SIZE = (160, 48)


@dataclass
class Figures:
    pods: int
    apply: list[float]
    paint: list[float]
    cpu: list[float]
    calibration: list[float]
    probed: list[float]

    def line(self, quiet: float) -> str:
        """The figures; ``quiet``: the calibration of the machine at its fastest, in seconds."""

        def ms(xs: list[float], q: float) -> float:
            return sorted(xs)[int(q * (len(xs) - 1))] * 1000

        at_quiet_speed = [p * quiet / c for p, c in zip(self.paint, self.calibration, strict=True)]
        cpu = statistics.median(self.cpu) * 1000
        return (
            f"{self.pods:>5} pods  apply median {statistics.median(self.apply) * 1000:5.1f} ms"
            f"  apply+paint median {statistics.median(self.paint) * 1000:5.1f} ms"
            f"  p90 {ms(self.paint, 0.9):5.1f} ms  (UI thread CPU median {cpu:5.1f} ms)\n"
            f"{'':>11}with Pilot's probe of every widget instead: median"
            f" {statistics.median(self.probed) * 1000:5.1f} ms\n"
            f"{'':>11}calibration median {statistics.median(self.calibration) * 1000:.2f} ms;"
            f" apply+paint at quiet speed: median {statistics.median(at_quiet_speed) * 1000:5.1f} ms"
        )


async def settle(pumps: list[MessagePump]) -> None:
    """Let the event loop run until every widget has handled what the snapshot caused: no message
    waiting anywhere, twice in a row. Nothing is posted to find out (Pilot's wait posts a message
    to every widget and waits for all the answers, which a real frame does not do); after each
    timed snapshot the benchmark checks with Pilot's wait that nothing was left to paint."""
    quiet = 0
    while quiet < 2:
        await asyncio.sleep(0)
        quiet = quiet + 1 if all(p._message_queue.empty() for p in pumps) else 0


def calibrate() -> float:
    """Seconds for a fixed piece of pure Python (about 1.6 ms here when the machine is quiet)."""
    t0 = time.perf_counter()
    acc = 0
    for i in range(25_000):
        acc += i * i % 7
    return time.perf_counter() - t0


def pods(n: int, k: int) -> tuple[Pod, ...]:
    return tuple(
        Pod(
            f"checkout-v{2 if j % 10 == 0 else 1}-7d9f8c6b4-{j:05d}",
            "v2" if j % 10 == 0 else "v1",
            "Running",
            True,
            j % 3,
            0.1 + ((j + k) % 7) / 100,
            120_000_000 + 4096 * ((j + k) % 100),
            timedelta(hours=3, seconds=5 * k + j % 60),
        )
        for j in range(n)
    )


class StillClock:
    """The controller's clock, moved by the benchmark: the controller waits, the screen reads it."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        if self.t < t:
            wake.wait()


async def measure(n: int, runs: int) -> Figures:
    args = argparse.Namespace(scenario="healthy", seed=0, start=None, plan=None)
    plan, start = demo_command.load(args)
    # the demo plan without its phase check (no check runner here: the rule would roll back for
    # want of its results, and the screen would stop changing)
    # and with hour-long soaks, so that the release is still going after a hundred snapshots
    hour = timedelta(hours=1)
    phases = tuple(dataclasses.replace(p, duration=hour) for p in plan.phases)
    plan = dataclasses.replace(plan, checks=(), phases=phases)
    world = DemoWorld(plan, SCENARIOS["healthy"], StillClock(start))
    clock = StillClock(start)
    # the real controller, idle after its first evaluation: the benchmark feeds the screen
    controller = Controller(plan, clock=clock, metrics=world.metrics, cluster=world.cluster, mode="demo", t0=start)
    # as the CLI runs it (owns_process: it tunes the garbage collector after the first frame)
    app = make_app(controller, mode="demo", actor="bench@host", tick=None, owns_process=True)
    apply: list[float] = []
    paint: list[float] = []
    cpu: list[float] = []
    calibration: list[float] = []
    probed: list[float] = []
    missed = 0
    async with app.run_test(size=SIZE) as pilot:
        while app.model.state is None or app.model.state.evaluations < 1:
            await pilot.pause(0.01)
        await pilot.pause(0.3)
        state = app.model.state
        pumps = [app, *app.screen.walk_children(with_self=True)]
        for k in range(2 * runs + 10):
            at = state.started_at + (state.evaluations) * plan.interval
            clock.t = at
            readings = world.metrics.read(plan, state.phase_index, at)  # values change every time
            step = rule.advance(state, plan, at, (), {**readings, "canary_restarts": Reading(0.0)})
            state = step.state
            snap = Snapshot(plan, "demo", at, state, pods(n, k), step.events, 5)
            exact = k % 2 == 0  # the two ways of waiting take turns
            speed = calibrate()
            t0, c0 = time.perf_counter(), time.thread_time()
            app._on_controller_change(snap)  # what the controller's thread calls
            app.apply_pending()  # what the SnapshotReady message handler calls
            t1 = time.perf_counter()
            if exact:
                await settle(pumps)
            else:
                await pilot._wait_for_screen()
            app.screen._on_timer_update()
            t2, c2 = time.perf_counter(), time.thread_time()
            assert not state.done, "the benchmark must keep the release going"
            if exact:
                # anything the quiet wait left undone shows up now: a widget still to repaint, or a
                # layout still to do
                await pilot._wait_for_screen()
                left = bool(app.screen._dirty_widgets) or app.screen._layout_required
                if left and k >= 10:  # (the first snapshot shows the pods' scrollbar)
                    missed += 1
                app.screen._on_timer_update()
            if k >= 10:  # the first few warm caches up
                if exact:
                    apply.append(t1 - t0)
                    paint.append(t2 - t0)
                    cpu.append(c2 - c0)
                    calibration.append(speed)
                else:
                    probed.append(t2 - t0)
            await pilot.pause(0.02)
        controller.stop("benchmark over")
    assert not missed, f"the quiet wait missed work in {missed} of {runs} snapshots: its figures are too low"
    return Figures(n, apply, paint, cpu, calibration, probed)


async def floor(runs: int) -> tuple[float, float]:
    """The harness alone: a snapshot that changes nothing on screen, through the same steps, with
    each way of waiting (medians: the quiet wait, Pilot's)."""
    args = argparse.Namespace(scenario="healthy", seed=0, start=None, plan=None)
    plan, start = demo_command.load(args)
    plan = dataclasses.replace(plan, checks=())
    world = DemoWorld(plan, SCENARIOS["healthy"], StillClock(start))
    controller = Controller(plan, clock=StillClock(start), metrics=world.metrics, cluster=world.cluster, t0=start)
    # as the CLI runs it (owns_process: it tunes the garbage collector after the first frame)
    app = make_app(controller, mode="demo", actor="bench@host", tick=None, owns_process=True)
    times: tuple[list[float], list[float]] = ([], [])
    async with app.run_test(size=SIZE) as pilot:
        while app.model.state is None or app.model.state.evaluations < 1:
            await pilot.pause(0.01)
        await pilot.pause(0.3)
        state, now = app.model.state, app.model.now
        pumps = [app, *app.screen.walk_children(with_self=True)]
        for k in range(2 * runs):
            snap = Snapshot(plan, "demo", now, state, app.model.pods, (), 5)
            t0 = time.perf_counter()
            app._on_controller_change(snap)
            app.apply_pending()
            if k % 2 == 0:
                await settle(pumps)
            else:
                await pilot._wait_for_screen()
            app.screen._on_timer_update()
            times[k % 2].append(time.perf_counter() - t0)
            await pilot.pause(0.02)
        controller.stop("benchmark over")
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=60)
    a = p.parse_args()
    print(f"one evaluation's snapshot applied to the control room ({SIZE[0]}x{SIZE[1]}, {a.runs} runs each)")
    figures = [asyncio.run(measure(n, a.runs)) for n in (100, 1000)]
    every = sorted(c for f in figures for c in f.calibration)
    quiet = every[len(every) // 10]
    print(f"calibration (a fixed piece of Python) at the machine's fastest tenth: {quiet * 1000:.2f} ms")
    for f in figures:
        print(f.line(quiet))
    quiet_wait, probe = asyncio.run(floor(a.runs))
    print(
        f"  harness floor (a snapshot that changes nothing): median {quiet_wait * 1000:.1f} ms,"
        f" with Pilot's probe {probe * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
