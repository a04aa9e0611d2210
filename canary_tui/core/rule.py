"""The decision rule (contract section 2) as a pure state machine: no I/O, no clock of its own.

``start`` enters phase 0 at t0; ``advance`` applies one evaluation (or, with no readings, only
operator actions) and returns the new state with the events that explain it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from .checks import CheckOutcome, judge_checks
from .checks import breach as check_breach
from .durations import format_duration
from .events import ActionTaken, Decided, Evaluated, Event, Finished, PhaseEntered
from .gates import GateResult, Reading, Status, fmt, judge
from .judges import JudgeState
from .judges import evaluate as evaluate_judge
from .model import Plan, Promotion


class Outcome(StrEnum):
    PROMOTED = "Promoted"
    ROLLED_BACK = "RolledBack"
    INCOMPLETE = "Incomplete"


class ActionKind(StrEnum):
    HOLD = "hold"
    RESUME = "resume"
    ROLLBACK = "rollback"
    PROMOTE = "promote"


_PASS, _FAIL, _NODATA = Status.PASS, Status.FAIL, Status.NODATA
_EMPTY = Reading()
_new = tuple.__new__  # GateResult(...) without its keyword handling: what NamedTuple._make does
assert GateResult._fields == ("name", "status", "canary", "stable", "reason", "fails", "nodata", "warnings", "stats")


def _no_counts() -> Mapping[str, int]:
    return MappingProxyType({})


def _no_judges() -> Mapping[str, JudgeState]:
    return MappingProxyType({})


EXIT_CODES = {Outcome.PROMOTED: 0, Outcome.ROLLED_BACK: 1, Outcome.INCOMPLETE: 3}


@dataclass(frozen=True, slots=True)
class Action:
    """An operator action: from a key press, a CLI command, or a fixture's ``actions:``."""

    at: datetime
    kind: ActionKind
    actor: str


Evaluation = Evaluated  # what State.last holds: the last evaluation's event


@dataclass(frozen=True, slots=True)
class State:
    """Everything the rule remembers between evaluations; small enough to persist each time."""

    started_at: datetime
    phase_index: int
    phase_start: datetime
    fails: Mapping[str, int]
    nodata: Mapping[str, int]
    held: bool = False
    held_by: str | None = None
    outcome: Outcome | None = None
    decided_at: datetime | None = None
    reason: str = ""
    evaluations: int = 0
    last: Evaluation | None = None
    check_fails: Mapping[str, int] = field(default_factory=_no_counts)
    check_nodata: Mapping[str, int] = field(default_factory=_no_counts)
    checks_passed: frozenset[str] = frozenset()  # "enter" checks passed in the current phase
    judges: Mapping[str, JudgeState] = field(default_factory=_no_judges)  # judge gates' evidence so far

    def canary_weight(self, plan: Plan) -> int:
        """Percent of traffic to the canary; stable gets the rest, so the two always sum to 100."""
        if self.outcome is Outcome.ROLLED_BACK:
            return 0
        if self.outcome is Outcome.PROMOTED:
            return 100
        return plan.phases[self.phase_index].weight

    def stable_weight(self, plan: Plan) -> int:
        return 100 - self.canary_weight(plan)

    @property
    def done(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True, slots=True)
class Step:
    state: State
    events: tuple[Event, ...]


def start(plan: Plan, t0: datetime) -> Step:
    """The rollout starts: phase 0 is entered and its weight set."""
    zero = MappingProxyType({g.name: 0 for g in plan.gates})
    state = State(started_at=t0, phase_index=0, phase_start=t0, fails=zero, nodata=zero)
    first = plan.phases[0]
    return Step(state, (PhaseEntered(t0, first.name, 0, first.weight),))


def next_evaluation(plan: Plan, state: State) -> datetime:
    """t_k = t0 + k * interval for the next k."""
    return state.started_at + state.evaluations * plan.interval


