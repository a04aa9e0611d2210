"""Statistical judges (contract section 5): one evaluation of a judge gate, from its state and reading."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from ..gates import JudgeStats, Reading, Status
from ..model import CountsJudge, Direction, Judge, MannWhitneyJudge
from . import counts as cj
from .counts import CountsState
from .mannwhitney import hodges_lehmann, median, u_test


@dataclass(frozen=True, slots=True)
class WindowState:
    """A mann-whitney gate's values of the evaluations in its window: (time, canary, stable)."""

    samples: tuple[tuple[datetime, float | None, float | None], ...] = ()


JudgeState = CountsState | WindowState


class Judged(NamedTuple):
    status: Status
    reason: str
    canary: float | None
    stable: float | None
    stats: JudgeStats | None
    state: JudgeState
    counts_nodata: bool = True  # False: a nodata that does not count toward noDataLimit (warming up)


def initial(judge: Judge) -> JudgeState:
    return cj.initial(judge) if isinstance(judge, CountsJudge) else WindowState()


def evaluate(
    name: str, judge: Judge, state: JudgeState | None, reading: Reading, now: datetime, evaluation: int
) -> Judged:
    """One evaluation (``evaluation`` counts from 1 at t0) of a judge gate."""
    if isinstance(judge, CountsJudge):
        st = state if isinstance(state, CountsState) else cj.initial(judge)
        if len(st.loglik) != len(cj.grid_of(judge).ratios):
            st = cj.initial(judge)  # cannot happen with a validated state; never index out of range
        return _counts(name, judge, st, reading)
    return _window(name, judge, state if isinstance(state, WindowState) else WindowState(), reading, now, evaluation)


# --------------------------------------------------------------------------- counts


def _counts(name: str, judge: CountsJudge, st: CountsState, r: Reading) -> Judged:
    problem = None
    if r.error or r.stable_error:
        problem = r.error or f"stable: {r.stable_error}"
    elif r.counts is None:
        problem = "empty result"
    else:
        problem = cj.check_counts(r.counts)
        if problem is None and round(r.counts[1]) <= 0:
            problem = "no canary requests in this interval"
    if problem is None and r.counts is not None:
        st = cj.update(st, judge, r.counts)
    log_e = cj.log_evidence(st, judge)
    st = cj.intersect(st, *cj.confidence_sequence(st, judge))
    low, high = st.low, st.high
    # the e-value against maxRatio reaches 1/alpha now, or did before (the running lower bound passed
    # it: this happens only when a phase lowered maxRatio); a rejection is final
    if not st.rejected and (log_e >= math.log(1 / judge.alpha) or low > judge.max_ratio):
        st = replace(st, rejected=True)
    ratio = cj.estimate(st)
    if ratio is not None:
        ratio = min(max(ratio, low), high)  # the estimate within the interval shown
    stats = JudgeStats(ratio=ratio, low=low, high=high, evidence=cj.evidence(log_e))
    canary = st.canary_errors / st.canary_requests if st.canary_requests else None
    stable = st.stable_errors / st.stable_requests if st.stable_requests else None
    if problem is not None and not st.rejected:
        return Judged(Status.NODATA, problem, canary, stable, stats, st)
    cs = cj.cs_text(judge, low, high)
    if st.rejected:
        reason = (
            f"{name} {cj.times(ratio)} stable ({cs}) > {cj.times(judge.max_ratio)} "
            f"after {st.canary_requests:,.0f} canary requests"
        )
        return Judged(Status.FAIL, reason, canary, stable, stats, st)
    if ratio is not None and ratio > judge.max_ratio:
        reason = (
            f"{name} {cj.times(ratio)} stable ({cs}), above {cj.times(judge.max_ratio)} but not significant yet "
            f"(evidence {stats.evidence:.3g} of {1 / judge.alpha:g})"
        )
        return Judged(Status.WARN, reason, canary, stable, stats, st)
    return Judged(Status.PASS, "", canary, stable, stats, st)


