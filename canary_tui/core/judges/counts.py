"""``judge: counts``: a stratified, anytime-valid test of the canary's error ratio against stable's.

Per interval i the canary had ``x`` errors in ``n`` requests, stable ``y`` in ``m``. Given the
``k = x + y`` errors of that interval, under Poisson errors with rates ``rho * p`` and ``p`` the
canary's share is Binomial(k, theta) with ``theta = rho*n / (rho*n + m)``: the interval's load,
its common error rate ``p`` and the traffic split all drop out. The log-likelihood of each ratio
``rho`` on a fixed log-spaced grid is summed over intervals (up to a term that does not depend on
``rho``), so one evaluation costs one ``log1p`` per grid point and the state is the grid's sums.

For H0 ``rho <= c`` the e-value is the uniform mixture over the grid ratios in ``(c, 16c]`` of the
likelihood ratios against ``c``. The binomial family has a monotone likelihood ratio, so each
ratio is a nonnegative supermartingale under every ``rho <= c``, and so is their mixture: by
Ville's inequality it reaches ``1/alpha`` with probability at most ``alpha``, however often it is
looked at. The confidence sequence is the set of grid ratios that the two-sided mixture (uniform
over the whole grid) does not reject at ``alpha``; the estimate is the Mantel-Haenszel rate ratio.
See docs/judges.md for the choices and their limits.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from functools import lru_cache

from ..model import CountsJudge

GRID_STEP_LOG2 = 1 / 32  # grid ratios 2^(i/32): neighbours 2.2% apart
GRID_SPAN_LOG2 = 7  # from 1/128 to 128
REACH = 16.0  # the one-sided mixture's alternatives: (maxRatio, 16 x maxRatio]


@dataclass(frozen=True, slots=True)
class Grid:
    ratios: tuple[float, ...]
    logs: tuple[float, ...]

    def index(self, ratio: float) -> int:
        return self.ratios.index(ratio)

    def alternatives(self, c: float) -> tuple[int, int]:
        """The slice of grid points in (c, REACH x c]: the one-sided mixture's alternatives."""
        return _alternatives(self, c)


@lru_cache(maxsize=256)
def _alternatives(g: Grid, c: float) -> tuple[int, int]:
    top = REACH * c * (1 + 1e-12)
    idx = [i for i, r in enumerate(g.ratios) if c < r <= top]
    return idx[0], idx[-1] + 1


@lru_cache(maxsize=64)
def grid_for(extra: tuple[float, ...]) -> Grid:
    """The regular grid with the plan's maxRatio values added (so ``L(maxRatio)`` is exact)."""
    n = round(GRID_SPAN_LOG2 / GRID_STEP_LOG2)
    regular = {2.0 ** (i * GRID_STEP_LOG2) for i in range(-n, n + 1)}
    ratios = tuple(sorted(regular | set(extra)))
    return Grid(ratios, tuple(math.log(r) for r in ratios))


def grid_of(judge: CountsJudge) -> Grid:
    return grid_for(judge.grid_ratios or (judge.max_ratio,))


@dataclass(frozen=True, slots=True)
class CountsState:
    """The test's memory: the grid's log-likelihood sums, the totals, and whether it rejected."""

    loglik: tuple[float, ...]
    canary_errors: float = 0.0
    canary_requests: float = 0.0
    stable_errors: float = 0.0
    stable_requests: float = 0.0
    mh_num: float = 0.0  # Mantel-Haenszel: sum x*m/(n+m)
    mh_den: float = 0.0  # and sum y*n/(n+m)
    intervals: int = 0  # intervals that carried information (stable had requests)
    rejected: bool = False
    pearson: float = 0.0  # sum of squared Pearson residuals of the intervals with errors
    residuals: int = 0  # and how many there were: the dispersion estimate


def initial(judge: CountsJudge) -> CountsState:
    return CountsState(loglik=(0.0,) * len(grid_of(judge).ratios))


def check_counts(counts: tuple[float, float, float, float]) -> str | None:
    """Why one interval's counts cannot be used, or None."""
    for value, what in zip(
        counts, ("canary errors", "canary requests", "stable errors", "stable requests"), strict=False
    ):
        if value != value or math.isinf(value):
            return f"{what} is not a finite number"
        if value < 0:
            return f"{what} is negative ({value:g})"
    x, n, y, m = counts
    if round(x) > round(n) or round(y) > round(m):
        return "more errors than requests"
    return None


def update(state: CountsState, judge: CountsJudge, counts: tuple[float, float, float, float]) -> CountsState:
    """Add one interval. Counts are rounded to whole events (``increase()`` extrapolates)."""
    x, n, y, m = (float(round(v)) for v in counts)
    state = replace(
        state,
        canary_errors=state.canary_errors + x,
        canary_requests=state.canary_requests + n,
        stable_errors=state.stable_errors + y,
        stable_requests=state.stable_requests + m,
    )
    if n <= 0 or m <= 0:
        return state  # no stable traffic: the interval says nothing about the ratio
    k = x + y
    if k <= 0:
        return replace(state, intervals=state.intervals + 1)
    a = n / m
    g = grid_of(judge)
    log1p = math.log1p
    w = 1 / dispersion(state)  # tempered by the overdispersion seen so far (predictable: before this interval)
    loglik = tuple(
        [s + w * (x * lr - k * log1p(r * a)) for s, lr, r in zip(state.loglik, g.logs, g.ratios, strict=False)]
    )
    total = n + m
    pearson, residuals = state.pearson, state.residuals
    rho = estimate(state)
    if rho is not None and math.isfinite(rho) and rho > 0:
        theta = rho * a / (rho * a + 1)
        pearson += (x - k * theta) ** 2 / (k * theta * (1 - theta))
        residuals += 1
    return replace(
        state,
        loglik=loglik,
        mh_num=state.mh_num + x * m / total,
        mh_den=state.mh_den + y * n / total,
        intervals=state.intervals + 1,
        pearson=pearson,
        residuals=residuals,
    )


