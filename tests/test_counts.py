"""The counts judge's statistics: its e-value against an independent computation, its type-I error
under continuous monitoring while the traffic split, the load and both versions' error rates move,
its power, and its numerics at 0 errors and at millions of requests."""

from __future__ import annotations

import math
import random

import pytest

from canary_tui.core.judges import counts as cj
from canary_tui.core.model import CountsJudge
from canary_tui.sim.traffic import poisson


def judge(max_ratio: float = 1.0, alpha: float = 0.01) -> CountsJudge:
    return CountsJudge("e", "r", max_ratio, alpha, (max_ratio,))


def run(j: CountsJudge, intervals: list[tuple[int, int, int, int]]) -> cj.CountsState:
    st = cj.initial(j)
    for counts in intervals:
        st = cj.update(st, j, counts)
    return st


def test_the_e_value_is_the_mixture_of_binomial_likelihood_ratios() -> None:
    """Independently: per interval the ratio of Binomial(k, theta(rho)) pmfs, raised to 1 / the
    dispersion seen before that interval, multiplied over intervals and mixed by hand."""
    j = judge(1.0)
    data = [(3, 100, 20, 1900), (0, 400, 9, 1600), (7, 500, 11, 1500), (2, 1000, 1, 1000), (9, 300, 2, 1700)]
    st = run(j, data)
    g = cj.grid_of(j)

    def pmf(x: int, k: int, theta: float) -> float:
        return math.comb(k, x) * theta**x * (1 - theta) ** (k - x)

    weights, pearson, count, num, den = [], 0.0, 0, 0.0, 0.0
    for x, n, y, m in data:
        weights.append(1 / max(1.0, (pearson + 20) / (count + 20)))
        if den > 0:  # the Pearson residual at the Mantel-Haenszel estimate of the intervals before
            theta = (num / den) * n / ((num / den) * n + m)
            pearson += (x - (x + y) * theta) ** 2 / ((x + y) * theta * (1 - theta))
            count += 1
        num, den = num + x * m / (n + m), den + y * n / (n + m)
    assert weights[-1] < 1  # the last interval is tempered: the canary's share jumped

    def ratio(rho: float) -> float:
        out = 1.0
        for (x, n, y, m), w in zip(data, weights, strict=True):
            theta, theta0 = rho * n / (rho * n + m), n / (n + m)
            out *= (pmf(x, x + y, theta) / pmf(x, x + y, theta0)) ** w
        return out

    alts = [r for r in g.ratios if 1.0 < r <= 16.0 + 1e-9]
    want = sum(ratio(r) for r in alts) / len(alts)
    assert math.exp(cj.log_evidence(st, j)) == pytest.approx(want, rel=1e-9)


def test_before_any_errors_there_is_no_evidence_and_the_interval_is_everything() -> None:
    j = judge()
    st = run(j, [(0, 5000, 0, 95000)] * 50)
    assert cj.log_evidence(st, j) == 0.0
    assert cj.confidence_sequence(st, j) == (0.0, math.inf)
    assert cj.estimate(st) is None
    assert st.canary_requests == 250000


def test_errors_only_on_the_canary_give_an_infinite_estimate_and_a_finite_bound() -> None:
    j = judge()
    st = run(j, [(3, 5000, 0, 95000)] * 4)
    assert cj.estimate(st) == math.inf
    low, high = cj.confidence_sequence(st, j)
    assert low > 1 and high == math.inf
    assert cj.log_evidence(st, j) > math.log(100)  # 12 errors where 0.6 were expected


def test_an_interval_without_stable_traffic_changes_nothing() -> None:
    j = judge()
    before = run(j, [(5, 1000, 50, 19000)])
    after = cj.update(before, j, (9, 1000, 0, 0))
    assert after.loglik == before.loglik and after.intervals == before.intervals


