"""Validation of a plan's gates and phases, thresholds and per-phase overrides (contract section 1)."""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Any

from .judgefile import JUDGE_KEYS, read_judge, read_judge_override
from .model import THRESHOLD_KEYS, Gate, GateSource, Judge, Phase, PodSignal, Thresholds, apply_overrides
from .reader import Reader
from .source import Path

GATE_NAME = r"[a-z0-9_]+"
PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
PLACEHOLDERS = {"version", "namespace", "service", "interval"}
KNOWN_PLACEHOLDERS = "{{version}} {{namespace}} {{service}} {{interval}}"


def read_gates(r: Reader, value: Any) -> list[Gate] | None:
    p: Path = ("spec", "gates")
    if value is None:
        return None
    items = r.get({"gates": value}, ("spec",), "gates", "list")
    if items is None:
        return None
    if not items:
        r.problem(p, "at least one gate is needed")
        return None
    gates: list[Gate] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        gate = read_gate(r, item, (*p, i))
        if gate is None:
            continue
        if gate.name in seen:
            r.problem((*p, i, "name"), f"duplicate gate name {gate.name!r}")
            continue
        seen.add(gate.name)
        gates.append(gate)
    if gates and sum(g.weight for g in gates) <= 0:
        r.problem(p, "at least one gate needs a weight above 0 (the health score divides by the sum)")
    return gates if len(gates) == len(items) else None


def read_gate(r: Reader, value: Any, p: Path) -> Gate | None:
    keys = ["name", "source", "query", "signal", "unit", "weight", *THRESHOLD_KEYS, *JUDGE_KEYS]
    m = r.mapping(value, p, keys, ["name"])
    if m is None:
        return None
    name = r.name(m, p, "name", GATE_NAME, "gate name ([a-z0-9_]+)")
    source = GateSource(r.choice(m, p, "source", [s.value for s in GateSource], "prometheus"))
    query = r.get(m, p, "query", "str")
    signal_text = r.get(m, p, "signal", "str")
    signal = None

    def check_query(text: str, qp: Path) -> None:
        for ph in PLACEHOLDER.findall(text):
            if ph not in PLACEHOLDERS:
                r.problem(qp, f"unknown placeholder {{{{{ph}}}}}; known: " + KNOWN_PLACEHOLDERS)

    judge: Judge | None = None
    if "judge" in m:
        judge = read_judge(r, m, p, source, check_query)
    else:
        for key in JUDGE_KEYS:
            if key in m:
                r.problem((*p, key), "only a gate with a judge (judge: counts or mann-whitney) takes this key")
    if source is GateSource.PROMETHEUS:
        if query is None and "query" not in m and "judge" not in m:
            r.problem(p, "a prometheus gate needs query (or set source: pods)")
        if signal_text is not None:
            r.problem((*p, "signal"), "only pod gates (source: pods) take a signal")
        if query is not None:
            check_query(query, (*p, "query"))
    else:
        if query is not None:
            r.problem((*p, "query"), "a pod gate has no query: it reads the canary's pods")
        choices = [s.value for s in PodSignal]
        if signal_text is None:
            r.problem(p, f"a pod gate needs signal: one of {', '.join(choices)}")
        elif signal_text not in choices:
            r.problem((*p, "signal"), f"want one of {', '.join(choices)}, got {signal_text!r}")
        else:
            signal = PodSignal(signal_text)
    unit = r.get(m, p, "unit", "str", "") or ""
    weight = r.get(m, p, "weight", "number", 1.0)
    if weight is not None and weight < 0:
        r.problem((*p, "weight"), "must be 0 or more")
    if "judge" in m:
        if name is None or judge is None:
            return None
        return Gate(
            name=name, thresholds=Thresholds(), query=query, unit=unit, weight=float(weight or 0.0), judge=judge
        )
    levels = read_levels(r, m, p)
    thresholds = Thresholds(**levels)
    if not thresholds.has_fail_level:
        r.problem(p, "needs at least one of failAbove, failBelow, maxRatioToStable (or a judge)")
    check_levels(r, thresholds, p, source)
    if name is None:
        return None
    return Gate(
        name=name,
        thresholds=thresholds,
        source=source,
        query=query,
        signal=signal,
        unit=unit,
        weight=float(weight or 0.0),
    )


def read_levels(r: Reader, m: dict[str, Any], p: Path) -> dict[str, float | None]:
    """The threshold keys present in ``m``; ``null`` means "not set" (useful in overrides)."""
    out: dict[str, float | None] = {}
    for key, attr in THRESHOLD_KEYS.items():
        if key not in m:
            continue
        if m[key] is None:
            out[attr] = None
            continue
        value = r.get(m, p, key, "number")
        if value is not None and math.isnan(value):
            r.problem((*p, key), "NaN is not a threshold")
            continue
        if value is not None:
            out[attr] = value
    return out


