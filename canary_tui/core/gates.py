"""Judging one gate's reading against its thresholds: pass, warn, fail or nodata, with the reason."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from .model import Thresholds


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NODATA = "nodata"


CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0, Status.NODATA: 0.0}


@dataclass(frozen=True, slots=True)
class Reading:
    """What a metrics source saw for one gate at one evaluation.

    ``canary``/``stable`` are None when missing; ``error``/``stable_error`` say why
    (a query error text). Missing without an error means the answer was empty.
    """

    canary: float | None = None
    stable: float | None = None
    error: str | None = None
    stable_error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate at one evaluation, with the consecutive counts after it."""

    name: str
    status: Status
    canary: float | None
    stable: float | None
    reason: str
    fails: int = 0
    nodata: int = 0


def judge(name: str, t: Thresholds, r: Reading, unit: str = "") -> tuple[Status, str]:
    """Apply contract section 2 step 2 to one reading. Returns the status and a readable reason."""
    v = r.canary
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return Status.NODATA, _why(r.error)
    s = r.stable
    if s is not None and math.isnan(s):
        s = None
    if t.max_ratio_to_stable is not None and s is None:
        return Status.NODATA, "stable: " + _why(r.stable_error)
    if t.fail_above is not None and v > t.fail_above:
        return Status.FAIL, f"{name} {_pair(v, t.fail_above, unit, '>')}"
    if t.fail_below is not None and v < t.fail_below:
        return Status.FAIL, f"{name} {_pair(v, t.fail_below, unit, '<')}"
    ratio = t.max_ratio_to_stable
    if ratio is not None and s is not None and s > 0 and v > s * ratio:
        return Status.FAIL, f"{name} {fmt(v, unit)} > {fmt(ratio)} x stable {fmt(s, unit)}"
    if t.warn_above is not None and v > t.warn_above:
        return Status.WARN, f"{name} {_pair(v, t.warn_above, unit, '>')} (warn)"
    if t.warn_below is not None and v < t.warn_below:
        return Status.WARN, f"{name} {_pair(v, t.warn_below, unit, '<')} (warn)"
    return Status.PASS, ""


def _why(error: str | None) -> str:
    return error if error else "empty result"


def fmt(x: float | None, unit: str = "") -> str:
    """A value for people: 4 significant digits, ``+Inf`` spelled as Prometheus does."""
    if x is None:
        return "-"
    if math.isinf(x):
        text = "+Inf" if x > 0 else "-Inf"
    else:
        text = f"{x:.4g}"
    return text + _unit(unit)


def _unit(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit in ("s", "ms", "%") else f" {unit}"


def _decimals(text: str) -> int | None:
    if "e" in text or "inf" in text.lower():
        return None
    return len(text.split(".")[1]) if "." in text else 0


def _pair(v: float, threshold: float, unit: str, op: str) -> str:
    """``0.12 > 0.10``: value and threshold with the same number of decimals."""
    a, b = f"{v:.4g}", f"{threshold:.4g}"
    da, db = _decimals(a), _decimals(b)
    if da is not None and db is not None:
        d = max(da, db)
        a, b = f"{v:.{d}f}", f"{threshold:.{d}f}"
    else:
        a, b = fmt(v), fmt(threshold)
    u = _unit(unit)
    return f"{a}{u} {op} {b}{u}"
