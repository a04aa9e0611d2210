"""Converging the cluster to the state (a mixin of ``Controller``): the state is saved before the
weight moves, a failed write is retried when its time comes (Retry-After, or jittered backoff), a
write refused for good (403, 422...) stops moving traffic after ``REFUSED_ATTEMPTS`` (a rollback is
never given up), and each of these is said loudly, as a notice and in the ``alert`` line."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .core import rule
from .core.durations import format_duration
from .core.events import Event, Notice
from .core.model import Plan
from .core.rule import State
from .ports import Clock, Cluster, Sink, WriteError

if TYPE_CHECKING:
    from .controller import Snapshot, StateStore

REFUSED_ATTEMPTS = 3  # a write refused for good (403, 422...) is tried this often, then traffic stops moving


class Converge:
    """The write half of ``Controller``; these attributes are the controller's."""

    plan: Plan
    clock: Clock
    cluster: Cluster
    sinks: Sequence[Sink]
    store: StateStore | None
    state: State | None
    applied_weight: int | None
    pending_write: str | None
    alert: str | None
    stop_on_refusal: bool
    _retry_base: float
    _retry_at: datetime | None
    _retries: int
    _refusals: int
    _refused_for: int | None
    _unsaved: bool
    _save_error: WriteError | None
    _rng: random.Random

    if TYPE_CHECKING:  # the controller's own

        def _snapshot(self, now: datetime, events: tuple[Event, ...]) -> Snapshot: ...

        def _publish(self, now: datetime, events: tuple[Event, ...]) -> None: ...

        def stop(self, reason: str = ...) -> None: ...

    def _write_pending(self) -> bool:
        assert self.state is not None
        return self._unsaved or self.applied_weight != self.state.canary_weight(self.plan)

    def _save(self, now: datetime, events: tuple[Event, ...]) -> bool:
        """Save a snapshot; a WriteError leaves the state marked unsaved (retried before any weight write)."""
        assert self.store is not None
        try:
            self.store.save(self._snapshot(now, events))
        except WriteError as e:
            self._unsaved = True
            self._save_error = e
            return False
        self._unsaved = False
        return True

    def _reconcile(self, now: datetime, publish: bool = True) -> tuple[Notice, ...]:
        """Make the cluster's weight the state's weight; on failure schedule a retry with backoff.
        The state is saved before the weight moves: an unsaved state is saved first, or nothing is written."""
        assert self.state is not None
        if self._retry_at is not None and now < self._retry_at:
            return ()  # a failed write is retried when its time comes (Retry-After, backoff), not sooner
        want = self.state.canary_weight(self.plan)
        if self._refused_for is not None:
            if self._refused_for == want:
                return ()  # refused for good: not tried again until the operator acts or the decision changes
            self._refused_for, self._refusals = None, 0
        if self._unsaved and not self._save(now, ()):
            assert self._save_error is not None
            return self._failed(now, self._save_error, "state not saved", publish)
        if self.applied_weight == want:
            if self.pending_write is not None:
                self._written(now, publish)
            return ()
        try:
            self.cluster.set_weight(want)
        except WriteError as e:
            what = "rollback" if self.state.outcome is rule.Outcome.ROLLED_BACK else f"weight {want}%"
            return self._failed(now, e, f"{what} not written", publish)
        self.applied_weight = want
        self._written(now, publish)
        return ()

    def _failed(self, now: datetime, e: WriteError, what: str, publish: bool) -> tuple[Notice, ...]:
        """A write did not land: say so loudly and schedule a retry (Retry-After, or jittered backoff)."""
        self._retries += 1
        if not e.retryable and self.state is not None and self.state.outcome is not rule.Outcome.ROLLED_BACK:
            # (a rollback is never given up: it is retried with backoff, loudly, until it lands)
            self._refusals += 1
            if self._refusals >= REFUSED_ATTEMPTS:
                return self._refused(now, e, what, publish)
        delay = e.retry_after if e.retry_after is not None else self._backoff()
        self._retry_at = max(now, self.clock.now()) + timedelta(seconds=delay)  # from the answer, not the ask
        wait = format_duration(timedelta(seconds=round(delay, 1)))
        self.pending_write = f"{what}: {e}; retry {self._retries} in {wait}"
        if not e.retryable:
            self.alert = self.pending_write
        notice = Notice(now, self.pending_write)
        for sink in self.sinks:
            sink.emit(notice)
        if publish:
            self._publish(now, (notice,))
        return (notice,)

    def _refused(self, now: datetime, e: WriteError, what: str, publish: bool) -> tuple[Notice, ...]:
        """Refused for good (403, 422...): stop moving traffic and say why, loudly."""
        assert self.state is not None
        self._retry_at = None
        self._refused_for = self.state.canary_weight(self.plan)
        self.alert = f"traffic writes stopped: {e}"
        self.pending_write = f"{what}: {e}; not retried ({self._refusals} attempts refused)"
        notice = Notice(now, self.pending_write)
        for sink in self.sinks:
            sink.emit(notice)
        if self.stop_on_refusal:
            self.stop(self.alert)
        elif publish:
            self._publish(now, (notice,))
        return (notice,)

    def _written(self, now: datetime, publish: bool) -> None:
        self._retry_at = None
        self._retries = 0
        self._refusals = 0
        self.alert = None
        if self.pending_write is not None:
            self.pending_write = None
            if publish:
                self._publish(now, ())

    def _backoff(self) -> float:
        base: float = min(60.0, self._retry_base * 2 ** min(self._retries - 1, 6))
        return base * (0.5 + self._rng.random() / 2)
