"""The plan's phase checks as the gate table shows them, from the last evaluation. Pure Python, no Textual."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.gates import Status
from ..core.model import Plan
from ..core.rule import State
from ..sanitize import clean

REASON_LIMIT = 300


@dataclass(frozen=True, slots=True)
class CheckRow:
    """A phase check: its last result (None before the first evaluation) and consecutive counts."""

    name: str
    when: str
    status: Status | None = None
    reason: str = ""
    fails: int = 0
    nodata: int = 0


def check_rows(plan: Plan, state: State | None) -> tuple[CheckRow, ...]:
    """One row per check of the plan, in the plan's order."""
    last = state.last if state is not None else None
    results = {c.name: c for c in last.checks} if last is not None else {}
    rows = []
    for check in plan.checks:
        r = results.get(check.name)
        if r is None:
            rows.append(CheckRow(check.name, check.when.value))
        else:
            reason = clean(r.reason, REASON_LIMIT)
            rows.append(CheckRow(check.name, check.when.value, r.status, reason, r.fails, r.nodata))
    return tuple(rows)
