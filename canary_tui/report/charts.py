"""The report's charts from a release: the frame they share, one per gate, health, checks, the phase bar."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import svg
from .model import GatePlan, Release
from .summary import Summary
from .text import text

FAIL_KEYS = ("failAbove", "failBelow")
WARN_KEYS = ("warnAbove", "warnBelow")


@dataclass
class GateChart:
    name: str
    unit: str
    svg: str
    off: list[str]
    has_stable: bool
    has_fail: bool
    has_warn: bool
    has_ratio: bool
    legend: str = ""  # HTML of the legend, when not the usual canary/stable/levels one (judge charts)


@dataclass
class Charts:
    bar: str = ""
    gates: list[GateChart] = field(default_factory=list)
    health: str = ""
    checks: str = ""


def make_frame(r: Release, s: Summary) -> svg.Frame | None:
    if s.t0 is None or s.t1 is None:
        return None
    phases = [(p.start, p.end, p.index, p.name) for p in s.phases]
    marks: list[tuple[float, str, str]] = []
    for d in r.of_kind("decision"):
        if d.data.get("decision") == "rollback" and d.at is not None:
            marks.append((d.at.timestamp(), "mr", "rollback: " + text(d.data.get("reason"), 300)))
    result = r.result
    if result and s.t1 is not None and result.get("outcome") != "RolledBack":
        css = "mp" if result.get("outcome") == "Promoted" else "mi"
        marks.append((s.t1, css, f"{text(result.get('outcome'), 20)}: {text(result.get('reason'), 300)}"))
    return svg.frame(s.t0, s.t1, phases, marks, r.times)


def charts_for(r: Release, s: Summary) -> Charts:
    out = Charts()
    fr = make_frame(r, s)
    if fr is None:
        return out
    weights = {p.index: p.weight for p in s.phases if p.weight is not None}
    out.bar = svg.phase_bar(fr, weights, holds(r, fr.t1))
    if not r.history or not r.times:
        return out
    plan = r.plan
    phase_count = max([len(plan.phases) if plan else 0, *(p.index + 1 for p in s.phases)])
    for name, series in r.gates.items():
        g = plan.gate(name) if plan else None
        out.gates.append(_gate_chart(fr, r, name, series, g, phase_count))
    if plan is not None and plan.min_health_score is not None:
        levels = [svg.Level("minHealthScore", "tf", dict.fromkeys(range(phase_count), plan.min_health_score))]
    else:
        levels = []
    out.health, _ = svg.chart(fr, "health score", [("lh", r.health)], levels, None, fixed=(0.0, 104.0))
    if r.checks:
        out.checks = svg.strips(fr, "phase checks", [(text(n, 40), codes) for n, codes in r.checks.items()])
    return out


def _gate_chart(fr: svg.Frame, r: Release, name: str, series, g: GatePlan | None, phases: int) -> GateChart:  # type: ignore[no-untyped-def]
    if series.judged:
        from .judges import counts_chart

        return counts_chart(fr, r, name, series, g, phases)  # type: ignore[no-any-return]
    levels: list[svg.Level] = []
    ratio = None
    if g is not None:
        for keys, css in ((FAIL_KEYS, "tf"), (WARN_KEYS, "tw")):
            for key in keys:
                by_phase = {i: g.levels_in(i).get(key) for i in range(phases)}
                if any(v is not None for v in by_phase.values()):
                    levels.append(svg.Level(key, css, by_phase))
        ratios = {i: g.levels_in(i).get("maxRatioToStable") for i in range(phases)}
        if any(v is not None for v in ratios.values()):
            ratio = (series.stable, ratios, r.phase_of)
    has_stable = any(v == v and not math.isinf(v) for v in series.stable)
    lines = [("ls", series.stable)] if has_stable else []
    lines.append(("lc", series.canary))
    unit = text(g.unit, 10) if g else ""
    chart, off = svg.chart(fr, f"gate {text(name, 80)}", lines, levels, series.status, ratio=ratio, unit=unit)
    return GateChart(
        name=text(name, 80),
        unit=unit,
        svg=chart,
        off=off,
        has_stable=has_stable,
        has_fail=any(lv.css == "tf" for lv in levels),
        has_warn=any(lv.css == "tw" for lv in levels),
        has_ratio=ratio is not None,
    )


def holds(r: Release, end: float) -> list[tuple[float, float, str]]:
    """The times the release was held: from an accepted hold to the accepted resume (or the end)."""
    out: list[tuple[float, float, str]] = []
    held: tuple[float, str] | None = None
    for ev in r.of_kind("action", "result"):
        if ev.at is None or ev.data.get("accepted") is False:
            continue
        t = ev.at.timestamp()
        action = ev.data.get("action")
        if action == "hold" and held is None:
            held = (t, text(ev.data.get("actor"), 200))
        elif held is not None and (action == "resume" or ev.kind == "result"):
            out.append((held[0], t, held[1]))
            held = None
    if held is not None:
        out.append((held[0], end, held[1]))
    return out
