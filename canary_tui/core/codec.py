"""The rule's State as plain JSON-ready data and back: for state files, ConfigMaps and resumes."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any

from .durations import format_time, parse_time
from .events import number
from .gates import GateResult, Status
from .model import Plan
from .rule import Evaluation, Outcome, State

STATE_VERSION = 1


def state_to_dict(state: State) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": STATE_VERSION,
        "startedAt": format_time(state.started_at),
        "phaseIndex": state.phase_index,
        "phaseStart": format_time(state.phase_start),
        "fails": dict(state.fails),
        "nodata": dict(state.nodata),
        "held": state.held,
        "heldBy": state.held_by,
        "outcome": state.outcome.value if state.outcome else None,
        "decidedAt": format_time(state.decided_at) if state.decided_at else None,
        "reason": state.reason,
        "evaluations": state.evaluations,
        "last": evaluation_to_dict(state.last) if state.last else None,
    }
    return out


def evaluation_to_dict(e: Evaluation) -> dict[str, Any]:
    return {
        "at": format_time(e.at),
        "phaseIndex": e.phase_index,
        "healthScore": e.health_score,
        "gates": [
            {
                "name": r.name,
                "status": r.status.value,
                "canary": number(r.canary),
                "stable": number(r.stable),
                "reason": r.reason,
                "fails": r.fails,
                "nodata": r.nodata,
            }
            for r in e.results
        ],
    }


def state_from_dict(data: dict[str, Any], plan: Plan) -> State:
    """Rebuild a State; raises ValueError when the data does not fit the plan (edited, other plan)."""
    try:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {data.get('version')!r}")
        names = {g.name for g in plan.gates}
        fails = {str(k): int(v) for k, v in data["fails"].items()}
        nodata = {str(k): int(v) for k, v in data["nodata"].items()}
        if set(fails) != names or set(nodata) != names:
            raise ValueError("the state's gates are not the plan's gates")
        index = int(data["phaseIndex"])
        if not 0 <= index < len(plan.phases):
            raise ValueError(f"phase index {index} is not in the plan")
        last = data.get("last")
        if last and not 0 <= int(last["phaseIndex"]) < len(plan.phases):
            raise ValueError("the last evaluation's phase is not in the plan")
        return State(
            started_at=parse_time(data["startedAt"]),
            phase_index=index,
            phase_start=parse_time(data["phaseStart"]),
            fails=MappingProxyType(fails),
            nodata=MappingProxyType(nodata),
            held=bool(data.get("held", False)),
            held_by=data.get("heldBy"),
            outcome=Outcome(data["outcome"]) if data.get("outcome") else None,
            decided_at=_time(data.get("decidedAt")),
            reason=str(data.get("reason") or ""),
            evaluations=int(data["evaluations"]),
            last=evaluation_from_dict(last, plan) if last else None,
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"malformed state: {e!r}") from None


def evaluation_from_dict(data: dict[str, Any], plan: Plan) -> Evaluation:
    index = int(data["phaseIndex"])
    return Evaluation(
        at=parse_time(data["at"]),
        phase=plan.phases[index].name,
        phase_index=index,
        health_score=float(data["healthScore"]),
        results=tuple(
            GateResult(
                name=g["name"],
                status=Status(g["status"]),
                canary=_num(g.get("canary")),
                stable=_num(g.get("stable")),
                reason=g.get("reason", ""),
                fails=int(g.get("fails", 0)),
                nodata=int(g.get("nodata", 0)),
            )
            for g in data["gates"]
        ),
    )


def _time(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def _num(x: Any) -> float | None:
    if x is None:
        return None
    if x == "+Inf":
        return float("inf")
    if x == "-Inf":
        return float("-inf")
    return float(x)