PRIOR_INTERVALS = 20  # the dispersion starts at 1 as if 20 intervals had shown no overdispersion


def dispersion(state: CountsState) -> float:
    """How much more the canary's share of errors varies from interval to interval than binomial
    noise allows (pod-to-pod spread, bursts): the mean squared Pearson residual, shrunk towards 1
    and never below it. Each interval's log-likelihood is divided by it (a tempered likelihood
    ratio, still an e-value under the binomial model since E[LR^c] <= 1 for c <= 1)."""
    return max(1.0, (state.pearson + PRIOR_INTERVALS) / (state.residuals + PRIOR_INTERVALS))


def _logsumexp(values: tuple[float, ...] | list[float]) -> float:
    top = max(values)
    if math.isinf(top):
        return top
    exp = math.exp
    return top + math.log(sum([exp(v - top) for v in values]))


def log_evidence(state: CountsState, judge: CountsJudge) -> float:
    """log of the e-value against H0 ``rho <= maxRatio``."""
    g = grid_of(judge)
    c = judge.max_ratio
    start, stop = g.alternatives(c)
    alts = state.loglik[start:stop]
    return _logsumexp(alts) - math.log(stop - start) - state.loglik[g.index(c)]


def confidence_sequence(state: CountsState, judge: CountsJudge) -> tuple[float, float]:
    """The confidence sequence for the ratio, each bound by inverting the one-sided test at alpha:
    ``low`` is the smallest ratio the test of H0 ``rho <= c`` does not reject (so ``fail`` is exactly
    ``low > maxRatio``), ``high`` the largest that the mirror test of ``rho >= c`` (alternatives in
    [c/16, c)) does not. Each bound holds at all times with probability 1 - alpha (both: 1 - 2 alpha).
    (0, +Inf) before any information."""
    g = grid_of(judge)
    ll = state.loglik
    cut = math.log(1 / judge.alpha)
    top = max(range(len(ll)), key=ll.__getitem__)
    low = _bound(g, ll, cut, top, down=True)
    high = _bound(g, ll, cut, top, down=False)
    return low, high


def _one_sided(g: Grid, ll: tuple[float, ...], j: int, up: bool) -> float:
    """log e-value at grid point j against ``rho <= c_j`` (up) or ``rho >= c_j`` (not up)."""
    c = g.ratios[j]
    if up:
        start, stop = j + 1, bisect.bisect_right(g.ratios, REACH * c * (1 + 1e-12))
    else:
        start, stop = bisect.bisect_left(g.ratios, c / REACH * (1 - 1e-12)), j
    if stop <= start:
        return -math.inf
    return _logsumexp(ll[start:stop]) - math.log(stop - start) - ll[j]


def _bound(g: Grid, ll: tuple[float, ...], cut: float, top: int, down: bool) -> float:
    """Binary search from the peak (never rejected) towards the grid's end for the last grid point
    the test does not reject, then linear in log e-value to the crossing."""
    edge = 0 if down else len(ll) - 1
    if _one_sided(g, ll, edge, up=down) < cut:
        return 0.0 if down else math.inf
    inside, outside = top, edge  # inside: not rejected; outside: rejected
    while abs(inside - outside) > 1:
        mid = (inside + outside) // 2
        if _one_sided(g, ll, mid, up=down) < cut:
            inside = mid
        else:
            outside = mid
    e_out, e_in = _one_sided(g, ll, outside, up=down), _one_sided(g, ll, inside, up=down)
    f = (e_out - cut) / (e_out - e_in) if math.isfinite(e_in) and e_out != e_in else 1.0
    u_out, u_in = g.logs[outside], g.logs[inside]
    return math.exp(u_out + max(0.0, min(1.0, f)) * (u_in - u_out))


def estimate(state: CountsState) -> float | None:
    """The Mantel-Haenszel rate ratio over the intervals; +Inf when only the canary had errors."""
    if state.mh_den > 0:
        return state.mh_num / state.mh_den
    return math.inf if state.mh_num > 0 else None


def evidence(log_e: float) -> float:
    return math.exp(log_e) if log_e < 700 else math.inf


def times(x: float | None) -> str:
    """A ratio for people: ``2.1x``, ``0.95x``, ``12x``."""
    if x is None:
        return "-"
    if math.isinf(x):
        return "+Inf"
    if x < 1:
        return f"{x:.2g}x"
    return f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


def cs_text(judge: CountsJudge, low: float, high: float) -> str:
    level = f"{100 * (1 - judge.alpha):g}% CS"
    if math.isinf(high):
        return f"{level} {times(low)} or more"
    return f"{level} {times(low)}-{times(high)}"
