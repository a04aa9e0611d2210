"""PrometheusRule entries for judge gates: a rule cannot run a sequential test or a U test, so each
judge gets its signal recorded per track and the nearest threshold alert (canary vs stable x ratio)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..core.durations import format_short
from ..core.model import CountsJudge, Direction, Gate, MannWhitneyJudge, Plan

NOTE = (
    "judge gates ({names}): Prometheus cannot run canary-tui's statistical test, so their alerts "
    "are the nearest fixed threshold (canary above stable x maxRatio, or x 1+allowedChange), "
    "held failureLimit intervals; canary-tui's own decisions come from the test"
)


def judge_records(plan: Plan, gate: Gate, namespace: str, base: dict[str, str]) -> list[dict[str, Any]]:
    """The judged signal per track: the error ratio over the interval (counts) or the query (mann-whitney)."""
    p = replace(plan, namespace=namespace)
    out = []
    for track, v in (("canary", plan.canary), ("stable", plan.stable)):
        j = gate.judge
        if isinstance(j, CountsJudge):
            expr = f"({p.render(j.errors, v.version)}) / ({p.render(j.requests, v.version)})"
        else:
            assert gate.query is not None
            expr = p.render(gate.query, v.version)
        out.append(
            {
                "record": f"canary_tui:{gate.name}",
                "expr": expr,
                "labels": {**base, "version": v.version, "track": track},
            }
        )
    return out


def judge_alerts(plan: Plan, gate: Gate, series: tuple[str, str], labels: dict[str, str]) -> list[dict[str, Any]]:
    """The nearest threshold alert of a judge gate (first phase's parameters), marked as an approximation."""
    j = plan.judges(0)[gate.name] if plan.judges_by_phase else gate.judge
    hold = format_short(plan.interval * plan.failure_limit)
    canary, stable = series
    name = "".join(part.capitalize() for part in gate.name.split("_"))
    rules = []
    if isinstance(j, CountsJudge):
        forms = [("AboveStable", ">", j.max_ratio, f"error ratio above {j.max_ratio:g} x stable")]
        test = f"counts test (alpha {j.alpha:g})"
    else:
        assert isinstance(j, MannWhitneyJudge)
        up, down = 1 + j.allowed_change, max(0.0, 1 - j.allowed_change)
        forms = []
        if j.direction in (Direction.INCREASE, Direction.EITHER):
            forms.append(("AboveStable", ">", up, f"above {up:g} x stable"))
        if j.direction in (Direction.DECREASE, Direction.EITHER):
            forms.append(("BelowStable", "<", down, f"below {down:g} x stable"))
        test = f"mann-whitney test (confidence {j.confidence:g}, window {format_short(j.window)})"
    for suffix, op, ratio, what in forms:
        rules.append(
            {
                "alert": f"Canary{name}{suffix}",
                "expr": f"{canary} {op} ignoring(version, track) ({ratio:g} * {stable})",
                "for": hold,
                "labels": {**labels, "severity": "critical", "approximates": "judge"},
                "annotations": {
                    "summary": f"{plan.canary.version} {gate.name} {what}",
                    "description": f"The nearest fixed threshold to canary-tui's {test}, which decides the "
                    "rollback; this alert can fire on noise the test discounts, and miss what it accumulates.",
                },
            }
        )
    return rules
