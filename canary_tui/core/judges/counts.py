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
looked at.

Real traffic is overdispersed: pod-to-pod spread and bursts move each version's error rate from
interval to interval, by a relative amount ``tau`` (the sd of the log of canary / stable), so the
canary's share varies like a beta-binomial's with intraclass correlation ``theta (1 - theta)
tau^2``: an interval with ``k`` errors has ``phi = 1 + (k - 1) theta (1 - theta) tau^2`` times the
binomial variance, which is large when ``k`` is in the thousands. Each interval's log-likelihood
ratio is multiplied by ``1 / phi`` (a quasi-likelihood), with ``phi`` computed from ``k``, ``n``,
``m`` and the earlier intervals only, and ``tau`` at least ``TAU0``, estimated from the intervals'
Pearson residuals when they show more. A power ``w <= 1`` fixed given ``k`` keeps ``E[LR^w | k] <=
1`` (Jensen), so the test stays exact under the binomial model; under overdispersion of variance
``phi`` the tempered ratio is a martingale to second order, so the test is approximately valid
there (measured by benchmarks/judges.py).

The confidence sequence is two-sided at ``1 - alpha``: ``low`` inverts the one-sided test at
``LOW_SHARE x alpha``, ``high`` the mirror test at the rest, and the running intersection is kept.
The reported e-value is ``LOW_SHARE`` x the mixture against ``maxRatio`` (still an e-value), so
it reaches ``1/alpha`` exactly when ``low`` passes ``maxRatio``. The estimate is the
Mantel-Haenszel rate ratio. See docs/judges.md for the choices and their limits.
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
TAU0 = 0.2  # the least noise assumed between the versions: sd of the log of their error-rate ratio per interval
NOISE_PRIOR = 2.0  # the estimated noise is shrunk towards TAU0 as if this many intervals had shown it
LOW_SHARE = 0.9  # the share of alpha spent on the lower bound (the side that decides); the rest on the upper


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
    """The test's memory: the grid's log-likelihood sums, the totals, the noise seen, the confidence
    sequence so far, and whether it rejected."""

    loglik: tuple[float, ...]
    canary_errors: float = 0.0
    canary_requests: float = 0.0
    stable_errors: float = 0.0
    stable_requests: float = 0.0
    mh_num: float = 0.0  # Mantel-Haenszel: sum x*m/(n+m)
    mh_den: float = 0.0  # and sum y*n/(n+m)
    intervals: int = 0  # intervals that carried information (stable had requests)
    rejected: bool = False
    noise_sum: float = 0.0  # sum of u_i t_i: each interval's estimate t_i of tau^2 (from its Pearson residual)
    noise_weight: float = 0.0  # sum of the weights u_i (near 1 where overdispersion dominates, 0 at k = 1)
    low: float = 0.0  # the running intersection of the evaluations' confidence sequences
    high: float = math.inf


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
    tau2 = noise(state)  # predictable: from the intervals before this one
    w = 1 / dispersion(k, a, judge.max_ratio, tau2)
    loglik = tuple(
        [s + w * (x * lr - k * log1p(r * a)) for s, lr, r in zip(state.loglik, g.logs, g.ratios, strict=False)]
    )
    total = n + m
    noise_sum, noise_weight = state.noise_sum, state.noise_weight
    rho = estimate(state)  # prequential: the residual at the estimate of the intervals before
    if k >= 2 and rho is not None and math.isfinite(rho) and rho > 0:
        theta = rho * a / (rho * a + 1)
        q = theta * (1 - theta)
        if q > 0:
            pearson = (x - k * theta) ** 2 / (k * q)
            t = (pearson - 1) / ((k - 1) * q)  # E[t] = tau^2 under the beta-binomial variance
            extra = (k - 1) * q * tau2
            u = (extra / (1 + extra)) ** 2  # about inverse-variance: t's sd is sqrt(2) phi / ((k - 1) q)
            noise_sum += u * t
            noise_weight += u
    return replace(
        state,
        loglik=loglik,
        mh_num=state.mh_num + x * m / total,
        mh_den=state.mh_den + y * n / total,
        intervals=state.intervals + 1,
        noise_sum=noise_sum,
        noise_weight=noise_weight,
    )


def noise(state: CountsState) -> float:
    """tau^2, the variance of the log of canary / stable error rates between intervals beyond Poisson
    noise: the weighted mean of the intervals' estimates shrunk towards TAU0^2, and never below it."""
    floor = TAU0 * TAU0
    return max(floor, (state.noise_sum + NOISE_PRIOR * floor) / (state.noise_weight + NOISE_PRIOR))


def dispersion(k: float, a: float, max_ratio: float, tau2: float) -> float:
    """How many times the binomial variance the canary's share of ``k`` errors has when the log of the
    versions' error-rate ratio varies by ``tau2``: ``1 + (k - 1) theta (1 - theta) tau2`` (a
    beta-binomial's), at the largest ``theta (1 - theta)`` of any ratio in H0 (``<= maxRatio``);
    ``a`` is canary requests / stable requests."""
    theta = max_ratio * a / (max_ratio * a + 1)
    q = 0.25 if theta >= 0.5 else theta * (1 - theta)
    return 1 + max(0.0, k - 1) * q * tau2


def _logsumexp(values: tuple[float, ...] | list[float]) -> float:
    top = max(values)
    if math.isinf(top):
        return top
    exp = math.exp
    return top + math.log(sum([exp(v - top) for v in values]))


