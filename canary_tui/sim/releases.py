"""Simulated releases as MetricFixture documents: the traffic of a known truth, sampled on the plan's
nominal schedule, for the judges' fixtures and their benchmark (both replay them like recordings)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..core.durations import parse_duration
from .traffic import Traffic, TrafficSim

START = "2026-02-19T05:33:00Z"


def schedule(plan: dict[str, Any], samples: int, step: timedelta) -> list[int]:
    """The canary weight at each sample if every phase is promoted on time."""
    phases = plan["spec"]["phases"]
    ends, total = [], timedelta(0)
    for p in phases:
        total += parse_duration(p["duration"])
        ends.append(total)
    out = []
    for i in range(samples):
        t = i * step
        index = next((k for k, end in enumerate(ends) if t < end), len(phases) - 1)
        out.append(int(phases[index]["weight"]))
    return out


def nominal_samples(plan: dict[str, Any], extra: int = 6) -> int:
    """Samples enough for a release promoted on time, and a few more."""
    step = parse_duration(plan["spec"].get("interval", "5m"))
    soak = sum((parse_duration(p["duration"]) for p in plan["spec"]["phases"]), timedelta(0))
    return int(soak / step) + extra


def release(
    plan: dict[str, Any],
    truth: Traffic,
    seed: int | str,
    *,
    name: str = "simulated",
    description: str = "",
    expect: dict[str, Any] | None = None,
    samples: int | None = None,
) -> dict[str, Any]:
    """A fixture document of one release: counts gates get cumulative counts, error gates error
    ratios, every other query gate p99 latencies. Sample 0 is t0, where the canary has had no traffic."""
    step = parse_duration(plan["spec"].get("interval", "5m"))
    n = samples or nominal_samples(plan)
    weights = schedule(plan, n, step)
    sim = TrafficSim(truth, seed)
    rows: list[tuple[int, int, int, int, float | None, float | None]] = [(0, 0, 0, 0, None, None)]
    for i in range(1, n):
        x, nn, y, m, lc, ls = sim.interval(i * step.total_seconds(), step.total_seconds(), weights[i - 1])
        rows.append((x, nn, y, m, round(lc, 6) if nn else None, round(ls, 6) if m else None))
    cum = [0, 0, 0, 0]
    cumulative = []
    for r in rows:
        cum = [a + b for a, b in zip(cum, r[:4], strict=False)]
        cumulative.append(list(cum))
    series: dict[str, Any] = {}
    for gate in plan["spec"]["gates"]:
        if gate.get("source") == "pods":
            continue
        if gate.get("judge") == "counts":
            series[gate["name"]] = {
                "canary": {"errors": [c[0] for c in cumulative], "requests": [c[1] for c in cumulative]},
                "stable": {"errors": [c[2] for c in cumulative], "requests": [c[3] for c in cumulative]},
            }
        elif "error" in gate["name"]:
            series[gate["name"]] = {
                "canary": [round(r[0] / r[1], 6) if r[1] else None for r in rows],
                "stable": [round(r[2] / r[3], 6) if r[3] else None for r in rows],
            }
        else:
            series[gate["name"]] = {"canary": [r[4] for r in rows], "stable": [r[5] for r in rows]}
    doc: dict[str, Any] = {
        "apiVersion": "canary-tui/v1alpha1",
        "kind": "MetricFixture",
        "metadata": {"name": name, "description": description or f"simulated release of {truth}"},
        "plan": plan,
        "start": START,
        "step": plan["spec"].get("interval", "5m"),
        "series": series,
    }
    if expect:
        doc["expect"] = expect
    return doc
