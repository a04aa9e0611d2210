"""Validation of a gate's ``judge`` (contract section 5): its keys, its phase overrides, its grid."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from .model import THRESHOLD_KEYS, CountsJudge, Direction, Gate, GateSource, Judge, MannWhitneyJudge, Phase
from .reader import Reader
from .source import Path

COUNTS_KEYS = ["errors", "requests", "maxRatio", "alpha"]
MANN_WHITNEY_KEYS = ["window", "direction", "allowedChange", "confidence", "minSamples"]
JUDGE_KEYS = ["judge", *COUNTS_KEYS, *MANN_WHITNEY_KEYS]
JUDGES = ("counts", "mann-whitney")
# a phase override of a judge gate may change these (never alpha: the bound is release-wide)
OVERRIDE_KEYS = {"counts": ["maxRatio"], "mann-whitney": ["allowedChange"]}
MAX_RATIO_RANGE = (1 / 16, 8.0)  # the test's grid covers 1/128..128; alternatives reach 16x maxRatio


def read_judge(r: Reader, m: dict[str, Any], p: Path, source: GateSource, check_query: Any) -> Judge | None:
    """The judge of a gate mapping ``m`` that has ``judge:``; ``check_query(text, path)`` checks placeholders."""
    kind = r.get(m, p, "judge", "str")
    if kind is None:
        return None
    if kind not in JUDGES:
        r.problem((*p, "judge"), f"want one of {', '.join(JUDGES)}, got {kind!r}")
        return None
    if source is not GateSource.PROMETHEUS:
        r.problem((*p, "judge"), "a pod gate has no judge: it has no stable side to compare with")
        return None
    for key in [*THRESHOLD_KEYS]:
        if key in m:
            r.problem((*p, key), f"not allowed on a gate with judge: {kind} (the judge decides pass, warn and fail)")
    own = COUNTS_KEYS if kind == "counts" else MANN_WHITNEY_KEYS
    for key in COUNTS_KEYS + MANN_WHITNEY_KEYS:
        if key in m and key not in own:
            r.problem((*p, key), f"judge: {kind} takes {', '.join(own)}, not {key}")
    return _counts(r, m, p, check_query) if kind == "counts" else _mann_whitney(r, m, p, check_query)


def _counts(r: Reader, m: dict[str, Any], p: Path, check_query: Any) -> CountsJudge | None:
    if "query" in m:
        r.problem((*p, "query"), "judge: counts reads errors and requests, not query")
    texts = {}
    for key in ("errors", "requests"):
        if key not in m:
            r.problem(p, f"judge: counts needs {key}: PromQL of the {key} in the last {{{{interval}}}}")
            continue
        text = r.get(m, p, key, "str")
        if text is not None:
            check_query(text, (*p, key))
            if "{{version}}" not in text:
                r.problem((*p, key), "must contain {{version}}: the judge compares the canary with stable")
            texts[key] = text
    max_ratio = _max_ratio(r, m, p, 1.0)
    alpha = r.get(m, p, "alpha", "number", 0.01)
    if alpha is not None and not 0 < alpha < 1:
        r.problem((*p, "alpha"), f"must be between 0 and 1 (exclusive), got {alpha:g}")
        alpha = None
    if len(texts) < 2 or max_ratio is None or alpha is None:
        return None
    return CountsJudge(texts["errors"], texts["requests"], max_ratio, float(alpha))


def _max_ratio(r: Reader, m: dict[str, Any], p: Path, default: float | None) -> float | None:
    value = r.get(m, p, "maxRatio", "number", default)
    low, high = MAX_RATIO_RANGE
    if value is not None and not (low <= value <= high):
        r.problem((*p, "maxRatio"), f"must be between {low:g} and {high:g}, got {value:g}")
        return None
    return None if value is None else float(value)


def _mann_whitney(r: Reader, m: dict[str, Any], p: Path, check_query: Any) -> MannWhitneyJudge | None:
    query = m.get("query")
    if query is None:
        r.problem(p, "judge: mann-whitney needs query: the gate's PromQL, read for canary and stable")
    elif isinstance(query, str) and "{{version}}" not in query:
        r.problem((*p, "query"), "must contain {{version}}: the judge compares the canary with stable")
    window = r.duration(m, p, "window", timedelta(minutes=30))
    if window is not None and window <= timedelta(0):
        r.problem((*p, "window"), "must be greater than 0s")
    direction = r.choice(m, p, "direction", [d.value for d in Direction], "increase")
    allowed = _allowed_change(r, m, p, 0.10)
    confidence = r.get(m, p, "confidence", "number", 0.98)
    if confidence is not None and not 0.5 <= confidence < 1:
        r.problem((*p, "confidence"), f"must be at least 0.5 and below 1, got {confidence:g}")
    min_samples = r.get(m, p, "minSamples", "int", 10)
    if min_samples is not None and min_samples < 2:
        r.problem((*p, "minSamples"), f"must be 2 or more, got {min_samples}")
    if window is None or allowed is None or confidence is None or min_samples is None:
        return None
    return MannWhitneyJudge(window, Direction(direction), allowed, float(confidence), int(min_samples))


def _allowed_change(r: Reader, m: dict[str, Any], p: Path, default: float | None) -> float | None:
    value = r.get(m, p, "allowedChange", "number", default)
    if value is not None and (math.isnan(value) or value < 0):
        r.problem((*p, "allowedChange"), f"must be 0 or more, got {value:g}")
        return None
    return None if value is None else float(value)


def read_judge_override(r: Reader, value: Any, gp: Path, judge: Judge) -> dict[str, float | None]:
    """A phase's ``gates: {name: {...}}`` entry for a judge gate."""
    kind = "counts" if isinstance(judge, CountsJudge) else "mann-whitney"
    allowed = OVERRIDE_KEYS[kind]
    if isinstance(value, dict) and "alpha" in value and kind == "counts":
        r.problem((*gp, "alpha"), "a phase may change maxRatio, never alpha: alpha bounds the whole release")
        value = {k: v for k, v in value.items() if k != "alpha"}
    lm = r.mapping(value, gp, allowed)
    if lm is None:
        return {}
    if not lm:
        r.problem(gp, f"an override of a judge: {kind} gate needs {' or '.join(allowed)}")
    out: dict[str, float | None] = {}
    if "maxRatio" in lm:
        out["maxRatio"] = _max_ratio(r, lm, gp, None)
    if "allowedChange" in lm:
        out["allowedChange"] = _allowed_change(r, lm, gp, None)
    return {k: v for k, v in out.items() if v is not None}


