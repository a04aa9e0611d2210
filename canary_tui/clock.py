"""Clocks: the real one for ``run``, a virtual one (as fast as possible, or paced) for replay and demo."""

from __future__ import annotations

import threading
import time
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
    jump to the next target now (``step``). Safe to control from another thread."""

    TICK = 0.05  # real seconds between updates of ``now`` while pacing

    def __init__(self, start: datetime, speed: float | None = None) -> None:
        self._now = start
        self._speed = speed
        self._paused = False
        self._skips = 0  # asked-for steps not yet taken: each takes one wait straight to its target
        self._lock = threading.Lock()
        self._changed = threading.Event()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def set_speed(self, speed: float | None) -> None:
        with self._lock:
            self._speed = speed
        self._changed.set()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
        self._changed.set()

    def step(self) -> None:
        """Jump to the next target (the next evaluation) now, even when paused. Steps asked for while
        the controller is busy are kept: pressing ``n`` three times steps three evaluations."""
        with self._lock:
            self._skips += 1
        self._changed.set()

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        last = time.monotonic()
        while not wake.is_set():
            with self._lock:
                if self._now >= t:
                    return
                if self._speed is None:
                    self._now = t
                    return
                if self._skips:
                    self._skips -= 1
                    self._now = t
                    return
                paused, speed = self._paused, self._speed
            self._changed.wait(self.TICK)
            self._changed.clear()
            real = time.monotonic()
            if not paused:
                with self._lock:
                    step = timedelta(seconds=(real - last) * speed)
                    self._now = min(t, self._now + step)
            last = real