# --------------------------------------------------------------------------- mann-whitney


def _usable(x: float | None) -> bool:
    return x is not None and x == x  # None and NaN add no sample


def _window(name: str, judge: MannWhitneyJudge, st: WindowState, r: Reading, now: datetime, evaluation: int) -> Judged:
    since = now - judge.window
    kept = [s for s in st.samples if s[0] > since]
    c = r.canary if _usable(r.canary) else None
    s = r.stable if _usable(r.stable) else None
    if c is not None or s is not None:
        kept.append((now, c, s))
    st = WindowState(tuple(kept))
    xs = [v for _, v, _ in kept if v is not None]
    ys = [v for _, _, v in kept if v is not None]
    canary = median(xs) if xs else None
    stable = median(ys) if ys else None
    need = judge.min_samples
    if len(xs) < need or len(ys) < need:
        if evaluation < need:
            why = f"warming up: {evaluation} of {need} evaluations since the start"
            return Judged(Status.NODATA, why, canary, stable, None, st, counts_nodata=False)
        why = f"{len(xs)} canary and {len(ys)} stable values in the window, {need} needed on each side"
        if r.error and not _usable(r.canary):
            why += f" (canary: {r.error})"
        elif r.stable_error and not _usable(r.stable):
            why += f" (stable: {r.stable_error})"
        return Judged(Status.NODATA, why, canary, stable, None, st)
    test = u_test(xs, ys)
    alternative = {Direction.INCREASE: "greater", Direction.DECREASE: "less", Direction.EITHER: "two-sided"}
    p = test.p(alternative[judge.direction])
    shift = hodges_lehmann(xs, ys)
    assert stable is not None
    effect = _relative(shift, stable)
    stats = JudgeStats(effect=effect, p=p)
    level = 1 - judge.confidence
    if p > level:
        return Judged(Status.PASS, "", canary, stable, stats, st)
    bad = {
        Direction.INCREASE: effect > judge.allowed_change,
        Direction.DECREASE: effect < -judge.allowed_change,
        Direction.EITHER: abs(effect) > judge.allowed_change,
    }[judge.direction]
    sign = "-" if judge.direction is Direction.DECREASE else "+"
    allowed = ("+/-" if judge.direction is Direction.EITHER else sign) + _pct(judge.allowed_change, signed=False)
    base = f"{name} {_pct(effect)} vs stable (Hodges-Lehmann, {len(xs)} vs {len(ys)} values, p {p:.2g} < {level:g})"
    if bad:
        return Judged(Status.FAIL, f"{base} beyond {allowed} allowed", canary, stable, stats, st)
    return Judged(Status.WARN, f"{base}, within {allowed} allowed", canary, stable, stats, st)


def _relative(shift: float, base: float) -> float:
    if base != 0 and not math.isinf(base):
        return shift / abs(base)
    if shift == 0:
        return 0.0
    return math.copysign(math.inf, shift)


def _pct(x: float, signed: bool = True) -> str:
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    text = f"{100 * x:.3g}%"
    return ("+" + text if x >= 0 else text) if signed else text


def summary(stats: JudgeStats | None) -> tuple[str, str]:
    """A judge's numbers for a table's two level columns: the estimate, then interval and evidence
    (counts: ``2.1x``, ``CS 1.4x-3.2x e 12``) or the effect, then the p-value (mann-whitney)."""
    if stats is None:
        return "-", "-"
    if stats.effect is not None or stats.p is not None:
        effect = _pct(stats.effect) if stats.effect is not None else "-"
        return effect, f"p {stats.p:.2g}" if stats.p is not None else "-"
    ratio = cj.times(stats.ratio)
    low = stats.low if stats.low is not None else 0.0
    high = stats.high if stats.high is not None else math.inf
    top = cj.bound(high, up=True)
    evidence = stats.evidence if stats.evidence is not None else 1.0
    return ratio, f"CS {cj.bound(low, up=False) if low else '0'}-{top} e {evidence:.3g}"