def effective_judges(gates: list[Gate], phases: list[Phase]) -> tuple[MappingProxyType[str, Judge], ...]:
    """Each phase's judges with its overrides applied; a counts judge knows every maxRatio it will test."""
    judged = [g for g in gates if g.judge is not None]
    if not judged:
        return ()
    tables: list[dict[str, Judge]] = []
    for phase in phases:
        table: dict[str, Judge] = {}
        for g in judged:
            j = g.judge
            over = phase.overrides.get(g.name, {})
            if isinstance(j, CountsJudge) and over.get("maxRatio") is not None:
                j = replace(j, max_ratio=float(over["maxRatio"] or 0))
            if isinstance(j, MannWhitneyJudge) and over.get("allowedChange") is not None:
                j = replace(j, allowed_change=float(over["allowedChange"] or 0))
            assert j is not None
            table[g.name] = j
        tables.append(table)
    for g in judged:
        if isinstance(g.judge, CountsJudge):
            mine = [t[g.name] for t in tables]
            ratios = tuple(sorted({j.max_ratio for j in mine if isinstance(j, CountsJudge)} | {g.judge.max_ratio}))
            for t in tables:
                cj = t[g.name]
                assert isinstance(cj, CountsJudge)
                t[g.name] = replace(cj, grid_ratios=ratios)
    return tuple(MappingProxyType(t) for t in tables)


def check_judges(r: Reader, gates: list[Gate], phases: list[Phase], interval: timedelta) -> None:
    """Plans whose judges could never decide: no stable traffic at all, or a window too short."""
    judged = [(i, g) for i, g in enumerate(gates) if g.judge is not None]
    if judged and all(p.weight == 100 for p in phases):
        i, g = judged[0]
        r.problem(
            ("spec", "gates", i, "judge"),
            f"gate {g.name!r} compares the canary with stable, and no phase leaves stable any traffic",
        )
    for i, g in judged:
        j = g.judge
        if isinstance(j, MannWhitneyJudge) and interval > timedelta(0):
            fits = _evaluations_in(j.window, interval)
            if fits < j.min_samples:
                r.problem(
                    ("spec", "gates", i, "window"),
                    f"a {_dur(j.window)} window holds at most {fits} evaluations at interval {_dur(interval)}, "
                    f"fewer than minSamples {j.min_samples}: the gate could never have data "
                    f"(widen the window to {_dur(interval * j.min_samples)} or lower minSamples)",
                )


def _evaluations_in(window: timedelta, interval: timedelta) -> int:
    """Evaluations t_k inside (t - window, t]: the window's length over the interval, rounded up."""
    return -(-window // interval)


def _dur(d: timedelta) -> str:
    from .durations import format_duration

    return format_duration(d)


def with_grid(gates: list[Gate], by_phase: tuple[MappingProxyType[str, Judge], ...]) -> list[Gate]:
    """The gates with their base counts judge carrying the plan's grid ratios too."""
    if not by_phase:
        return gates
    out = []
    for g in gates:
        if isinstance(g.judge, CountsJudge):
            g = replace(g, judge=replace(g.judge, grid_ratios=by_phase[0][g.name].grid_ratios))  # type: ignore[union-attr]
        out.append(g)
    return out


_ZERO_WHEN_EMPTY = re.compile(r"\bor\s+(on\s*\([^)]*\)\s*)?vector\s*\(\s*0(\.0*)?\s*\)", re.IGNORECASE)


def judge_text(j: Judge, unit: str = "") -> str:
    """A person's summary of a judge, for ``check``; a counts judge whose ``errors`` query can come
    back empty (no ``or vector(0)``) is noted: before the canary's first error it would read nodata."""
    if isinstance(j, CountsJudge):
        text = f"counts: H0 canary errors <= {j.max_ratio:g}x stable, alpha {j.alpha:g} (anytime-valid)"
        if not _ZERO_WHEN_EMPTY.search(j.errors):
            text += (
                "; warning: errors has no 'or vector(0)': until the canary's first error the query is empty, "
                "which is nodata (noDataLimit of them roll back)"
            )
        return text
    from .durations import format_duration

    return (
        f"mann-whitney: {j.direction.value} over {j.allowed_change:.0%} at confidence {j.confidence:g}, "
        f"window {format_duration(j.window)}, minSamples {j.min_samples}"
    )
