"""Clocks: the real one for ``run``, a virtual one (as fast as possible, or paced) for replay and demo."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta


class RealClock:
    """Wall-clock time in UTC, truncated to milliseconds."""

    def now(self) -> datetime:
        t = datetime.now(UTC)
        return t.replace(microsecond=t.microsecond // 1000 * 1000)

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        delay = (t - self.now()).total_seconds()
        if delay > 0:
            wake.wait(delay)


class VirtualClock:
    """Virtual time. With ``speed=None`` it jumps straight to each target; with a speed it paces
    virtual time at ``speed`` virtual seconds per real second. It can be paused, sped up, and told to
    jump to the next target now (``step``). Safe to control from another thread.

    Pacing keeps its word: the pace runs on real time continuously, so the time a caller spends
    between two waits counts, and a target the pace has already passed is reached without sleeping
    (at 2000x and a 1 s interval that is 2000 evaluations a second, several per screen frame). A
    stall longer than ``MAX_CREDIT`` (a breakpoint, a suspended laptop) is not paid back in a burst.
    ``achieved`` says how fast virtual time actually went over the last second or so."""

    TICK = 0.05  # real seconds between updates of ``now`` while pacing
    MAX_CREDIT = 0.25  # real seconds one update may credit at most
    WINDOW = 1.0  # real seconds over which ``achieved`` is measured

    def __init__(self, start: datetime, speed: float | None = None) -> None:
        self._now = start
        self._pace = start  # where pacing has got to: ahead of ``_now`` while the caller is busy
        self._real: float | None = None  # monotonic time of the pace's last update (None: not pacing yet)
        self._speed = speed
        self._paused = False
        self._skips = 0  # asked-for steps not yet taken: each takes one wait straight to its target
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._marks: deque[tuple[float, datetime]] = deque()  # (real, virtual) samples for ``achieved``

    def now(self) -> datetime:
        with self._lock:
            return self._now

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def achieved(self) -> float | None:
        """Virtual seconds per real second over about the last ``WINDOW`` (None until measured, or
        while paused or not pacing)."""
        with self._lock:
            if self._paused or self._speed is None or len(self._marks) < 2:
                return None
            (r0, v0), (r1, v1) = self._marks[0], self._marks[-1]
            if time.monotonic() - r1 > self.WINDOW:  # nothing moved lately: stale
                return None
        real = r1 - r0
        if real < self.WINDOW / 4:
            return None
        return (v1 - v0).total_seconds() / real

    def set_speed(self, speed: float | None) -> None:
        with self._lock:
            self._credit()
            self._speed = speed
            self._marks.clear()
        self._changed.set()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._credit()
            self._paused = paused
            self._marks.clear()
        self._changed.set()

    def step(self) -> None:
        """Jump to the next target (the next evaluation) now, even when paused. Steps asked for while
        the controller is busy are kept: pressing ``n`` three times steps three evaluations."""
        with self._lock:
            self._skips += 1
        self._changed.set()

    def _credit(self) -> None:
        """Move the pace on by the real time since its last update (lock held)."""
        real = time.monotonic()
        if self._real is not None and not self._paused and self._speed is not None:
            spent = min(real - self._real, self.MAX_CREDIT)
            if spent > 0:
                self._pace = max(self._pace, self._now) + timedelta(seconds=spent * self._speed)
        self._real = real

    def _reach(self, t: datetime) -> None:
        """``now`` becomes ``t`` (lock held); remembered for ``achieved``."""
        self._now = t
        if self._pace < t:
            self._pace = t
        real = time.monotonic()
        marks = self._marks
        marks.append((real, t))
        while len(marks) > 2 and real - marks[1][0] >= self.WINDOW:
            marks.popleft()

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        while not wake.is_set():
            with self._lock:
                if self._now >= t:
                    return
                if self._speed is None:
                    self._now = t
                    return
                if self._skips:
                    self._skips -= 1
                    self._credit()
                    self._reach(t)
                    return
                self._credit()
                if self._paused:
                    delay = self.TICK
                elif self._pace >= t:
                    self._reach(t)
                    return
                else:
                    self._now = self._pace  # intermediate progress, for a countdown on the screen
                    delay = min(self.TICK, (t - self._pace).total_seconds() / self._speed)
            self._changed.wait(delay)
            self._changed.clear()