def check_levels(r: Reader, t: Thresholds, p: Path, source: GateSource) -> None:
    if t.max_ratio_to_stable is not None:
        if source is GateSource.PODS:
            r.problem((*p, "maxRatioToStable"), "a pod gate is never relative to stable")
        elif t.max_ratio_to_stable <= 0:
            r.problem((*p, "maxRatioToStable"), "must be greater than 0")
    if t.warn_above is not None and t.fail_above is not None and t.warn_above > t.fail_above:
        r.problem(
            (*p, "warnAbove"), f"{t.warn_above:g} is above failAbove {t.fail_above:g}: the warning could never show"
        )
    if t.warn_below is not None and t.fail_below is not None and t.warn_below < t.fail_below:
        r.problem(
            (*p, "warnBelow"), f"{t.warn_below:g} is below failBelow {t.fail_below:g}: the warning could never show"
        )
    if t.fail_above is not None and t.fail_below is not None and t.fail_below > t.fail_above:
        r.problem((*p, "failBelow"), f"{t.fail_below:g} is above failAbove {t.fail_above:g}: every value would fail")


def read_phases(r: Reader, value: Any, gates: list[Gate] | None) -> list[Phase] | None:
    p: Path = ("spec", "phases")
    if value is None:
        return None
    items = r.get({"phases": value}, ("spec",), "phases", "list")
    if items is None:
        return None
    if not items:
        r.problem(p, "at least one phase is needed")
        return None
    gate_names = {g.name for g in gates or []}
    judges = {g.name: g.judge for g in gates or [] if g.judge is not None}
    phases: list[Phase] = []
    names: set[str] = set()
    previous: int | None = None
    for i, item in enumerate(items):
        pp: Path = (*p, i)
        m = r.mapping(item, pp, ["name", "weight", "duration", "gates"], ["name", "weight", "duration"])
        if m is None:
            continue
        name = r.name(m, pp, "name", r"[a-z0-9]([-a-z0-9_]*[a-z0-9])?", "phase name")
        if name in names:
            r.problem((*pp, "name"), f"duplicate phase name {name!r}")
        weight = r.get(m, pp, "weight", "int")
        if weight is not None:
            if not 1 <= weight <= 100:
                r.problem((*pp, "weight"), f"must be between 1 and 100, got {weight}")
            elif previous is not None and weight <= previous:
                r.problem((*pp, "weight"), f"weights must strictly increase: {weight} follows {previous}")
            previous = weight
        duration = r.duration(m, pp, "duration", None)
        overrides = read_overrides(
            r, m.get("gates", {}), (*pp, "gates"), gate_names if gates is not None else None, judges
        )
        if name is None or weight is None or duration is None:
            continue
        names.add(name)
        phases.append(Phase(name=name, weight=weight, duration=duration, overrides=overrides))
    if len(phases) == len(items) and phases[-1].weight != 100:
        r.problem(
            (*p, len(items) - 1, "weight"), f"the last phase must send 100% to the canary, got {phases[-1].weight}"
        )
    return phases if len(phases) == len(items) else None


def read_overrides(
    r: Reader, value: Any, p: Path, gate_names: set[str] | None, judges: dict[str, Judge] | None = None
) -> MappingProxyType[str, Any]:
    m = r.get({"gates": value}, p[:-1], "gates", "mapping", {})
    out: dict[str, Any] = {}
    for gate_name, levels in m.items():
        gp: Path = (*p, gate_name)
        if gate_names is not None and gate_name not in gate_names:
            r.problem(gp, f"no gate named {gate_name!r} in spec.gates")
            continue
        if judges and gate_name in judges:
            out[gate_name] = MappingProxyType(read_judge_override(r, levels, gp, judges[gate_name]))
            continue
        lm = r.mapping(levels, gp, list(THRESHOLD_KEYS))
        if lm is None:
            continue
        if not lm:
            r.problem(gp, "an override needs at least one threshold")
        out[gate_name] = MappingProxyType(read_override_levels(r, lm, gp))
    return MappingProxyType(out)


def read_override_levels(r: Reader, lm: dict[str, Any], gp: Path) -> dict[str, float | None]:
    attrs = read_levels(r, lm, gp)
    back = {v: k for k, v in THRESHOLD_KEYS.items()}
    return {back[a]: v for a, v in attrs.items()}


def effective_thresholds(
    r: Reader, gates: list[Gate], phases: list[Phase]
) -> tuple[MappingProxyType[str, Thresholds], ...]:
    by_phase = []
    for i, phase in enumerate(phases):
        table: dict[str, Thresholds] = {}
        for gate in gates:
            t = gate.thresholds
            if gate.name in phase.overrides and gate.judge is None:
                t = apply_overrides(t, phase.overrides[gate.name])
                gp: Path = ("spec", "phases", i, "gates", gate.name)
                if not t.has_fail_level:
                    r.problem(gp, "this override leaves the gate without failAbove, failBelow or maxRatioToStable")
                check_levels(r, t, gp, gate.source)
            table[gate.name] = t
        by_phase.append(MappingProxyType(table))
    return tuple(by_phase)
