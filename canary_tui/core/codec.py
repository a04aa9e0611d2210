"""The rule's State as plain JSON-ready data and back: for state files, ConfigMaps and resumes."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any

from .checks import CheckResult
from .durations import format_time, parse_time
from .events import number
from .gates import GateResult, Status
from .judges.codec import judges_from_dict, judges_to_dict, stats_from_dict, stats_to_dict
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
    if state.check_fails or state.check_nodata or state.checks_passed:
        out["checkFails"] = dict(state.check_fails)
        out["checkNodata"] = dict(state.check_nodata)
        out["checksPassed"] = sorted(state.checks_passed)
    if state.judges:
        out["judges"] = judges_to_dict(state.judges)
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
                **({"warnings": list(r.warnings)} if r.warnings else {}),
                **({"stats": stats_to_dict(r.stats)} if r.stats is not None else {}),
            }
            for r in e.results
        ],
        "checks": [
            {"name": c.name, "status": c.status.value, "reason": c.reason, "fails": c.fails, "nodata": c.nodata}
            for c in e.checks
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
            check_fails=MappingProxyType({str(k): int(v) for k, v in data.get("checkFails", {}).items()}),
            check_nodata=MappingProxyType({str(k): int(v) for k, v in data.get("checkNodata", {}).items()}),
            checks_passed=frozenset(str(x) for x in data.get("checksPassed", [])),
            judges=MappingProxyType(judges_from_dict(data.get("judges") or {}, plan.judges(index))),
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
                canary=json_number(g.get("canary")),
                stable=json_number(g.get("stable")),
                reason=g.get("reason", ""),
                fails=int(g.get("fails", 0)),
                nodata=int(g.get("nodata", 0)),
                warnings=tuple(str(w) for w in g.get("warnings", ())),
                stats=stats_from_dict(g.get("stats")),
            )
            for g in data["gates"]
        ),
        checks=tuple(
            CheckResult(
                c["name"], Status(c["status"]), c.get("reason", ""), int(c.get("fails", 0)), int(c.get("nodata", 0))
            )
            for c in data.get("checks", [])
        ),
    )


def _time(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def json_number(x: Any) -> float | None:
    """A number as the contract writes it (``+Inf``/``-Inf`` as strings, null as missing)."""
    if x is None:
        return None
    if x == "+Inf":
        return float("inf")
    if x == "-Inf":
        return float("-inf")
    return float(x)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as a CanaryPlan document (defaults written out): for reports and audit logs."""
    from .durations import format_duration
    from .model import THRESHOLD_KEYS, GateSource

    def levels(obj: Any) -> dict[str, Any]:
        return {key: getattr(obj, attr) for key, attr in THRESHOLD_KEYS.items() if getattr(obj, attr) is not None}

    def side(v: Any) -> dict[str, str]:
        return {"version": v.version, "deployment": v.deployment, "subset": v.subset}

    traffic: dict[str, Any] = {"router": plan.traffic.router.value}
    for key, value in (
        ("virtualService", plan.traffic.virtual_service),
        ("route", plan.traffic.route),
        ("httpRoute", plan.traffic.http_route),
        ("replicas", plan.traffic.replicas),
    ):
        if value is not None:
            traffic[key] = value
    metrics: dict[str, Any] = {"provider": plan.metrics.provider.value}
    if plan.metrics.address:
        metrics["address"] = plan.metrics.address
    gates = []
    for g in plan.gates:
        gate: dict[str, Any] = {"name": g.name}
        if g.source is GateSource.PODS:
            gate.update(source="pods", signal=g.signal.value if g.signal else None)
        elif g.judge is not None:
            gate.update(judge_to_dict(g.judge, g.query))
        else:
            gate["query"] = g.query
        if g.unit:
            gate["unit"] = g.unit
        gate.update(levels(g.thresholds))
        gate["weight"] = g.weight
        gates.append(gate)
    phases = []
    for p in plan.phases:
        phase: dict[str, Any] = {"name": p.name, "weight": p.weight, "duration": format_duration(p.duration)}
        if p.overrides:
            phase["gates"] = {name: dict(o) for name, o in p.overrides.items()}
        phases.append(phase)
    spec: dict[str, Any] = {
        "service": plan.service,
        "stable": side(plan.stable),
        "canary": side(plan.canary),
        "traffic": traffic,
        "metrics": metrics,
        "interval": format_duration(plan.interval),
        "failureLimit": plan.failure_limit,
        "noDataLimit": plan.no_data_limit,
        "minHealthScore": plan.min_health_score,
        "promotion": plan.promotion.value,
        "phases": phases,
        "gates": gates,
    }
    if plan.checks:
        spec["checks"] = [_check_to_dict(c) for c in plan.checks]
    if plan.notify:
        # webhook URLs are left out: even their ${VAR} templates say where a team's alerts go
        spec["notify"] = [
            {"name": n.name, "format": n.format.value, "events": sorted(n.events)}
            | ({"urlEnv": n.url_env} if n.url_env else {})
            for n in plan.notify
        ]
    return {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "CanaryPlan",
        "metadata": {"name": plan.name, "namespace": plan.namespace},
        "spec": spec,
    }


def judge_to_dict(j: Any, query: str | None) -> dict[str, Any]:
    from .durations import format_duration
    from .model import CountsJudge

    if isinstance(j, CountsJudge):
        return {
            "judge": "counts",
            "errors": j.errors,
            "requests": j.requests,
            "maxRatio": j.max_ratio,
            "alpha": j.alpha,
        }
    return {
        "judge": "mann-whitney",
        "query": query,
        "window": format_duration(j.window),
        "direction": j.direction.value,
        "allowedChange": j.allowed_change,
        "confidence": j.confidence,
        "minSamples": j.min_samples,
    }


def _check_to_dict(c: Any) -> dict[str, Any]:
    from .durations import format_duration

    out: dict[str, Any] = {"name": c.name, "when": c.when.value, "timeout": format_duration(c.timeout)}
    if c.phases is not None:
        out["phases"] = list(c.phases)
    if c.http is not None:
        http: dict[str, Any] = {"url": c.http.url, "method": c.http.method, "expectStatus": c.http.expect_status}
        if c.http.body_contains:
            http["bodyContains"] = c.http.body_contains
        if c.http.headers:
            http["headers"] = dict(c.http.headers)
        out["http"] = http
    if c.command is not None:
        out["command"] = {"argv": list(c.command.argv)}
    return out
