"""Phase checks in the decision rule: which are due at an evaluation, and how their results count.

A check is due, in a phase it applies to, when ``when: enter`` and it has not passed in this phase
yet, or when ``when: promote`` and the phase's soak is served. A due check that fails counts like a
failing gate (its own consecutive count against failureLimit); one with no result counts like
``nodata`` (against noDataLimit). Checks are left out of the health score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .extensions import Check, CheckWhen
from .gates import Status

if TYPE_CHECKING:
    from .model import Plan
    from .rule import State


class CheckOutcome(NamedTuple):
    """What running a check gave: ``ok`` True/False, or None when there is no result."""

    ok: bool | None
    reason: str = ""


class CheckResult(NamedTuple):
    """One check at one evaluation: pass, fail, nodata, or skip (not due), with its counts after."""

    name: str
    status: Status
    reason: str
    fails: int = 0
    nodata: int = 0


@dataclass(frozen=True, slots=True)
class Judged:
    results: tuple[CheckResult, ...]
    fails: dict[str, int]
    nodata: dict[str, int]
    passed: frozenset[str]
    clean: bool  # no check failing or without result
    ready: bool  # every check this phase needs before a promotion has passed


def checks_due(state: State, plan: Plan, now: datetime) -> tuple[Check, ...]:
    """The checks to run at the evaluation at ``now``."""
    phase = plan.phases[state.phase_index]
    soaked = now - state.phase_start >= phase.duration
    due = []
    for c in plan.checks:
        if not c.applies(phase.name):
            continue
        if (c.when is CheckWhen.ENTER and c.name not in state.checks_passed) or (
            c.when is CheckWhen.PROMOTE and soaked
        ):
            due.append(c)
    return tuple(due)


def judge_checks(state: State, plan: Plan, now: datetime, outcomes: Mapping[str, CheckOutcome] | None) -> Judged:
    phase = plan.phases[state.phase_index]
    due = {c.name for c in checks_due(state, plan, now)}
    fails = dict(state.check_fails)
    nodata = dict(state.check_nodata)
    passed = set(state.checks_passed)
    results = []
    clean = ready = True
    for c in plan.checks:
        name = c.name
        f, n = fails.get(name, 0), nodata.get(name, 0)
        if not c.applies(phase.name):
            results.append(CheckResult(name, Status.SKIP, f"not run in {phase.name}", f, n))
            continue
        if name not in due:
            reason = "passed in this phase" if name in passed else "runs once the soak is served"
            results.append(CheckResult(name, Status.SKIP, reason, f, n))
            if c.when is CheckWhen.ENTER and name not in passed:
                ready = False
            if c.when is CheckWhen.PROMOTE:
                ready = False
            continue
        outcome = (outcomes or {}).get(name)
        if outcome is None or outcome.ok is None:
            f, n = 0, n + 1
            status, reason = Status.NODATA, (outcome.reason if outcome and outcome.reason else "no result")
        elif outcome.ok:
            f, n = 0, 0
            status, reason = Status.PASS, outcome.reason
            passed.add(name)
        else:
            f, n = f + 1, 0
            status, reason = Status.FAIL, outcome.reason or "failed"
        if status is not Status.PASS:
            clean = ready = False
        fails[name], nodata[name] = f, n
        results.append(CheckResult(name, status, reason, f, n))
    return Judged(tuple(results), fails, nodata, frozenset(passed), clean, ready)


def breach(result: CheckResult, failure_limit: int, no_data_limit: int) -> str | None:
    """The rollback reason when this check reached a limit, else None."""
    if result.fails >= failure_limit:
        return f"check {result.name} failed for {result.fails} consecutive evaluations ({result.reason})"
    if result.nodata >= no_data_limit:
        return f"check {result.name} had no result for {result.nodata} consecutive evaluations ({result.reason})"
    return None
