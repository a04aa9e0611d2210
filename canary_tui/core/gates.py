"""Judging one gate's reading against its thresholds: pass, warn, fail or nodata, with the reason."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

from .model import Thresholds


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NODATA = "nodata"
    SKIP = "skip"  # checks only: not due at this evaluation


CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0, Status.NODATA: 0.0}
_PASS, _WARN, _FAIL, _NODATA = Status.PASS, Status.WARN, Status.FAIL, Status.NODATA


class Reading(NamedTuple):
    """What a metrics source saw for one gate at one evaluation.

    ``canary``/``stable`` are None when missing; ``error``/``stable_error`` say why
    (a query error text). Missing without an error means the answer was empty.
    A NamedTuple rather than a frozen dataclass: a day replayed at 1 s makes 1.4 million of
    these and of GateResult, and a frozen dataclass is three times slower to build.
    """

    canary: float | None = None
    stable: float | None = None
    error: str | None = None
    stable_error: str | None = None
    warnings: tuple[str, ...] = ()
    # a counts gate: (canary errors, canary requests, stable errors, stable requests) in the last interval
    counts: tuple[float, float, float, float] | None = None


class JudgeStats(NamedTuple):
    """What a judge reports beside the status (contract section 5); None where it does not apply."""

    ratio: float | None = None  # counts: the stratified estimate of canary / stable
    low: float | None = None  # counts: the confidence sequence [low, high]
    high: float | None = None
    evidence: float | None = None  # counts: the e-value
    effect: float | None = None  # mann-whitney: Hodges-Lehmann shift / stable median
    p: float | None = None  # mann-whitney: the p-value

    def to_json(self) -> dict[str, object]:
        from .events import number

        if self.effect is not None or self.p is not None:
            return {"effect": number(self.effect), "p": number(self.p)}
        return {
            "ratio": number(self.ratio),
            "interval": [number(self.low), number(self.high)],
            "evidence": number(self.evidence),
        }


class GateResult(NamedTuple):
    """One gate at one evaluation, with the consecutive counts after it (immutable, like Reading)."""

    name: str
    status: Status
    canary: float | None
    stable: float | None
    reason: str
    fails: int = 0
    nodata: int = 0
    warnings: tuple[str, ...] = ()  # what the source warned about (Prometheus answer warnings)
    stats: JudgeStats | None = None  # a judge gate's estimate, interval and evidence (or effect and p)


def judge(name: str, t: Thresholds, r: Reading, unit: str = "") -> tuple[Status, str]:
    """Apply contract section 2 step 2 to one reading. Returns the status and a readable reason."""
    v = r.canary
    if v is None or v != v:  # None or NaN
        return _NODATA, _why(r.error)
    s = r.stable
    if s is not None and s != s:
        s = None
    if t.max_ratio_to_stable is not None and s is None:
        return _NODATA, "stable: " + _why(r.stable_error)
    if t.fail_above is not None and v > t.fail_above:
        return _FAIL, f"{name} {_pair(v, t.fail_above, unit, '>')}"
    if t.fail_below is not None and v < t.fail_below:
        return _FAIL, f"{name} {_pair(v, t.fail_below, unit, '<')}"
    ratio = t.max_ratio_to_stable
    if ratio is not None and s is not None and s > 0 and v > s * ratio:
        return _FAIL, f"{name} {fmt(v, unit)} > {fmt(ratio)} x stable {fmt(s, unit)}"
    if t.warn_above is not None and v > t.warn_above:
        return _WARN, f"{name} {_pair(v, t.warn_above, unit, '>')} (warn)"
    if t.warn_below is not None and v < t.warn_below:
        return _WARN, f"{name} {_pair(v, t.warn_below, unit, '<')} (warn)"
    return _PASS, ""


def _why(error: str | None) -> str:
    return error if error else "empty result"


def fmt(x: float | None, unit: str = "") -> str:
    """A value for people: 4 significant digits, ``+Inf`` spelled as Prometheus does."""
    if x is None:
        return "-"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return f"{x:.4g}" + _unit(unit)


def _unit(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit in ("s", "ms", "%") else f" {unit}"


def _decimals(text: str) -> int | None:
    if "e" in text or "n" in text.lower():
        return None
    return len(text.split(".")[1]) if "." in text else 0


def _pair(v: float, threshold: float, unit: str, op: str) -> str:
    """``0.12 > 0.10``: value and threshold with the same number of decimals."""
    a, b = f"{v:.4g}", f"{threshold:.4g}"
    da, db = _decimals(a), _decimals(b)
    if da is not None and db is not None:
        d = max(da, db)
        a, b = f"{v:.{d}f}", f"{threshold:.{d}f}"
        u = _unit(unit)
        return f"{a}{u} {op} {b}{u}"
    return f"{fmt(v, unit)} {op} {fmt(threshold, unit)}"