def advance(
    state: State,
    plan: Plan,
    now: datetime,
    actions: Iterable[Action] = (),
    readings: Mapping[str, Reading] | None = None,
    checks: Mapping[str, CheckOutcome] | None = None,
    may_promote: bool = True,
) -> Step:
    """Apply operator actions due by ``now``, then, given readings, one evaluation (steps 1-4).
    ``checks``: the outcomes of the phase checks due now (``core.checks.checks_due``).
    ``may_promote`` False skips step 4: the controller passes it while the cluster has not taken
    the current weight yet, since time at a weight that was never applied is no soak."""
    events: list[Event] = []
    for action in actions:
        state = _apply_action(state, plan, action, now, events)
    if readings is None or state.done:
        return Step(state, tuple(events))

    # 2. evaluate every gate with the current phase's thresholds. The counts' mappings stay the
    # state's own while no count moves (most evaluations of a healthy release): no copy, no new proxy.
    old_fails, old_nodata = state.fails, state.nodata
    fails: dict[str, int] | None = None
    nodata: dict[str, int] = {}
    results = []
    weighted = total = 0.0
    clean = True  # no gate in fail or nodata
    get = readings.get
    new = _new
    judges = plan.judges(state.phase_index)
    judged_states = dict(state.judges) if judges else None
    for name, thresholds, unit, weight in plan.rows(state.phase_index):
        r = get(name, _EMPTY)
        if judges and name in judges:
            assert judged_states is not None
            j = evaluate_judge(name, judges[name], judged_states.get(name), r, now, state.evaluations + 1)
            judged_states[name] = j.state
            status, reason, canary, stable, stats = j.status, j.reason, j.canary, j.stable, j.stats
            warming = status is _NODATA and not j.counts_nodata
        else:
            status, reason = judge(name, thresholds, r, unit)
            canary, stable, stats, warming = r[0], r[1], None, False
        if status is _PASS:
            f = n = 0
            weighted += weight
        elif warming:  # a judge warming up: nodata that does not count toward noDataLimit
            f, n, clean = 0, old_nodata[name], False
        elif status is _FAIL:
            f, n, clean = old_fails[name] + 1, 0, False
        elif status is _NODATA:
            f, n, clean = 0, old_nodata[name] + 1, False
        else:
            f = n = 0
            weighted += weight * 0.5
        results.append(new(GateResult, (name, status, canary, stable, reason, f, n, r[4], stats)))
        total += weight
        if fails is None:
            try:
                if f == old_fails[name] and n == old_nodata[name]:
                    continue
            except KeyError:  # a state that never counted this gate (one read back from elsewhere)
                pass
            fails, nodata = dict(old_fails), dict(old_nodata)
        fails[name], nodata[name] = f, n
    fails_map = MappingProxyType(fails) if fails is not None else old_fails
    nodata_map = MappingProxyType(nodata) if fails is not None else old_nodata
    score = round(100.0 * weighted / total, 2) if total else 0.0
    phase = plan.phases[state.phase_index]
    judged = judge_checks(state, plan, now, checks) if plan.checks else None
    evaluation = Evaluated(now, phase.name, score, tuple(results), state.phase_index, judged.results if judged else ())
    state = State(
        started_at=state.started_at,
        phase_index=state.phase_index,
        phase_start=state.phase_start,
        fails=fails_map,
        nodata=nodata_map,
        held=state.held,
        held_by=state.held_by,
        evaluations=state.evaluations + 1,
        last=evaluation,
        check_fails=MappingProxyType(judged.fails) if judged else state.check_fails,
        check_nodata=MappingProxyType(judged.nodata) if judged else state.check_nodata,
        checks_passed=judged.passed if judged else state.checks_passed,
        judges=MappingProxyType(judged_states) if judged_states is not None else state.judges,
    )
    if judged is not None and not (judged.clean and judged.ready):
        blocked_by_checks = True
        clean = clean and judged.clean
    else:
        blocked_by_checks = False
    events.append(evaluation)

    # 3. rollback
    breaches = (
        []
        if clean
        else [
            _breach_reason(r, plan) for r in results if r.fails >= plan.failure_limit or r.nodata >= plan.no_data_limit
        ]
    )
    if judged is not None:
        breaches += [b for c in judged.results if (b := check_breach(c, plan.failure_limit, plan.no_data_limit))]
    if breaches:
        return Step(
            _finish(state, plan, Outcome.ROLLED_BACK, now, "; ".join(breaches), events, "rollback"), tuple(events)
        )

    # 4. promotion
    soaked = now - state.phase_start
    if (
        may_promote
        and not state.held
        and plan.promotion is Promotion.AUTO
        and soaked >= phase.duration
        and clean
        and not blocked_by_checks
        and score >= plan.min_health_score
    ):
        reason = (
            f"{phase.name} soaked {format_duration(soaked)}; {'gates and checks' if plan.checks else 'gates'} pass; "
            f"health {fmt(score)} >= {fmt(plan.min_health_score)}"
        )
        state = _promote(state, plan, now, reason, events)
    return Step(state, tuple(events))


def finish_incomplete(state: State, plan: Plan, at: datetime, reason: str) -> Step:
    """The run ends before an outcome (samples ran out, the operator quit): Incomplete."""
    events: list[Event] = []
    if state.done:
        return Step(state, ())
    return Step(_finish(state, plan, Outcome.INCOMPLETE, at, reason, events, None), tuple(events))


