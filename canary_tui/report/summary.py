"""What both report formats say, worked out once: cards, phases, timeline, gate figures, actions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..core.durations import format_duration
from ..core.gates import fmt
from .gates import GateRow, gate_row
from .model import FAIL, NODATA, PASS, SKIP, STATUS_NAME, WARN, Release
from .text import text, unit_of, value


@dataclass
class Card:
    label: str
    value: str
    note: str = ""
    tone: str = ""  # ok, warn, bad, or ""


@dataclass
class PhaseRow:
    index: int
    name: str
    weight: int | None
    start: float
    end: float
    evaluations: str  # "-" when unknown (a state file)
    ended: str  # how it ended, in words
    worst: str  # worst gate status seen in it


@dataclass
class TimelineRow:
    at: float | None
    kind: str  # phase, action, refused, promote, rollback, error, result
    what: str
    detail: str


@dataclass
class LastRow:
    name: str
    status: str
    canary: str
    stable: str
    reason: str
    counts: str  # consecutive fails / nodata, when the source keeps them (a state file)


@dataclass
class Summary:
    title: str
    subtitle: list[tuple[str, str]]
    outcome: str
    reason: str
    t0: float | None
    t1: float | None
    cards: list[Card] = field(default_factory=list)
    phases: list[PhaseRow] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)
    gates: list[GateRow] = field(default_factory=list)
    actions: list[TimelineRow] = field(default_factory=list)
    errors: list[TimelineRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_caption: str = ""
    last: list[LastRow] = field(default_factory=list)

    def offset(self, at: float | None) -> str:
        if at is None or self.t0 is None:
            return ""
        return "+" + format_duration(timedelta(seconds=round(at - self.t0)))


def summarize(r: Release) -> Summary:
    plan = r.plan
    span = r.span()
    result = r.result or {}
    outcome = text(result.get("outcome")) or "Unfinished"
    t0, t1 = span if span else (None, None)
    s = Summary(
        title=text(plan.name if plan and plan.name else r.start.get("plan") or "release"),
        subtitle=_subtitle(r),
        outcome=outcome,
        reason=text(result.get("reason")),
        t0=t0,
        t1=t1,
        notes=[text(n) for n in r.notes],
    )
    s.cards = _cards(r, s)
    s.phases = _phases(r, s)
    for e in r.events:
        at = e.at.timestamp() if e.at else None
        row = _timeline_row(e.kind, e.data)
        s.timeline.append(TimelineRow(at, *row))
        if e.kind == "action":
            s.actions.append(TimelineRow(at, *row))
        elif e.kind == "error":
            s.errors.append(TimelineRow(at, *row))
    s.gates = [gate_row(r, name) for name in gate_names(r)]
    _last_rows(r, s)
    return s


def _last_rows(r: Release, s: Summary) -> None:
    last = r.last
    if not last:
        return
    s.last_caption = (
        f"{text(last.get('at'), 40)} in phase {text(last.get('phase'), 80)}, "
        f"health score {value(last.get('healthScore'), '')}"
    )
    gates = last.get("gates")
    for name, g in (gates if isinstance(gates, dict) else {}).items():
        g = g if isinstance(g, dict) else {}
        unit = unit_of(r, str(name))
        fails, nodata = g.get("fails"), g.get("nodata")
        counts = (
            f"{fails} fails, {nodata} nodata in a row" if isinstance(fails, int) and isinstance(nodata, int) else ""
        )
        s.last.append(
            LastRow(
                text(name, 80),
                text(g.get("status"), 20),
                value(g.get("canary"), unit),
                value(g.get("stable"), unit),
                text(g.get("reason")),
                counts,
            )
        )


def gate_names(r: Release) -> list[str]:
    names = [g.name for g in r.plan.gates] if r.plan else []
    return names + [n for n in r.gates if n not in names]


def _subtitle(r: Release) -> list[tuple[str, str]]:
    plan, start = r.plan, r.start
    out = []
    if plan and (plan.stable or plan.canary):
        out.append(("release", f"{text(plan.stable) or '?'} → {text(plan.canary) or '?'}"))
    if plan and plan.service:
        out.append(("service", f"{text(plan.service)} in namespace {text(plan.namespace)}"))
    for key, label in (("mode", "mode"), ("actor", "started by"), ("source", "source"), ("version", "canary-tui")):
        if start.get(key):
            out.append((label, text(start[key], 300)))
    if r.run:
        out.append(("run", text(r.run, 100)))
    out.append(("made from", f"{'state file' if r.kind == 'state' else 'audit log'} {text(r.path, 300)}"))
    return out


def _cards(r: Release, s: Summary) -> list[Card]:
    result = r.result or {}
    tone = {"Promoted": "ok", "RolledBack": "bad", "Incomplete": "warn"}.get(s.outcome, "warn")
    where = text(result.get("phase"))
    cards = [Card("outcome", s.outcome, f"in {where}" if where else "no result yet", tone)]
    elapsed = text(result.get("elapsed"))
    if not elapsed and s.t0 is not None and s.t1 is not None:
        elapsed = format_duration(timedelta(seconds=round(s.t1 - s.t0)))
    count = r.evaluations if r.history else r.start.get("evaluations")
    note = f"{count:,} evaluations" if isinstance(count, int) else ""
    cards.append(Card("duration", elapsed or "-", note))
    health = r.health[-1] if r.health else math.nan
    floor = r.plan.min_health_score if r.plan else None
    h_tone = "" if health != health else ("ok" if floor is None or health >= floor else "bad")
    cards.append(
        Card(
            "final health score", fmt(health) if health == health else "-", f"min {fmt(floor)}" if floor else "", h_tone
        )
    )
    names = gate_names(r)
    cards.append(_gate_card(r, "error rate", _pick(names, ("error",)), "no error-rate gate"))
    cards.append(_gate_card(r, "p99 latency", _pick(names, ("p99", "latency")), "no p99 gate"))
    cards.append(_pods_card(r))
    return cards


def _pick(names: list[str], words: tuple[str, ...]) -> str | None:
    for word in words:
        for n in names:
            if word in n.lower():
                return n
    return None


def _gate_card(r: Release, label: str, name: str | None, missing: str) -> Card:
    if name is None:
        return Card(label, "-", missing)
    g = ((r.last or {}).get("gates") or {}).get(name) or {}
    unit = unit_of(r, name)
    status = text(g.get("status"), 20)
    canary = value(g.get("canary"), unit)
    stable = value(g.get("stable"), unit)
    note = f"{text(name, 60)} · stable {stable}" if stable != "-" else text(name, 60)
    tone = {"pass": "ok", "warn": "warn", "fail": "bad", "nodata": "warn"}.get(status, "")
    return Card(label, canary if status != "nodata" else "no data", note, tone)


def _pods_card(r: Release) -> Card:
    if r.pods is not None:
        canary = r.plan.canary if r.plan else ""
        mine = [p for p in r.pods if str(p.get("version")) == canary] if canary else r.pods
        ready = sum(1 for p in mine if p.get("ready"))
        restarts = sum(int(p.get("restarts") or 0) for p in mine if isinstance(p.get("restarts"), int))
        tone = "ok" if mine and ready == len(mine) and not restarts else "warn"
        return Card(
            "canary pods", f"{ready}/{len(mine)} ready", f"{restarts} restarts · {len(r.pods)} pods in all", tone
        )
    pod_gates = [g.name for g in (r.plan.gates if r.plan else []) if g.source == "pods"]
    if pod_gates:
        gates = (r.last or {}).get("gates") or {}
        parts = [f"{text(n, 40)} {value((gates.get(n) or {}).get('canary'), '')}" for n in pod_gates]
        bad = any((gates.get(n) or {}).get("status") in ("fail", "nodata") for n in pod_gates)
        return Card("canary pods", parts[0].split(" ", 1)[1], " · ".join(parts), "bad" if bad else "ok")
    where = "state file" if r.kind == "state" else "log"
    return Card("canary pods", "-", f"the {where} records no pod list")


def _phases(r: Release, s: Summary) -> list[PhaseRow]:
    plan = r.plan
    weights = {i: p.weight for i, p in enumerate(plan.phases)} if plan else {}
    names = {i: p.name for i, p in enumerate(plan.phases)} if plan else {}
    starts: list[tuple[float, int, str, int | None]] = []
    for e in r.of_kind("phase"):
        i = e.data.get("index")
        if e.at is None or not isinstance(i, int):
            continue
        w = e.data.get("weight")
        starts.append((e.at.timestamp(), i, text(e.data.get("phase"), 80), w if isinstance(w, int) else weights.get(i)))
    if not starts and r.times:  # a state file, or a log cut short: the evaluations' phases
        for t, i in zip(r.times, r.phase_of, strict=True):
            if not starts or starts[-1][1] != i:
                starts.append((t, i, names.get(i, f"#{i}"), weights.get(i)))
    rows = []
    end_all = s.t1 if s.t1 is not None else (starts[-1][0] if starts else 0.0)
    decisions = r.of_kind("decision")
    for k, (start, i, name, weight) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else end_all
        last = k + 1 == len(starts)
        n, worst = _phase_stats(r, i, start, end)
        ended = (
            "promoted"
            if not last
            else {"Promoted": "promoted: done", "RolledBack": "rolled back"}.get(s.outcome, "running or incomplete")
        )
        if last:
            for d in decisions:
                if d.data.get("decision") == "rollback" and d.data.get("phase") == name:
                    ended = "rolled back"
        if not r.history:
            rows.append(PhaseRow(i, name, weight, start, end, "-", ended, "-"))
        else:
            rows.append(PhaseRow(i, name, weight, start, end, f"{n:,}", ended, worst))
    return rows


def _phase_stats(r: Release, index: int, start: float, end: float) -> tuple[int, str]:
    """Evaluations made in the phase (the one at a promotion belongs to the phase it promoted from)
    and the worst gate or check status among them."""
    from bisect import bisect_left, bisect_right

    a, b = bisect_left(r.times, start), bisect_right(r.times, end)
    phase_of = r.phase_of
    while a < b and phase_of[a] != index:
        a += 1
    k = a
    while k < b and phase_of[k] == index:
        k += 1
    b = k
    worst = -1
    order = {PASS: 0, SKIP: 0, WARN: 1, NODATA: 2, FAIL: 3}
    for codes in [*(s.status for s in r.gates.values()), *r.checks.values()]:
        for code in set(codes[a:b]):
            if code in order and (worst < 0 or order[code] > order[worst]):
                worst = code
    return b - a, STATUS_NAME.get(worst, "-") if worst >= 0 else "-"


def _timeline_row(kind: str, d: dict[str, Any]) -> tuple[str, str, str]:
    if kind == "phase":
        w = d.get("weight")
        weights = f"canary {w}% / stable {100 - w}%" if isinstance(w, int) else ""
        return "phase", f"entered {text(d.get('phase'), 80)}", weights
    if kind == "action":
        who = text(d.get("actor"), 200)
        what = f"{text(d.get('action'), 20)} by {who}"
        if d.get("accepted") is False:
            return "refused", what + " (refused)", text(d.get("reason"))
        return "action", what, text(d.get("reason"))
    if kind == "decision":
        decision = text(d.get("decision"), 20)
        return (
            decision if decision in ("promote", "rollback") else "decision",
            f"{decision} in {text(d.get('phase'), 80)}",
            text(d.get("reason")),
        )
    if kind == "result":
        return "result", f"{text(d.get('outcome'), 20)} in {text(d.get('phase'), 80)}", text(d.get("reason"))
    return "error", "operational error", text(d.get("message"))