def log_evidence(state: CountsState, judge: CountsJudge) -> float:
    """log of the e-value against H0 ``rho <= maxRatio``: ``LOW_SHARE`` x the mixture."""
    g = grid_of(judge)
    c = judge.max_ratio
    start, stop = g.alternatives(c)
    alts = state.loglik[start:stop]
    return math.log(LOW_SHARE) + _logsumexp(alts) - math.log(stop - start) - state.loglik[g.index(c)]


def confidence_sequence(state: CountsState, judge: CountsJudge) -> tuple[float, float]:
    """This evaluation's 1 - alpha confidence sequence for the ratio: ``low`` is the smallest ratio
    ``c`` that the test of H0 ``rho <= c`` does not reject at ``LOW_SHARE x alpha`` (so it passes
    ``maxRatio`` when the reported e-value reaches ``1/alpha``), ``high`` the largest that the mirror
    test of ``rho >= c`` (alternatives in [c/16, c)) does not reject at the rest of alpha. (0, +Inf)
    before any information. ``intersect`` keeps their running intersection."""
    g = grid_of(judge)
    sums = _Sums(state.loglik)
    low = _bound(g, sums, math.log(1 / (LOW_SHARE * judge.alpha)), down=True)
    high = _bound(g, sums, math.log(1 / ((1 - LOW_SHARE) * judge.alpha)), down=False)
    return low, high


def intersect(state: CountsState, low: float, high: float) -> CountsState:
    """Keep the running intersection of the confidence sequences (a 1 - alpha confidence sequence
    too: the ratio lies in all of them at once with that probability). Should it become empty (the
    ratio moved between phases, which the model does not allow), the lower bound wins."""
    low, high = max(state.low, low), min(state.high, high)
    return replace(state, low=low, high=max(low, high))


class _Sums:
    """The grid's log-likelihoods with prefix sums of ``exp(ll - max)``, so that the log of a mixture
    over any slice costs O(1); the exact log-sum-exp where the subtraction would lose digits."""

    def __init__(self, ll: tuple[float, ...]) -> None:
        self.ll = ll
        self.top = max(range(len(ll)), key=ll.__getitem__)
        self.peak = ll[self.top]
        exp, peak = math.exp, self.peak
        prefix = [0.0]
        total = 0.0
        for v in ll:
            total += exp(v - peak)
            prefix.append(total)
        self.prefix = prefix

    def log_sum(self, start: int, stop: int) -> float:
        inside = self.prefix[stop] - self.prefix[start]
        if inside > 1e-6 * self.prefix[stop]:
            return self.peak + math.log(inside)
        return _logsumexp(self.ll[start:stop])


def _one_sided(g: Grid, sums: _Sums, j: int, up: bool) -> float:
    """log of the mixture at grid point j against ``rho <= c_j`` (up) or ``rho >= c_j`` (not up)."""
    c = g.ratios[j]
    if up:
        start, stop = j + 1, bisect.bisect_right(g.ratios, REACH * c * (1 + 1e-12))
    else:
        start, stop = bisect.bisect_left(g.ratios, c / REACH * (1 - 1e-12)), j
    if stop <= start:
        return -math.inf
    return sums.log_sum(start, stop) - math.log(stop - start) - sums.ll[j]


def _bound(g: Grid, sums: _Sums, cut: float, down: bool) -> float:
    """Binary search from the peak (never rejected) towards the grid's end for the last grid point
    the test does not reject, then linear in log e-value to the crossing."""
    edge = 0 if down else len(sums.ll) - 1
    if _one_sided(g, sums, edge, up=down) < cut:
        return 0.0 if down else math.inf
    inside, outside = sums.top, edge  # inside: not rejected; outside: rejected
    while abs(inside - outside) > 1:
        mid = (inside + outside) // 2
        if _one_sided(g, sums, mid, up=down) < cut:
            inside = mid
        else:
            outside = mid
    e_out, e_in = _one_sided(g, sums, outside, up=down), _one_sided(g, sums, inside, up=down)
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


def bound(x: float, up: bool, above: float | None = None) -> str:
    """A confidence bound for people, rounded outwards (``low`` down, ``high`` up) at the precision of
    ``times``, so the interval shown holds the one computed; with ``above`` (a lower bound that is
    above ``maxRatio``), with as many more digits as it takes to show it above."""
    if math.isinf(x):
        return "+Inf"
    if x <= 0:
        return "0x"
    digits = max(2, 1 - math.floor(math.log10(x))) if x < 1 else 1 if x < 10 else 0
    while True:
        scaled = x * 10**digits
        whole = math.ceil(scaled * (1 - 1e-12)) if up else math.floor(scaled * (1 + 1e-12))
        value = whole / 10**digits
        if above is None or value > above or digits >= 6:
            return f"{value:.{digits}f}x"
        digits += 1


def cs_text(judge: CountsJudge, low: float, high: float) -> str:
    """``99% CS 1.4x-3.2x``, or ``99% CS 1.4x or more`` while the upper bound is unbounded."""
    level = f"{100 * (1 - judge.alpha):g}% CS"
    shown = bound(low, up=False, above=judge.max_ratio if low > judge.max_ratio else None)
    if math.isinf(high):
        return f"{level} {shown} or more"
    return f"{level} {shown}-{bound(high, up=True)}"
