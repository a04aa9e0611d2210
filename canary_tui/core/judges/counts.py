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
    """The 1 - alpha confidence sequence for the ratio: (0, +Inf) before any information."""
    g = grid_of(judge)
    ll = state.loglik
    cut = _logsumexp(ll) - math.log(len(ll)) - math.log(1 / judge.alpha)
    inside = [i for i, s in enumerate(ll) if s > cut]
    if not inside:  # cannot happen (the maximum is inside), but stay total
        return 0.0, math.inf
    lo, hi = inside[0], inside[-1]
    last = len(ll) - 1
    if lo == hi and 0 < lo < last:
        # narrower than the grid (tens of thousands of errors): the parabola through the peak
        u = _roots(g, ll, lo, cut)
        return (math.exp(u[0]), math.exp(u[1])) if u else (g.ratios[lo], g.ratios[lo])
    low = 0.0 if lo == 0 else _cross(g, ll, lo - 1, lo, cut, lo + 1 if lo < last else None)
    high = math.inf if hi == last else _cross(g, ll, hi + 1, hi, cut, hi - 1 if hi > 0 else None)
    return low, high


def _parabola(g: Grid, ll: tuple[float, ...], i: int) -> tuple[float, float, float]:
    """``L(u) ~ a (u - u_i)^2 + b (u - u_i) + c`` through grid points i-1, i, i+1 (u = log ratio)."""
    u0, u1, u2 = g.logs[i - 1] - g.logs[i], 0.0, g.logs[i + 1] - g.logs[i]
    y0, y1, y2 = ll[i - 1], ll[i], ll[i + 1]
    d0, d2 = (y0 - y1) / u0, (y2 - y1) / u2  # slopes from the middle point
    a = (d2 - d0) / (u2 - u0)
    b = d0 - a * u0
    return a, b, y1 + 0 * u1


def _roots(g: Grid, ll: tuple[float, ...], i: int, cut: float) -> tuple[float, float] | None:
    """Where the parabola through the peak at grid point i crosses ``cut``, as log ratios."""
    a, b, c = _parabola(g, ll, i)
    disc = b * b - 4 * a * (c - cut)
    if a >= 0 or disc < 0:
        return None
    r = math.sqrt(disc)
    x1, x2 = (-b + r) / (2 * a), (-b - r) / (2 * a)
    return g.logs[i] + min(x1, x2), g.logs[i] + max(x1, x2)


def _cross(g: Grid, ll: tuple[float, ...], out: int, inside: int, cut: float, further: int | None) -> float:
    """Where the log-likelihood crosses ``cut`` between a grid point outside and one inside: on the
    parabola through those two and the next one inside (the log-likelihood is smooth and concave),
    else linearly."""
    lo_i, hi_i = sorted((out, inside))
    if further is not None:
        mid = inside
        a, b, c = _parabola(g, ll, mid) if 0 < mid < len(ll) - 1 else (0.0, 0.0, 0.0)
        if a < 0:
            disc = b * b - 4 * a * (c - cut)
            if disc >= 0:
                r = math.sqrt(disc)
                for x in ((-b + r) / (2 * a), (-b - r) / (2 * a)):
                    u = g.logs[mid] + x
                    if g.logs[lo_i] - 1e-12 <= u <= g.logs[hi_i] + 1e-12:
                        return math.exp(u)
    a_, b_ = ll[out], ll[inside]
    f = (cut - a_) / (b_ - a_) if b_ != a_ else 0.0
    return math.exp(g.logs[out] + f * (g.logs[inside] - g.logs[out]))


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
