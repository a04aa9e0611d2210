"""The control room's view of a run, derived from controller snapshots. Pure Python, no Textual.

The UI thread feeds it what the mailbox holds (``apply``); the widgets read typed rows from it.
Everything kept over time is bounded: the gate histories (see ``history``) and the event rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..core import rule
from ..core.events import ActionTaken, Decided, Evaluated, Event, Finished, Notice, PhaseEntered
from ..core.gates import JudgeStats, Status, fmt
from ..core.model import GateSource, Plan, Thresholds
from ..core.pods import Pod
from ..core.rule import Outcome, State
from ..sanitize import clean
from .history import RECENT, WHOLE, GateHistory, Point

if TYPE_CHECKING:
    from ..controller import Snapshot
    from .variant import VariantTimeline

EVENT_ROWS = 500
REASON_LIMIT = 300
OVERDUE = timedelta(seconds=3)  # an evaluation this late is "in progress": the metrics are slow


class Tone(StrEnum):
    """How a piece of text should look; widgets map tones to the theme's colours."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"
    ACCENT = "accent"
    MUTED = "muted"


STATUS_TONE = {
    Status.PASS: Tone.GOOD,
    Status.WARN: Tone.WARN,
    Status.FAIL: Tone.BAD,
    Status.NODATA: Tone.MUTED,
    Status.SKIP: Tone.MUTED,
}
OUTCOME_TONE = {Outcome.PROMOTED: Tone.GOOD, Outcome.ROLLED_BACK: Tone.BAD, Outcome.INCOMPLETE: Tone.WARN}
_SEVERITY = {Status.SKIP: 0, Status.PASS: 0, Status.NODATA: 1, Status.WARN: 2, Status.FAIL: 3}


@dataclass(frozen=True, slots=True)
class EventRow:
    """One line of the event log: when, what kind, who, and why."""

    at: datetime
    kind: str
    actor: str
    text: str
    tone: Tone = Tone.INFO


class PhaseState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    PENDING = "pending"
    ROLLED_BACK = "rolled-back"
    STOPPED = "stopped"


PHASE_TONE = {
    PhaseState.DONE: Tone.GOOD,
    PhaseState.CURRENT: Tone.ACCENT,
    PhaseState.PENDING: Tone.MUTED,
    PhaseState.ROLLED_BACK: Tone.BAD,
    PhaseState.STOPPED: Tone.WARN,
}


@dataclass(frozen=True, slots=True)
class PhaseRow:
    index: int
    name: str
    weight: int
    duration: timedelta
    elapsed: timedelta | None
    state: PhaseState

    @property
    def remaining(self) -> timedelta | None:
        if self.elapsed is None:
            return None
        return max(timedelta(0), self.duration - self.elapsed)


@dataclass(frozen=True, slots=True)
class GateRow:
    """A gate as the table shows it: last result, the current phase's thresholds, the counts."""

    name: str
    unit: str
    source: GateSource
    weight: float
    thresholds: Thresholds
    status: Status | None = None
    canary: float | None = None
    stable: float | None = None
    reason: str = ""
    fails: int = 0
    nodata: int = 0
    stats: JudgeStats | None = None  # a judge gate's estimate, interval and evidence (or effect and p)


@dataclass(frozen=True, slots=True)
class Changes:
    """What one ``apply`` changed, so the screen redraws only that."""

    evaluated: bool
    pods: bool
    rows: tuple[EventRow, ...]
    decided: bool
    refused: tuple[tuple[str, str], ...] = ()  # (action, why) of each operator action the controller refused


