"""The follower: a source of snapshots for the control room that is not a controller.

It has what the control room asks of a controller and nothing more: ``plan``, ``clock``,
``listeners``, ``run`` (poll until stopped, in the app's thread worker) and ``stop``. It has no
``submit``: there is no way to hand it an action. Each poll reads the source, turns a changed document
into the state and the events not shown yet (``feed``), and calls the listeners with a ``Snapshot``,
the same way the controller does; ``info`` is what it knows about the driver, for the screen's tick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ..controller import Snapshot
from ..core.events import Event
from ..core.pods import Pod
from ..core.rule import State, next_evaluation
from ..sanitize import clean
from .feed import DocumentFeed
from .info import STALE_INTERVALS, WatchInfo, freshness
from .sources import Polled, Wall

if TYPE_CHECKING:
    from ..core.model import Plan

MIN_REFRESH = 1.0


class Source(Protocol):
    label: str

    def read(self) -> Polled: ...


class WatchClock:
    """The driver's clock as the watcher reckons it: the time of the last document read, going on at
    the driver's pace (a demo's virtual clock may run faster) up to the driver's next evaluation (what
    comes then is not known before the next read), stopped where it stands when the state goes stale,
    and at the decision once the release is decided. Thread-safe: the poll sets it, the tick reads it."""

    def __init__(self, interval: timedelta, wall: Wall = time.time) -> None:
        self.interval = interval
        self.wall = wall
        # (driver's time, wall time it stands for, pace, stopped, no later than): replaced whole,
        # read without a lock
        self._fix: tuple[datetime, float, float, bool, datetime] | None = None

    def observe(self, at: datetime, written_wall: float, real_time: bool, stopped: bool, until: datetime) -> None:
        old = self._fix
        rate = 1.0
        if not real_time and old is not None:
            rate = old[2]
        if not real_time and old is not None and not old[3]:
            dt = written_wall - old[1]
            if dt >= 0.2 and at > old[0]:
                rate = min(1e6, max(0.01, (at - old[0]).total_seconds() / dt))
        self._fix = (at, written_wall, rate, stopped, max(at, until))

    def freeze(self) -> None:
        """Stop where the clock stands now (the driver went quiet): no jump back, no running on."""
        fix = self._fix
        if fix is not None and not fix[3]:
            self._fix = (self.now(), self.wall(), fix[2], True, fix[4])

    def now(self) -> datetime:
        fix = self._fix
        wall = self.wall()
        if fix is None:
            return datetime.fromtimestamp(wall, UTC)
        at, written, rate, stopped, until = fix
        if stopped:
            return at
        ahead = min((wall - written) * rate, STALE_INTERVALS * self.interval.total_seconds())
        return min(until, at + timedelta(seconds=max(0.0, ahead)))

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        """(The Clock protocol; the follower waits on its refresh, not on the driver's time.)"""
        wake.wait(max(0.0, (t - self.now()).total_seconds()))


class Follower:
    """Follows one release from ``source`` every ``refresh`` seconds. Never writes anything."""

    def __init__(self, plan: Plan, source: Source, *, refresh: float, wall: Wall = time.time) -> None:
        self.plan = plan
        self.source = source
        self.refresh = max(MIN_REFRESH, refresh)
        self.wall = wall
        self.mode = "watch"
        self.clock = WatchClock(plan.interval, wall)
        self.listeners: list[Callable[[Snapshot], None]] = []
        self.state: State | None = None
        self.polls = 0
        interval = plan.interval.total_seconds()
        self.info = WatchInfo(source.label, self.refresh, interval, waiting=f"reading {source.label}…")
        self._feed = DocumentFeed(plan)
        self._pods: Sequence[Pod] | None = None
        self._applied: int | None = None
        self._pending: str | None = None
        self._updated: datetime | None = None
        self._last = Polled(None)
        self._stop = threading.Event()

    def run(self) -> State | None:
        """Poll until ``stop``; the first poll at once."""
        while True:
            self.poll()
            if self._stop.wait(self.refresh):
                return self.state

    def stop(self, reason: str = "") -> None:
        self._stop.set()

    def poll(self) -> None:
        """Read the source once and tell the listeners what it says."""
        self.polls += 1
        try:
            got = self.source.read()
        except Exception as e:  # a screen on a wall keeps going: say it, show the last state read
            why = f"cannot read {self.source.label}: {clean(repr(e), 200)}"
            got = replace(self._last, changed=False, pods=None, problem=why)
        self._last = got
        now_wall = self.wall()
        problem = got.problem
        events: tuple[Event, ...] = ()
        if got.doc is not None and got.changed:
            taken = None
            try:
                from ..statefile import document_state

                stored = document_state(got.doc, self.plan)
            except ValueError as e:
                problem = f"the stored state does not fit the plan ({clean(e, 200)})"
            else:
                taken = self._feed.take(got.doc, stored)
            if taken is not None:
                self.state = taken.state
                self._pods = taken.pods
                self._applied = taken.applied_weight
                self._pending = taken.pending_write
                events = taken.events
                self._updated = taken.now
                self.clock.observe(
                    taken.now,
                    got.written_wall or now_wall,
                    got.real_time,
                    taken.state.done,
                    next_evaluation(self.plan, taken.state),
                )
        state = self.state
        done = state is not None and state.done
        since = got.since or (state.started_at if state is not None else None)
        mode = got.doc.get("mode") if got.doc is not None else None
        info = WatchInfo(
            source=self.source.label,
            refresh=self.refresh,
            interval=self.plan.interval.total_seconds(),
            driver=got.driver,
            since=since,
            mode=clean(mode, 20) if isinstance(mode, str) else None,
            written_wall=got.written_wall,
            updated=self._updated,
            done=done,
            waiting=got.waiting if state is None else None,
            problem="; ".join(p for p in (problem, *got.notes) if p) or None,
            lease=got.lease,
            gone=got.gone,
        )
        self.info = info
        if freshness(info, now_wall).stale is not None:
            self.clock.freeze()
        if state is None:
            return
        snapshot = Snapshot(
            plan=self.plan,
            mode="watch",
            now=self.clock.now(),
            state=state,
            pods=got.pods if got.pods is not None else self._pods,
            events=events,
            applied_weight=self._applied,
            pending_write=self._pending,
            extra={"watch": info},
        )
        for listener in self.listeners:
            listener(snapshot)