def test_millions_of_requests_stay_finite_and_accurate() -> None:
    j = judge(1.0)
    rng = random.Random(5)
    st = cj.initial(j)
    for _ in range(2000):  # 2000 intervals of 5 million requests at 1%: 10^10 requests in all
        n, m = 250_000, 4_750_000
        st = cj.update(st, j, (poisson(n * 0.0103, rng), n, poisson(m * 0.01, rng), m))
    assert all(math.isfinite(v) for v in st.loglik)
    low, high = cj.confidence_sequence(st, j)
    assert low < 1.03 < high and high - low < 0.03  # about the grid spacing (2.2%)
    assert cj.estimate(st) == pytest.approx(1.03, abs=0.005)
    assert cj.log_evidence(st, j) > math.log(100)  # +3% is seen at this volume


def release(rng: random.Random, rho: float, base: float, intervals: int = 120) -> list[tuple[int, int, int, int]]:
    """One release: weights 5 -> 25 -> 50 %, diurnal load, a common error multiplier per interval
    (with hiccups that hit both versions), Poisson counts."""
    out = []
    phase = rng.uniform(0, 2 * math.pi)
    for i in range(intervals):
        weight = 0.05 if i < 40 else 0.25 if i < 80 else 0.5
        load = 60 * 300 * (1 + 0.5 * math.sin(phase + i / 30))  # requests per interval
        common = math.exp(rng.gauss(0, 0.4)) * (6.0 if rng.random() < 0.03 else 1.0)
        n, m = poisson(load * weight, rng), poisson(load * (1 - weight), rng)
        out.append((poisson(n * base * rho * common, rng), n, poisson(m * base * common, rng), m))
    return out


def ever_rejects(j: CountsJudge, intervals: list[tuple[int, int, int, int]]) -> int | None:
    st = cj.initial(j)
    bound = math.log(1 / j.alpha)
    for i, counts in enumerate(intervals):
        st = cj.update(st, j, counts)
        if cj.log_evidence(st, j) >= bound:
            return i
    return None


def test_type_one_error_under_continuous_monitoring_with_changing_weights() -> None:
    """Looked at after every interval, healthy canaries (rho = 1, and rho = 0.8 inside H0) are
    rejected at most alpha of the time; pooled totals would not be (the weight and the load move)."""
    alpha = 0.1  # a large alpha, so a few hundred releases measure it
    j = judge(1.0, alpha)
    rng = random.Random(2026)
    trials = 300
    false = sum(ever_rejects(j, release(rng, 1.0 if k % 2 else 0.8, 0.01, 100)) is not None for k in range(trials))
    assert false / trials <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / trials)


def test_the_confidence_sequence_covers_the_true_ratio_at_all_times() -> None:
    alpha = 0.05
    j = judge(1.0, alpha)
    rng = random.Random(99)
    trials, misses = 100, 0
    for _ in range(trials):
        st = cj.initial(j)
        for counts in release(rng, 1.5, 0.01, 60):
            st = cj.update(st, j, counts)
            low, high = cj.confidence_sequence(st, j)
            if not low <= 1.5 <= high:
                misses += 1
                break
    assert misses / trials <= 2 * alpha + 3 * math.sqrt(2 * alpha * (1 - 2 * alpha) / trials)  # each bound alpha


def test_a_doubled_error_rate_is_rejected_soon() -> None:
    j = judge(1.0, 0.01)
    rng = random.Random(8)
    found = [ever_rejects(j, release(rng, 2.0, 0.01, 40)) for _ in range(50)]
    assert sum(f is not None for f in found) >= 49
    assert sorted(f for f in found if f is not None)[len(found) // 2] <= 10


def test_max_ratio_tolerates_a_known_ratio() -> None:
    """With maxRatio 2 a canary at 1.6x stable is within H0, a canary at 4x is not."""
    j = judge(2.0, 0.01)
    rng = random.Random(12)
    assert ever_rejects(j, release(rng, 1.6, 0.01, 60)) is None
    assert ever_rejects(j, release(rng, 4.0, 0.01, 60)) is not None


def test_counts_that_cannot_be_used_are_named() -> None:
    assert cj.check_counts((1, 10, 2, 20)) is None
    assert "negative" in (cj.check_counts((-1, 10, 2, 20)) or "")
    assert cj.check_counts((11, 10, 2, 20)) == "more errors than requests"
    assert "not a finite number" in (cj.check_counts((float("nan"), 10, 2, 20)) or "")