class RoomModel:
    """What the control room knows about the run. Call ``apply`` on the UI thread only."""

    def __init__(self, plan: Plan, *, event_limit: int = EVENT_ROWS, recent: int = RECENT, whole: int = WHOLE) -> None:
        self.plan = plan
        self.state: State | None = None
        self.now: datetime | None = None
        self.pods: Sequence[Pod] | None = None
        self.pending_write: str | None = None
        self.alert: str | None = None
        self.history = {g.name: GateHistory(recent, whole) for g in plan.gates}
        self.phase_starts: dict[int, datetime] = {}
        self.rows: deque[EventRow] = deque(maxlen=event_limit)
        self.applied = 0
        self.variant: VariantTimeline | None = None  # replay --whatif: the variant's run (tui/variant.py)
        self._status: dict[str, Status] = {}
        self._operator: tuple[datetime, str, str] | None = None
        self._decided_by = "controller"

    # ------------------------------------------------------------------ feeding

    def apply(self, snap: Snapshot, events: Iterable[Event], dropped: int = 0) -> Changes:
        """Take in a snapshot and every event since the previous one (the mailbox's ``take``)."""
        was_done = self.state is not None and self.state.done
        state = snap.state
        pods_changed = snap.pods is not self.pods
        self.state = state
        self.now = snap.now
        self.pods = snap.pods
        self.pending_write = snap.pending_write
        self.alert = clean(snap.alert, 300) if getattr(snap, "alert", None) else None
        self.applied += 1
        rows: list[EventRow] = []
        if dropped:
            rows.append(
                EventRow(self.now, "note", "", f"{dropped} events not shown: the screen fell behind", Tone.WARN)
            )
        evaluated = False
        refused: list[tuple[str, str]] = []
        for event in events:
            row = self._row(event)
            if isinstance(event, Evaluated):
                evaluated = True
            elif isinstance(event, ActionTaken) and not event.accepted:
                refused.append((clean(event.action, 20), clean(event.reason, REASON_LIMIT)))
            if row is not None:
                rows.append(row)
        self.rows.extend(rows)
        return Changes(evaluated, pods_changed, tuple(rows), state.done and not was_done, tuple(refused))

    def _row(self, event: Event) -> EventRow | None:
        if isinstance(event, PhaseEntered):
            self.phase_starts[event.index] = event.at
            n = len(self.plan.phases)
            text = f"{event.phase} ({event.index + 1}/{n}): canary {event.weight}% / stable {100 - event.weight}%"
            return EventRow(event.at, "phase", "controller", text, Tone.ACCENT)
        if isinstance(event, Evaluated):
            return self._evaluated(event)
        if isinstance(event, ActionTaken):
            actor = clean(event.actor, 64)
            if event.accepted:
                self._operator = (event.at, event.action, actor)
                return EventRow(event.at, event.action, actor, "accepted", Tone.INFO)
            return EventRow(event.at, event.action, actor, "refused: " + clean(event.reason, REASON_LIMIT), Tone.WARN)
        if isinstance(event, Decided):
            actor = "controller"
            op = self._operator
            if op is not None and op[0] == event.at and op[1] == event.decision:
                actor = op[2]
            self._decided_by = actor
            tone = Tone.GOOD if event.decision == "promote" else Tone.BAD
            return EventRow(event.at, event.decision, actor, clean(event.reason, REASON_LIMIT), tone)
        if isinstance(event, Finished):
            outcome = Outcome(event.outcome)
            actor = self._decided_by if outcome is Outcome.ROLLED_BACK else "controller"
            text = f"{event.outcome} in {event.phase}: {clean(event.reason, REASON_LIMIT)}"
            return EventRow(event.at, "result", actor, text, OUTCOME_TONE[outcome])
        if isinstance(event, Notice):
            return EventRow(event.at, "error", "cluster", clean(event.message, REASON_LIMIT), Tone.BAD)
        return None

    def _evaluated(self, event: Evaluated) -> EventRow | None:
        """Record the evaluation in the histories; a log row only when a gate's status changed."""
        index = self.state.phase_index if self.state is not None else 0
        if event.phase in (p.name for p in self.plan.phases):
            index = [p.name for p in self.plan.phases].index(event.phase)
        first = not self._status
        changes: list[str] = []
        worst = Status.PASS
        for r in event.results:
            history = self.history.get(r.name)
            if history is not None:
                history.append(Point(event.at, r.canary, r.stable, r.status, index, r.stats))
            before = self._status.get(r.name)
            self._status[r.name] = r.status
            if r.status is not before and not (first and r.status is Status.PASS):
                reason = f" ({clean(r.reason, 120)})" if r.reason else ""
                changes.append(f"{r.name} {before.value + '→' if before else ''}{r.status.value}{reason}")
                if _SEVERITY[r.status] > _SEVERITY[worst]:
                    worst = r.status
        for c in event.checks:
            # a check that ran says so when its result changed; one not due (skip) says nothing
            key = "check " + c.name
            before = self._status.get(key)
            self._status[key] = c.status
            if c.status is not Status.SKIP and c.status is not before:
                reason = f" ({clean(c.reason, 120)})" if c.reason else ""
                was = before.value + "→" if before is not None and before is not Status.SKIP else ""
                changes.append(f"{key} {was}{c.status.value}{reason}")
                if _SEVERITY[c.status] > _SEVERITY[worst]:
                    worst = c.status
        if first:
            head = f"first evaluation: health {fmt(event.health_score)}"
            text = head + ("; " + "; ".join(changes) if changes else "; every gate passes")
            return EventRow(event.at, "gates", "controller", text, STATUS_TONE[worst])
        if not changes:
            return None
        tone = STATUS_TONE[worst] if worst is not Status.PASS else Tone.GOOD
        return EventRow(event.at, "gates", "controller", "; ".join(changes), tone)

    # ------------------------------------------------------------------ reading

    def phase_rows(self, now: datetime | None) -> tuple[PhaseRow, ...]:
        plan, state = self.plan, self.state
        rows = []
        for i, phase in enumerate(plan.phases):
            elapsed: timedelta | None = None
            if state is None:
                st = PhaseState.PENDING
            elif i < state.phase_index or state.outcome is Outcome.PROMOTED:
                st = PhaseState.DONE
                start, end = self.phase_starts.get(i), self.phase_starts.get(i + 1)
                if state.outcome is Outcome.PROMOTED and i == state.phase_index:
                    end = state.decided_at
                elapsed = end - start if start is not None and end is not None else phase.duration
            elif i > state.phase_index:
                st = PhaseState.PENDING
            else:
                until = state.decided_at if state.done else now
                elapsed = max(timedelta(0), (until or state.phase_start) - state.phase_start)
                st = {
                    Outcome.ROLLED_BACK: PhaseState.ROLLED_BACK,
                    Outcome.INCOMPLETE: PhaseState.STOPPED,
                }.get(state.outcome, PhaseState.CURRENT)  # type: ignore[arg-type]
            rows.append(PhaseRow(i, phase.name, phase.weight, phase.duration, elapsed, st))
        return tuple(rows)

    def progress(self, now: datetime | None) -> float:
        """How far the release is, 0..1: soak time done over the plan's total soak time."""
        state = self.state
        if state is None:
            return 0.0
        if state.outcome is Outcome.PROMOTED:
            return 1.0
        rows = self.phase_rows(now)
        total = sum((r.duration for r in rows), timedelta(0))
        if total <= timedelta(0):
            return state.phase_index / len(rows)
        done = timedelta(0)
        for r in rows:
            if r.state is PhaseState.DONE:
                done += r.duration
            elif r.elapsed is not None:
                done += min(r.elapsed, r.duration)
        return min(1.0, done / total)

    def gate_rows(self) -> tuple[GateRow, ...]:
        plan, state = self.plan, self.state
        thresholds = plan.thresholds(state.phase_index if state is not None else 0)
        last = state.last if state is not None else None
        rows = []
        for g in plan.gates:
            base = GateRow(g.name, clean(g.unit, 12), g.source, g.weight, thresholds[g.name])
            r = last.result(g.name) if last is not None else None
            if r is not None:
                base = GateRow(
                    g.name,
                    base.unit,
                    g.source,
                    g.weight,
                    base.thresholds,
                    r.status,
                    r.canary,
                    r.stable,
                    clean(r.reason, REASON_LIMIT),
                    r.fails,
                    r.nodata,
                    r.stats,
                )
            rows.append(base)
        return tuple(rows)

    def health(self) -> float | None:
        state = self.state
        return state.last.health_score if state is not None and state.last is not None else None

    def waiting(self, now: datetime | None) -> tuple[str, Tone]:
        """What the controller waits for, in words, and how worrying that is."""
        plan, state = self.plan, self.state
        if state is None:
            return "starting the controller…", Tone.MUTED
        if state.outcome is not None:
            return f"{state.outcome.value}: {clean(state.reason, REASON_LIMIT)}", OUTCOME_TONE[state.outcome]
        now = now or self.now or state.phase_start
        # whole seconds of soak: a paced clock is rarely on one, and a phase entered by a key press
        # starts between two seconds ("promotes in 59.779306s" helps nobody)
        soaked = timedelta(seconds=int(max(timedelta(0), now - state.phase_start).total_seconds()))
        text = clean(rule.waiting_for(state, plan, state.phase_start + soaked), REASON_LIMIT)
        late = now - rule.next_evaluation(plan, state)
        if late > OVERDUE:
            return f"evaluating for {short_duration(late)}: the metrics answer slowly…", Tone.WARN
        last = state.last
        if last is not None and last.any_fail:
            return text, Tone.BAD
        if state.held or (last is not None and any(r.status is Status.NODATA for r in last.results)):
            return text, Tone.WARN
        if last is not None and last.health_score < plan.min_health_score:
            return text, Tone.WARN
        return text, Tone.GOOD


