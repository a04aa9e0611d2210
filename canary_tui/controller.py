"""The polling controller: one loop for every mode. It observes, calls the rule, applies, reports.

The modes differ only in what they hand it: the clock, the metrics source, the cluster, the sinks,
and where the state is kept. It never decides anything itself; ``core.rule`` does.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from .converge import Converge
from .core import rule
from .core.alerts import Blind, alert_line, blindness
from .core.checks import CheckOutcome, checks_due
from .core.events import Event, Finished, Notice
from .core.gates import Reading
from .core.model import GateSource, Plan
from .core.pods import Pod, pod_reading
from .core.rule import Action, ActionKind, State
from .ports import CheckRunner, Clock, Cluster, MetricsSource, Sink, WriteError


@dataclass(frozen=True)
class Snapshot:
    """What observers (the TUI, watch, state files) see after each change. Immutable."""

    plan: Plan
    mode: str
    now: datetime
    state: State
    pods: Sequence[Pod] | None
    events: tuple[Event, ...]
    applied_weight: int | None
    pending_write: str | None = None
    held_by: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    # One loud line the screen shows as a banner while it holds, e.g. "metrics unavailable: ...;
    # rollback in 15m0s if it persists" or "traffic writes stopped: forbidden ...". None: all is well.
    alert: str | None = None


class StateStore(Protocol):
    def save(self, snapshot: Snapshot) -> None: ...


class Controller(Converge):
    """Runs a plan to its outcome. ``submit`` may be called from any thread (keys, CLI).

    ``scripted``: a fixture's actions, applied at the first evaluation at or after their time.
    ``inbox``: polled at each evaluation for actions queued elsewhere (operator commands kept in
    the cluster). ``store``: saves each snapshot (state file, ConfigMap), always before the
    cluster's weight is changed, so a crash between the two is repaired on resume by ``state=``.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        clock: Clock,
        metrics: MetricsSource,
        cluster: Cluster,
        sinks: Iterable[Sink] = (),
        mode: str = "demo",
        t0: datetime | None = None,
        end: datetime | None = None,
        end_reason: str = "the samples ran out before an outcome",
        scripted: Iterable[Action] = (),
        state: State | None = None,
        store: StateStore | None = None,
        inbox: Callable[[datetime], Iterable[Action]] | None = None,
        checks: CheckRunner | None = None,
        retry_base: float = 1.0,
        stop_on_refusal: bool = False,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self.metrics = metrics
        self.cluster = cluster
        self.sinks = list(sinks)
        self.mode = mode
        self.t0 = t0
        self.end = end
        self.end_reason = end_reason
        self.store = store
        self.inbox = inbox
        self.checks = checks
        self._outcomes: Mapping[str, CheckOutcome] = {}
        self.state: State | None = state
        self.pods: Sequence[Pod] | None = None
        self.applied_weight: int | None = None
        self.pending_write: str | None = None
        self.listeners: list[Callable[[Snapshot], None]] = []
        self._scripted = sorted(scripted, key=lambda a: a.at)
        self._live: list[Action] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop_reason: str | None = None
        self._retry_base = retry_base
        self._retry_at: datetime | None = None
        self._retries = 0
        self._unsaved = False  # the store refused the latest state: no weight write until it lands
        self._save_error: WriteError | None = None
        self._result: Finished | None = None
        self._rng = random.Random(0)
        self._uses_pods = any(g.source is GateSource.PODS for g in plan.gates)
        # A write the cluster refuses for good: headless runs stop (Incomplete), the control room holds
        # with ``alert`` until the operator acts or the decision changes (then it is tried again).
        self.stop_on_refusal = stop_on_refusal
        self.alert: str | None = None
        self.metrics_alert: str | None = None  # every query gate nodata for want of an answer (core.alerts)
        self._blind: Blind | None = None
        self._blind_for = 0  # evaluations the metrics have been unavailable
        self._refusals = 0
        self._refused_for: int | None = None  # the weight whose write was refused for good

    # ------------------------------------------------------------------ other threads

    def submit(self, kind: ActionKind, actor: str) -> None:
        """An operator action, applied as soon as the controller sees it."""
        with self._lock:
            self._live.append(Action(self.clock.now(), kind, actor))
            self._refused_for, self._refusals = None, 0  # the operator acted: a refused write is tried again
        self._wake.set()

    def stop(self, reason: str = "stopped by the operator") -> None:
        """End the run without an outcome (Incomplete). Never rolls back."""
        with self._lock:
            self._stop_reason = reason
        self._wake.set()

    def poke(self) -> None:
        """Wake the loop (e.g. after the clock was told to step)."""
        self._wake.set()

    # ------------------------------------------------------------------ the loop

    def run(self) -> State:
        plan = self.plan
        if self.state is None:
            t0 = self.t0 if self.t0 is not None else self.clock.now()
            self._commit(rule.start(plan, t0), t0)
        else:
            now = self.clock.now()
            notices = self._reconcile(now, publish=False)
            self._publish(now, notices)  # a resumed run shows (and stores) where it is before waiting
        assert self.state is not None
        while not self.state.done:
            t_k = rule.next_evaluation(plan, self.state)
            if self.end is not None and t_k > self.end:
                last = self.state.last.at if self.state.last else self.state.started_at
                self._commit(rule.finish_incomplete(self.state, plan, last, self.end_reason), last)
                break
            if not self._wait_for(t_k):
                break
            now = t_k
            due = self._take(now)
            readings = self._observe(now)
            self._outcomes = self._run_checks(now)
            step = self._advance(now, due, readings)
            notice = self._watch_metrics(step.state, now)  # observed, not decided: the rule decides
            if notice is not None:  # told with the evaluation, on every sink
                step = rule.Step(step.state, (*step.events, notice))
            self._commit(step, now)
        while self.pending_write is not None and self._stop_reason is None:
            self._wait_for_retry()
        if self._result is not None:  # the result line comes last, once the outcome's writes landed
            for sink in self.sinks:
                sink.emit(self._result)
            self._result = None
        return self.state

    def _watch_metrics(self, state: State, now: datetime) -> Notice | None:
        """The metrics-unavailable alert after an evaluation (``core.alerts``): the banner's line, and the
        notice of it; a repeat (same reasons, new count) is for the screen and the logs, not notifications."""
        blind = blindness(self.plan, state)
        said = alert_line(self._blind, blind, self._blind_for, state.done)
        self._blind_for = self._blind_for + 1 if blind is not None else 0
        self._blind = blind
        self.metrics_alert = blind.text if blind is not None else None
        if said is None:
            return None
        line, news = said
        return Notice(now, line, repeat=not news)

    def _wait_for(self, t_k: datetime) -> bool:
        """Wait until t_k, applying live actions and write retries as they come. False when stopped."""
        assert self.state is not None
        while True:
            target = t_k if self._retry_at is None else min(t_k, self._retry_at)
            self.clock.wait_until(target, self._wake)
            if self._wake.is_set():  # (clear() takes a lock: a replay passes here once an evaluation)
                self._wake.clear()
            now = self.clock.now()
            if self._stop_reason is not None:
                at = now if now < t_k else t_k
                self._commit(rule.finish_incomplete(self.state, self.plan, at, self._stop_reason), at)
                return False
            if self._retry_at is not None and now >= self._retry_at:
                self._reconcile(now)
            if now >= t_k:
                return True
            live = self._take(now, scripted=False)
            if live:
                self._commit(rule.advance(self.state, self.plan, now, live, None), now)
                if self.state.done:
                    return False
            self._publish(now, ())

    def _wait_for_retry(self) -> None:
        assert self._retry_at is not None
        self.clock.wait_until(self._retry_at, self._wake)
        self._wake.clear()
        self._reconcile(self.clock.now())

    def _take(self, now: datetime, scripted: bool = True) -> list[Action]:
        due: list[Action] = []
        if scripted:
            while self._scripted and self._scripted[0].at <= now:
                due.append(self._scripted.pop(0))
            if self.inbox is not None:
                due.extend(self.inbox(now))
        if not self._live:  # the common case: nobody pressed a key (a racing submit also wakes the loop)
            return due
        with self._lock:
            live = [a for a in self._live if a.at <= now]
            self._live = [a for a in self._live if a.at > now]
        return due + live

    def _observe(self, at: datetime) -> Mapping[str, Reading]:
        assert self.state is not None
        readings: Mapping[str, Reading] = self.metrics.read(self.plan, self.state.phase_index, at)
        self.pods = self.cluster.pods(at)
        if self._uses_pods:
            readings = dict(readings)  # a copy: the source's mapping may be kept (a sweep's cache of readings)
            for gate in self.plan.gates:
                if gate.source is GateSource.PODS and gate.signal is not None:
                    readings[gate.name] = pod_reading(self.pods, self.plan.canary.version, gate.signal)
        return readings

    def _run_checks(self, at: datetime) -> Mapping[str, CheckOutcome]:
        """Run the phase checks due at this evaluation (none without a runner: they have no result)."""
        assert self.state is not None
        if not self.plan.checks:
            return {}
        due = checks_due(self.state, self.plan, at)
        if not due or self.checks is None:
            return {}
        return self.checks.run(due, self.plan, at)

    # ------------------------------------------------------------------ applying

    def _advance(self, now: datetime, actions: list[Action], readings: Mapping[str, Reading]) -> rule.Step:
        """One evaluation. While the cluster has not taken the current weight yet (a write pending),
        the evaluation may roll back but never promotes: soak time at a weight not applied is no soak."""
        assert self.state is not None
        return rule.advance(
            self.state, self.plan, now, actions, readings, self._outcomes, may_promote=not self._write_pending()
        )

    def _commit(self, step: rule.Step, now: datetime) -> None:
        """Persist the new state, then tell everyone, then converge the cluster to it.

        Saved first, so that whatever the sinks (audit log, Kubernetes Events) were told is durable,
        and a crash between the save and the weight write is repaired on resume."""
        self.state = step.state
        if self.store is not None and step.events:
            self._save(now, step.events)
        for event in step.events:
            if isinstance(event, Finished):
                self._result = event  # told to the sinks at the end of ``run``, after any retried write
                continue
            for sink in self.sinks:
                sink.emit(event)
        notices = self._reconcile(now, publish=False)
        self._publish(now, (*step.events, *notices))

    def _snapshot(self, now: datetime, events: tuple[Event, ...]) -> Snapshot:
        assert self.state is not None
        return Snapshot(
            plan=self.plan,
            mode=self.mode,
            now=now,
            state=self.state,
            pods=self.pods,
            events=events,
            applied_weight=self.applied_weight,
            pending_write=self.pending_write,
            alert=self.alert or self.metrics_alert,
        )

    def _publish(self, now: datetime, events: tuple[Event, ...]) -> None:
        if self.store is None and not self.listeners:
            return
        snap = self._snapshot(now, events)
        if self.store is not None:
            try:
                self.store.save(snap)
            except WriteError as e:
                self._unsaved = True
                self._save_error = e
                if self._retry_at is None:
                    self._failed(now, e, "state not saved", publish=False)
        for listener in self.listeners:
            listener(snap)


def scripted_actions(start: datetime, actions: Iterable[tuple[timedelta, ActionKind, str]]) -> list[Action]:
    """Fixture actions (offsets from the start) as timed actions."""
    return [Action(start + offset, kind, actor) for offset, kind, actor in actions]
