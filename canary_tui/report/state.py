"""A report's release from a state file: the summary, the recent events and the last evaluation only."""

from __future__ import annotations

from typing import Any

from ..core.durations import format_time
from . import plan as plans
from .load import EVENT_KINDS, num, parse_at
from .model import GatePlan, GateSeries, LogEvent, Release, status_code

HISTORY_LIMIT = 200  # what canary_tui.statefile keeps


def from_state(doc: dict[str, Any], where: str) -> Release:
    outline: dict[str, Any] = _dict(doc.get("plan"))
    plan = plans.from_outline(outline)
    state: dict[str, Any] = _dict(doc.get("state"))
    start = {
        "mode": doc.get("mode"),
        "plan": outline.get("name"),
        "driver": doc.get("driver"),
        "evaluations": state.get("evaluations"),
    }
    release = Release(path=where, kind="state", run=None, plan=plan, start=start, history=False)
    release.notes.append(
        "made from a state file, which keeps the state, the recent events and the last evaluation but no "
        "evaluation history: there are no charts. A report from the run's audit log has them."
    )
    history: list[Any] = doc.get("history") or []
    if not isinstance(history, list):
        history = []
    if len(history) >= HISTORY_LIMIT:
        release.notes.append(f"the state file keeps only the last {HISTORY_LIMIT} events; older ones are not shown")
    for item in history:
        if isinstance(item, dict) and item.get("type") in EVENT_KINDS:
            release.events.append(LogEvent(str(item["type"]), parse_at(item.get("at")), item))
            if item["type"] == "result":
                release.result = item
    if release.result is None and state.get("outcome"):
        release.result = {
            "type": "result",
            "outcome": state.get("outcome"),
            "phase": _phase_name(plan, state.get("phaseIndex")),
            "at": state.get("decidedAt"),
            "reason": state.get("reason") or "",
        }
    if release.result is None:
        release.notes.append("the release had no outcome yet when the state file was written")
    last = state.get("last")
    if isinstance(last, dict):
        _last_evaluation(release, last, plan)
    if plan is not None and not plan.gates:
        plan.gates = [GatePlan(name) for name in release.gates]
    pods = doc.get("pods")
    release.pods = [p for p in pods if isinstance(p, dict)] if isinstance(pods, list) else None
    if not release.events and release.last is None and release.result is None:
        release.notes.append("the state file holds nothing about the release yet")
    started = parse_at(state.get("startedAt"))
    if started is not None and not any(e.kind == "phase" for e in release.events):
        release.start["startedAt"] = format_time(started)
    return release


def _last_evaluation(release: Release, last: dict[str, Any], plan: Any) -> None:
    at = parse_at(last.get("at"))
    found = last.get("gates")
    gates: list[Any] = found if isinstance(found, list) else []
    phase = _phase_name(plan, last.get("phaseIndex"))
    # the same shape as an evaluation line of the log, for the table of the last evaluation
    release.last = {
        "type": "evaluation",
        "at": last.get("at"),
        "phase": phase,
        "healthScore": last.get("healthScore"),
        "gates": {
            str(g.get("name")): {
                "status": g.get("status"),
                "canary": g.get("canary"),
                "stable": g.get("stable"),
                "reason": g.get("reason") or "",
                "fails": g.get("fails"),
                "nodata": g.get("nodata"),
            }
            for g in gates
            if isinstance(g, dict)
        },
    }
    if at is None:
        return
    release.times.append(at.timestamp())
    index = last.get("phaseIndex")
    release.phase_of.append(index if isinstance(index, int) and 0 <= index < 32000 else -1)
    release.health.append(num(last.get("healthScore")))
    for name, g in release.last["gates"].items():
        s = GateSeries(name)
        s.status.append(status_code(g.get("status")))
        s.canary.append(num(g.get("canary")))
        s.stable.append(num(g.get("stable")))
        release.gates[name] = s


def _phase_name(plan: Any, index: Any) -> str:
    if plan is not None and isinstance(index, int) and 0 <= index < len(plan.phases):
        return str(plan.phases[index].name)
    return "" if index is None else f"#{index}"


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}
