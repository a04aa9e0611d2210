"""The what-if variant of a replay (``replay FIXTURE --whatif PATH=VALUE``), as plain data. No Textual.

The variant is the fixture replayed headless under the edited plan (``backtest.replay``, the same
controller and rule) before or beside the control room; the room shows it next to the base run as
a second track: a line per phase (or a column, on a narrow screen), markers on the charts and the
what-if line under the header. It shows the variant only up to the base run's clock (``until``), so
the replay does not give away what comes next; once the base run is decided, the whole variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..core.durations import format_duration
from ..core.model import Plan
from ..core.rule import Outcome, State
from ..sanitize import clean
from .model import PhaseRow, PhaseState

if TYPE_CHECKING:
    from ..backtest import Run
    from ..core.fixture import Fixture


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """The variant entered phase ``index`` at ``at``."""

    at: datetime
    index: int


@dataclass(frozen=True, slots=True)
class VariantDecision:
    at: datetime
    decision: str  # promote, rollback
    phase: str
    reason: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A vertical marker on the charts: where the variant changed phase or ended."""

    at: datetime
    text: str


@dataclass(frozen=True)
class VariantTimeline:
    """The variant's whole run: its phase changes, decisions and result (times in the fixture's clock)."""

    label: str  # the change, as given: "spec.failureLimit=1 spec.gates[error_rate].failAbove=0.1"
    plan: Plan
    start: datetime
    changes: tuple[PhaseChange, ...]
    decisions: tuple[VariantDecision, ...]
    outcome: Outcome
    phase: str
    at: datetime
    reason: str

    def offset(self, at: datetime) -> str:
        return "+" + format_duration(at - self.start)

    def rows(self, until: datetime | None) -> tuple[PhaseRow, ...]:
        """The variant's phases as the phase panel shows them, at ``until`` (None: the whole run)."""
        ended = until is None or self.at <= until
        seen = [c for c in self.changes if until is None or c.at <= until]
        current = seen[-1].index if seen else -1
        entered = {c.index: c.at for c in seen}
        rows = []
        for i, phase in enumerate(self.plan.phases):
            elapsed: timedelta | None = None
            if i < current:
                state = PhaseState.DONE
                nxt = next((c.at for c in seen if c.index > i), None)
                elapsed = nxt - entered[i] if nxt is not None and i in entered else phase.duration
            elif i > current:  # (all of them before the variant's start)
                state = PhaseState.PENDING
            elif ended:
                state = {
                    Outcome.PROMOTED: PhaseState.DONE,
                    Outcome.ROLLED_BACK: PhaseState.ROLLED_BACK,
                    Outcome.INCOMPLETE: PhaseState.STOPPED,
                }[self.outcome]
                elapsed = self.at - entered[i]
            else:
                state = PhaseState.CURRENT
                elapsed = max(timedelta(0), until - entered[i]) if until is not None else None
            rows.append(PhaseRow(i, phase.name, phase.weight, phase.duration, elapsed, state))
        return tuple(rows)

    def marks(self, until: datetime | None) -> list[Mark]:
        """The variant's phase changes (after the first) and its end, up to ``until`` (None: all)."""
        out = [
            Mark(c.at, "≈" + clean(self.plan.phases[c.index].name, 16))
            for c in self.changes[1:]
            if until is None or c.at <= until
        ]
        if until is None or self.at <= until:
            out.append(Mark(self.at, f"≈{self.outcome.value}"))
        return out

    def where(self, until: datetime | None, short: bool = False) -> tuple[str, Outcome | None]:
        """The variant at ``until`` in a few words (``RolledBack in canary at +1m0s``, ``in expansion
        25% since +12h0m0s``; ``short``: ``RolledBack at +1m0s``, ``expansion 25%``) and its outcome
        once it has one."""
        if until is None or self.at <= until:
            where = "" if short else f" in {clean(self.phase, 24)}"
            return f"{self.outcome.value}{where} at {self.offset(self.at)}", self.outcome
        seen = [c for c in self.changes if c.at <= until]
        if not seen:
            return "not started", None
        phase = self.plan.phases[seen[-1].index]
        since = "" if short else f" since {self.offset(seen[-1].at)}"
        return f"{'' if short else 'in '}{clean(phase.name, 24)} {phase.weight}%{since}", None


def timeline_of(run: Run, label: str) -> VariantTimeline:
    """What the room needs of a replay (``backtest.replay`` with its decisions kept): a promote enters
    the next phase at once (the controller's rule), the last one ends the run Promoted."""
    plan = run.fixture.plan
    names = [p.name for p in plan.phases]
    changes = [PhaseChange(run.fixture.start, 0)]
    for d in run.decisions:
        if d.decision == "promote" and d.phase in names:
            nxt = names.index(d.phase) + 1
            if nxt < len(names):
                changes.append(PhaseChange(d.at, nxt))
    decisions = tuple(VariantDecision(d.at, d.decision, d.phase, d.reason) for d in run.decisions)
    r = run.result
    return VariantTimeline(
        label, plan, run.fixture.start, tuple(changes), decisions, Outcome(r.outcome), r.phase, r.at, r.reason
    )


def replay_variant(fixture: Fixture, label: str) -> VariantTimeline:
    """Replay ``fixture`` (the recording under the edited plan) headless, as fast as it goes: what
    ``canary-tui whatif`` replays as its variant. Blocking: the room calls it in a thread worker."""
    from ..backtest import replay

    return timeline_of(replay(fixture), label)


def base_where(plan: Plan, state: State | None, start: datetime, short: bool = False) -> tuple[str, Outcome | None]:
    """The base run in the same words as ``VariantTimeline.where``."""
    if state is None:
        return "starting", None
    phase = plan.phases[state.phase_index]
    if state.outcome is not None and state.decided_at is not None:
        at = "+" + format_duration(state.decided_at - start)
        where = "" if short else f" in {clean(phase.name, 24)}"
        return f"{state.outcome.value}{where} at {at}", state.outcome
    if short:
        return f"{clean(phase.name, 24)} {phase.weight}%", None
    return f"in {clean(phase.name, 24)} {phase.weight}% since +{format_duration(state.phase_start - start)}", None


@dataclass(frozen=True)
class WhatIf:
    """What the room is given for a variant: the change, and either its timeline (computed already)
    or the fixture to replay under the edited plan (the room replays it in a thread worker)."""

    label: str
    fixture: Fixture | None = None
    timeline: VariantTimeline | None = None

    def compute(self) -> VariantTimeline:
        if self.timeline is not None:
            return self.timeline
        assert self.fixture is not None
        return replay_variant(self.fixture, self.label)


def pending_rows(plan: Plan) -> tuple[PhaseRow, ...]:
    """The variant's rows while it is being replayed: every phase still to come (the panel keeps its height)."""
    return tuple(PhaseRow(i, p.name, p.weight, p.duration, None, PhaseState.PENDING) for i, p in enumerate(plan.phases))
