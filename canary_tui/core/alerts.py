"""The loud line of a release whose metrics are gone (every query gate ``nodata`` for want of an
answer), and when it is news: notifications hear when it starts, when its reasons change and when
it ends; the screen and the logs say it at every evaluation, with the time left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .durations import format_duration
from .gates import Status
from .model import GateSource, Plan
from .rule import State

UNAVAILABLE = "metrics unavailable: "
AVAILABLE = "metrics available again: "
# Reasons that are answers (the data's shape), not a missing backend: a canary with no traffic yet
# answers "empty result"; that is for the gate to judge, not a metrics outage to shout about.
ANSWERS = ("empty result", "NaN", "query returned", "range vector result", "string result", "warming up")


@dataclass(frozen=True)
class Blind:
    """The last evaluation had every query gate ``nodata`` for want of an answer."""

    reasons: tuple[str, ...]  # distinct, in gate order ("stable: " dropped)
    gates: int  # query gates
    count: int  # consecutive nodata of the gate nearest to noDataLimit
    limit: int  # noDataLimit
    interval: timedelta

    @property
    def text(self) -> str:
        """``metrics unavailable: <reasons> (all 2 query gates nodata, 1/3); rollback in 2s if it persists``."""
        rs = self.reasons
        why = rs[0] if len(rs) == 1 else "; ".join(rs[:2]) + ("; ..." if len(rs) > 2 else "")
        which = f"all {self.gates} query gates" if self.gates > 1 else "the query gate"
        left = max(0, self.limit - self.count)
        return (
            f"{UNAVAILABLE}{why} ({which} nodata, {self.limit - left}/{self.limit}); "
            f"rollback in {format_duration(self.interval * left)} if it persists"
        )


def blindness(plan: Plan, state: State) -> Blind | None:
    """A Blind when the last evaluation had every query gate ``nodata`` for lack of an answer
    (Prometheus down, too slow, refusing), whatever the reasons; None otherwise (pod gates do not
    count), and once the release has ended."""
    last = state.last
    if last is None or state.done:
        return None
    names = {g.name for g in plan.gates if g.source is GateSource.PROMETHEUS}
    results = [r for r in last.results if r.name in names]
    if not results or any(r.status is not Status.NODATA for r in results):
        return None
    reasons = tuple(dict.fromkeys(r.reason.removeprefix("stable: ") for r in results))
    if any(reason.startswith(ANSWERS) for reason in reasons):
        return None
    count = min(plan.no_data_limit, max(r.nodata for r in results))
    return Blind(reasons, len(results), count, plan.no_data_limit, plan.interval)


def metrics_alert(plan: Plan, state: State) -> str | None:
    """The alert's line after the last evaluation (see ``blindness``), None when there is none."""
    blind = blindness(plan, state)
    return blind.text if blind is not None else None


def alert_line(before: Blind | None, now: Blind | None, blind_for: int, ended: bool) -> tuple[str, bool] | None:
    """What to say about the metrics after an evaluation, and whether notifications (webhooks,
    Kubernetes Events) carry it: they do when the alert starts, when its set of reasons changes and
    when it ends; every other blind evaluation's line is for the screen and the logs only.
    ``blind_for``: the evaluations ``before`` lasted; ``ended``: the release ended at this evaluation
    (its result says the rest). None: nothing to say."""
    if now is not None:
        return now.text, before is None or set(before.reasons) != set(now.reasons)
    if before is None or ended:
        return None
    was = "; ".join(before.reasons[:2]) + ("; ..." if len(before.reasons) > 2 else "")
    n = f"{blind_for} evaluation{'s' if blind_for != 1 else ''}"
    return f"{AVAILABLE}query gates have data after {n} without ({was})", True
