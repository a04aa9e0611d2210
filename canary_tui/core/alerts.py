"""The loud line of a release whose metrics are gone: every query gate ``nodata`` for want of an answer."""

from __future__ import annotations

from .durations import format_duration
from .gates import Status
from .model import GateSource, Plan
from .rule import State

UNAVAILABLE = "metrics unavailable: "
# Reasons that are answers (the data's shape), not a missing backend: a canary with no traffic yet
# answers "empty result"; that is for the gate to judge, not a metrics outage to shout about.
ANSWERS = ("empty result", "NaN", "query returned", "range vector result", "string result", "warming up")


def metrics_alert(plan: Plan, state: State) -> str | None:
    """``metrics unavailable: <reason> ...; rollback in <time> if it persists`` when the last evaluation
    had every query gate ``nodata`` for lack of an answer (Prometheus down, too slow, refusing), with the
    time left before ``noDataLimit`` rolls back; None otherwise, and once the release has ended."""
    last = state.last
    if last is None or state.done:
        return None
    names = {g.name for g in plan.gates if g.source is GateSource.PROMETHEUS}
    results = [r for r in last.results if r.name in names]
    if not results or any(r.status is not Status.NODATA for r in results):
        return None
    reasons = list(dict.fromkeys(r.reason.removeprefix("stable: ") for r in results))
    if any(reason.startswith(ANSWERS) for reason in reasons):
        return None
    left = max(0, plan.no_data_limit - max(r.nodata for r in results))
    why = reasons[0] if len(reasons) == 1 else "; ".join(reasons[:2]) + ("; ..." if len(reasons) > 2 else "")
    count = f"all {len(results)} query gates" if len(results) > 1 else "the query gate"
    return (
        f"{UNAVAILABLE}{why} ({count} nodata, {plan.no_data_limit - left}/{plan.no_data_limit}); "
        f"rollback in {format_duration(plan.interval * left)} if it persists"
    )
