"""The gate table of a report: thresholds in words, status counts, longest failing runs, worst values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.gates import fmt
from .model import FAIL, NODATA, PASS, SKIP, WARN, GatePlan, Release
from .text import text, value


@dataclass
class CheckRow:
    name: str
    counts: dict[str, str]
    max_fails: str
    last: str  # the last result that ran, with its reason


def check_rows(r: Release) -> list[CheckRow]:
    """The phase checks (``spec.checks``): how often each passed, failed, gave nothing, and its last result."""
    out = []
    for name, codes in r.checks.items():
        counts = {
            k: f"{codes.count(c):,}" for k, c in (("pass", PASS), ("fail", FAIL), ("nodata", NODATA), ("skip", SKIP))
        }
        last = r.check_last.get(name) or {}
        said = (
            f"{text(last.get('status'), 20)} at {text(last.get('at'), 40)}: {text(last.get('reason'))}" if last else "-"
        )
        out.append(CheckRow(text(name, 80), counts, f"{_longest_run(codes, FAIL):,}", said))
    return out


LEVEL_WORDS = {"failAbove": "fail >", "failBelow": "fail <", "warnAbove": "warn >", "warnBelow": "warn <"}


@dataclass
class GateRow:
    name: str
    unit: str
    thresholds: str
    counts: dict[str, str]  # "-" when unknown (a state file)
    last_status: str
    last_canary: str
    last_stable: str
    worst: str
    max_fails: str
    max_nodata: str


def thresholds_text(g: GatePlan | None, phase_names: list[str]) -> str:
    if g is None or not (g.levels or any(g.by_phase)):
        return "not known (the plan is not available)" if g is None or not g.by_phase else "-"
    unit = text(g.unit, 10)  # the plan's unit is outside text too
    base = _levels_text(g.levels, unit)
    extra = []
    for i, table in enumerate(g.by_phase):
        if table != g.levels:
            name = phase_names[i] if i < len(phase_names) else f"#{i}"
            extra.append(f"{text(name, 80)}: {_levels_text(table, unit)}")
    return "; ".join([base or "-", *extra])


def _levels_text(levels: dict[str, float], unit: str) -> str:
    parts = [f"{LEVEL_WORDS[k]} {fmt(v, unit)}" for k, v in levels.items() if k in LEVEL_WORDS]
    if "maxRatioToStable" in levels:
        parts.append(f"fail > {fmt(levels['maxRatioToStable'])} x stable")
    return ", ".join(parts)


def gate_row(r: Release, name: str) -> GateRow:
    g = r.plan.gate(name) if r.plan else None
    unit = text(g.unit, 10) if g else ""
    series = r.gates.get(name)
    counts = {k: "-" for k in ("pass", "warn", "fail", "nodata")}
    max_fails = max_nodata = "-"
    worst = "-"
    if series is not None and r.history:
        for code, n in ((PASS, "pass"), (WARN, "warn"), (FAIL, "fail"), (NODATA, "nodata")):
            counts[n] = f"{series.status.count(code):,}"
        max_fails = f"{_longest_run(series.status, FAIL):,}"
        max_nodata = f"{_longest_run(series.status, NODATA):,}"
        worst = _worstvalue(series.canary, g)
    last = ((r.last or {}).get("gates") or {}).get(name) or {}
    names = [p.name for p in r.plan.phases] if r.plan else []
    return GateRow(
        name=text(name, 80),
        unit=unit,
        thresholds=thresholds_text(g, names),
        counts=counts,
        last_status=text(last.get("status"), 20) or "-",
        last_canary=value(last.get("canary"), unit),
        last_stable=value(last.get("stable"), unit),
        worst=worst if worst == "-" else fmt(float(worst), unit),
        max_fails=max_fails,
        max_nodata=max_nodata,
    )


def high_is_bad(g: GatePlan | None) -> bool:
    if g is None:
        return True
    keys = set(g.levels).union(*g.by_phase) if g.by_phase else set(g.levels)
    return not ({"failBelow", "warnBelow"} & keys) or bool({"failAbove", "warnAbove", "maxRatioToStable"} & keys)


def _worstvalue(values: Any, g: GatePlan | None) -> Any:
    finite = [v for v in values if v == v]
    if not finite:
        return "-"
    return max(finite) if high_is_bad(g) else min(finite)


def _longest_run(codes: bytearray, code: int) -> int:
    """The longest run of ``code`` in a row (done in C: a day at 1 s is 86,400 codes per gate)."""
    if code not in codes:
        return 0
    table = bytes(1 if i == code else 0 for i in range(256))
    return max(map(len, bytes(codes).translate(table).split(b"\x00")))