def waiting_for(state: State, plan: Plan, now: datetime) -> str:
    """What the controller waits for, in words: for the screen's status line."""
    if state.outcome is not None:
        return f"{state.outcome.value}: {state.reason}"
    last = state.last
    if last is not None:
        bad = [r for r in last.results if r.status is Status.FAIL]
        if bad:
            r = bad[0]
            return f"{r.reason} ({r.fails}/{plan.failure_limit} fails)"
        gaps = [r for r in last.results if r.status is Status.NODATA]
        if gaps:
            r = gaps[0]
            return f"waiting for data: {r.name} {r.reason} ({r.nodata}/{plan.no_data_limit})"
        for c in last.checks:
            if c.status is Status.FAIL:
                return f"check {c.name} failing: {c.reason} ({c.fails}/{plan.failure_limit} fails)"
            if c.status is Status.NODATA:
                return f"check {c.name} gave no result: {c.reason} ({c.nodata}/{plan.no_data_limit})"
    if state.held:
        return f"held by {state.held_by}" if state.held_by else "held"
    phase = plan.phases[state.phase_index]
    if plan.promotion is Promotion.MANUAL:
        return "waiting for an operator promote (manual promotion)"
    if last is not None and last.health_score < plan.min_health_score:
        return f"health {fmt(last.health_score)} < {fmt(plan.min_health_score)}: promotion blocked"
    left = phase.duration - (now - state.phase_start)
    step = "finishes" if state.phase_index == len(plan.phases) - 1 else "promotes"
    if left <= timedelta(0):
        return f"{step} at the next evaluation"
    return f"{step} in {format_duration(left)}"


# --------------------------------------------------------------------------- helpers


def _apply_action(state: State, plan: Plan, action: Action, now: datetime, events: list[Event]) -> State:
    kind = action.kind

    def taken(accepted: bool, reason: str = "") -> None:
        events.append(ActionTaken(now, kind.value, action.actor, accepted, reason))

    if state.done:
        taken(False, f"the release is already {state.outcome.value if state.outcome else ''}")
        return state
    if kind is ActionKind.HOLD:
        if state.held:
            taken(False, f"already held by {state.held_by}")
            return state
        taken(True)
        return replace(state, held=True, held_by=action.actor)
    if kind is ActionKind.RESUME:
        if not state.held:
            taken(False, "not held")
            return state
        taken(True)
        return replace(state, held=False, held_by=None)
    if kind is ActionKind.ROLLBACK:
        taken(True)
        return _finish(state, plan, Outcome.ROLLED_BACK, now, f"rolled back by {action.actor}", events, "rollback")
    # promote
    why = promote_refusal(state)
    if why is not None:
        taken(False, why)
        return state
    taken(True)
    return _promote(state, plan, now, f"promoted by {action.actor}", events)


def promote_refusal(state: State) -> str | None:
    """Why an operator's promote is refused in ``state`` (the previous evaluation had a failing gate
    or check), or None: what the control room asks before it says "sent"."""
    if state.last is None or not state.last.any_fail:
        return None
    failing = [r.reason for r in state.last.results if r.status is Status.FAIL]
    failing += [f"check {c.name}: {c.reason}" for c in state.last.checks if c.status is Status.FAIL]
    return "the previous evaluation had a failing gate: " + "; ".join(failing)


def _promote(state: State, plan: Plan, now: datetime, reason: str, events: list[Event]) -> State:
    phase = plan.phases[state.phase_index]
    events.append(Decided(now, "promote", phase.name, reason))
    if state.phase_index == len(plan.phases) - 1:
        return _finish(state, plan, Outcome.PROMOTED, now, reason, events, None)
    index = state.phase_index + 1
    nxt = plan.phases[index]
    events.append(PhaseEntered(now, nxt.name, index, nxt.weight))
    return replace(state, phase_index=index, phase_start=now, checks_passed=frozenset())


def _finish(
    state: State,
    plan: Plan,
    outcome: Outcome,
    now: datetime,
    reason: str,
    events: list[Event],
    decision: str | None,
) -> State:
    phase = plan.phases[state.phase_index]
    if decision:
        events.append(Decided(now, decision, phase.name, reason))
    state = replace(state, outcome=outcome, decided_at=now, reason=reason)
    events.append(Finished(outcome.value, phase.name, now, now - state.started_at, reason))
    return state


def _breach_reason(res: GateResult, plan: Plan) -> str:
    if res.fails >= plan.failure_limit:
        return f"{res.reason} for {res.fails} consecutive evaluations"
    return f"{res.name} no data for {res.nodata} consecutive evaluations ({res.reason})"