def short_duration(d: timedelta) -> str:
    """``4m10s``, ``1h05m``, ``2d3h``: compact, for narrow columns."""
    s = int(max(timedelta(0), d).total_seconds())
    if s >= 86400:
        return f"{s // 86400}d{s % 86400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


POD_COLUMNS = ("name", "version", "phase", "ready", "restarts", "cpu", "memory", "age")


def select_pods(pods: Sequence[Pod] | None, text: str = "", sort: str = "name", reverse: bool = False) -> list[Pod]:
    """The pods the table shows: those matching ``text`` (name, version or phase), sorted by a column."""
    if not pods:
        return []
    needle = text.strip().lower()
    chosen = [p for p in pods if needle in p.name.lower() or needle in p.version.lower() or needle in p.phase.lower()]
    key = _SORT_KEYS.get(sort, _SORT_KEYS["name"])
    present = [p for p in chosen if key(p) is not None]
    missing = [p for p in chosen if key(p) is None]
    present.sort(key=lambda p: (key(p), p.name), reverse=reverse)
    return present + missing


_SORT_KEYS: dict[str, Callable[[Pod], Any]] = {
    "name": lambda p: p.name,
    "version": lambda p: p.version,
    "phase": lambda p: p.phase,
    "ready": lambda p: p.ready,
    "restarts": lambda p: p.restarts,
    "cpu": lambda p: p.cpu,
    "memory": lambda p: p.memory_bytes,
    "age": lambda p: p.age,
}


def levels(t: Thresholds, unit: str = "") -> tuple[str, str]:
    """A gate's warn and fail levels, compact: ``(">0.01", ">0.05 >1.5×st")``; "-" when unset.
    ``>1.5×st`` reads "above 1.5 times the stable value" (maxRatioToStable)."""
    warn = [f">{fmt(t.warn_above, unit)}" if t.warn_above is not None else "", ""]
    warn[1] = f"<{fmt(t.warn_below, unit)}" if t.warn_below is not None else ""
    fail = [
        f">{fmt(t.fail_above, unit)}" if t.fail_above is not None else "",
        f"<{fmt(t.fail_below, unit)}" if t.fail_below is not None else "",
        f">{fmt(t.max_ratio_to_stable)}×st" if t.max_ratio_to_stable is not None else "",
    ]
    return " ".join(w for w in warn if w) or "-", " ".join(f for f in fail if f) or "-"
