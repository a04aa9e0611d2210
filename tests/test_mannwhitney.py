"""The Mann-Whitney U test's exact p-values (ties included) and the Hodges-Lehmann shift, against
independently computed values: brute-force enumeration and the published small-sample table."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from canary_tui.core.judges import mannwhitney as mw
from canary_tui.core.judges.mannwhitney import EXACT_MAX, hodges_lehmann, median, u_test


def brute(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """U of xs and P(U >= u), P(U <= u) by enumerating every split of the pooled values."""
    pooled = xs + ys

    def u(a: list[float], b: list[float]) -> float:
        return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)

    observed = u(xs, ys)
    ge = le = total = 0
    for idx in itertools.combinations(range(len(pooled)), len(xs)):
        chosen = set(idx)
        a = [pooled[i] for i in idx]
        b = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        value = u(a, b)
        total += 1
        ge += value >= observed - 1e-9
        le += value <= observed + 1e-9
    return observed, ge / total, le / total


def test_the_published_table_for_three_and_three() -> None:
    # Mann and Whitney (1947), table I, n = m = 3: counts 1,1,2,3,3,3,3,2,1,1 of U = 0..9 over 20
    cumulative = [1, 2, 4, 7, 10, 13, 16, 18, 19, 20]
    for u, count in enumerate(cumulative):
        # xs below ys in exactly u pairs: build one arrangement with U(xs) = u
        xs, ys = _arrangement(u, 3, 3)
        assert u_test(xs, ys).p_less == pytest.approx(count / 20)


def test_the_classic_small_sample_probabilities() -> None:
    # P(U = 0) for 4 and 4 is 1/70; P(U <= 2) for 5 and 5 is 4/252 (0.0159 in the tables)
    assert u_test([1, 2, 3, 4], [5, 6, 7, 8]).p_less == pytest.approx(1 / 70)
    xs, ys = _arrangement(2, 5, 5)
    assert u_test(xs, ys).p_less == pytest.approx(4 / 252)


def test_the_published_critical_value_for_ten_and_ten() -> None:
    # n = m = 10: P(U <= 27) = 0.0446, so 27 is the one-sided 5% critical value (and P(U <= 28) > 5%)
    xs = [i - 2.5 for i in range(10)]  # above j <= i - 3 of ys = 0..9: 28 pairs, one fewer with -0.4
    xs[3] = -0.4
    t = u_test(xs, [float(i) for i in range(10)])
    assert t.u == 27 and t.exact
    assert t.p_less == pytest.approx(0.0446, abs=5e-5)


def recursion(m: int, n: int) -> list[int]:
    """Counts of U = 0..m n by Mann and Whitney's recursion f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1)."""
    table = {(0, j): [1] for j in range(n + 1)} | {(i, 0): [1] for i in range(m + 1)}
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            out = [0] * (i * j + 1)
            for u, v in enumerate(table[(i - 1, j)]):
                out[u + j] += v
            for u, v in enumerate(table[(i, j - 1)]):
                out[u] += v
            table[(i, j)] = out
    return table[(m, n)]


@pytest.mark.parametrize(("k", "total"), [(1, 5), (3, 7), (5, 12), (8, 30), (12, 40)])
def test_without_ties_the_distribution_is_the_recursions_and_the_shift_algorithms(k: int, total: int) -> None:
    offset, counts = mw.rank_sum_distribution(k, (1,) * total)
    assert offset == k * (k + 1)  # doubled least rank sum
    assert counts[::2] == tuple(float(v) for v in recursion(k, total - k))
    assert not any(counts[1::2])  # doubled rank sums without ties are even
    shift_offset, shift_counts = mw._shift(k, (1,) * total)
    assert shift_offset == offset and shift_counts == pytest.approx(counts, rel=1e-12)
    assert math.fsum(counts) == math.comb(total, k)


def test_an_unbalanced_window_without_ties_is_exact() -> None:
    """15 canary values against 110 stable ones (a canary that was down for part of the window):
    exact, where the normal approximation errs by a quarter in the tail."""
    rng = random.Random(17)
    xs = [rng.gauss(1.2, 1) for _ in range(15)]
    ys = [rng.gauss(0, 1) for _ in range(110)]
    t = u_test(xs, ys)
    assert t.exact
    groups, u2 = mw._groups(xs, ys)
    offset, counts = mw._shift(15, tuple(size for _, size in groups))  # independently, without the cache
    target = u2 + 15 * 16
    want = math.fsum(c for i, c in enumerate(counts) if offset + i >= target) / math.fsum(counts)
    assert t.p_greater == pytest.approx(want, rel=1e-9)
    normal = mw._normal(15, 110, tuple(size for _, size in groups), u2)[0]
    assert 0.0001 < want < 0.01 and abs(normal - want) / want > 0.05


def test_an_unbalanced_window_with_ties_uses_the_normal_approximation_conservatively() -> None:
    """With ties above EXACT_TOTAL values the normal approximation is used (the exact tied
    distribution costs seconds there); in the tail it errs on the side of larger p-values."""
    rng = random.Random(24)
    xs = [round(rng.gauss(0.6, 1), 1) for _ in range(15)]
    ys = [round(rng.gauss(0, 1), 1) for _ in range(110)]
    t = u_test(xs, ys)
    assert not t.exact
    groups, u2 = mw._groups(xs, ys)
    sizes = tuple(size for _, size in groups)
    exact = mw._exact(15, 110, sizes, u2)[0]
    assert 0.001 < exact < 0.01 and exact <= t.p_greater <= 1.5 * exact


def _arrangement(u: int, n1: int, n2: int) -> tuple[list[float], list[float]]:
    """xs and ys (no ties) with U(xs) = u: walk xs past ys one pair at a time."""
    for idx in itertools.combinations(range(n1 + n2), n1):
        xs = [float(i) for i in idx]
        ys = [float(i) for i in range(n1 + n2) if i not in idx]
        if sum(x > y for x in xs for y in ys) == u:
            return xs, ys
    raise AssertionError(u)


@pytest.mark.parametrize("seed", range(40))
def test_exact_p_values_with_ties_match_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    n1, n2 = rng.randint(1, 6), rng.randint(1, 6)
    levels = rng.choice([2, 3, 5, 100])  # few levels: many ties
    xs = [float(rng.randrange(levels)) for _ in range(n1)]
    ys = [float(rng.randrange(levels)) for _ in range(n2)]
    u, ge, le = brute(xs, ys)
    t = u_test(xs, ys)
    assert t.exact
    assert t.u == pytest.approx(u)
    assert t.p_greater == pytest.approx(ge, abs=1e-12)
    assert t.p_less == pytest.approx(le, abs=1e-12)
    assert t.p("two-sided") == pytest.approx(min(1.0, 2 * min(ge, le)), abs=1e-12)


def test_all_values_equal_is_no_evidence_either_way() -> None:
    t = u_test([0.2] * 12, [0.2] * 12)
    assert t.p_greater == 1.0 and t.p_less == 1.0


def test_the_normal_approximation_takes_over_close_to_the_exact_value() -> None:
    rng = random.Random(7)
    xs = [rng.gauss(0.3, 1) for _ in range(EXACT_MAX)]
    ys = [rng.gauss(0, 1) for _ in range(EXACT_MAX)]
    exact = u_test(xs, ys)
    big = u_test([*xs, rng.gauss(0.3, 1)], [*ys, rng.gauss(0, 1)])
    assert exact.exact and not big.exact
    assert abs(exact.p_greater - big.p_greater) < 0.05


def test_hodges_lehmann_is_the_median_of_pairwise_differences() -> None:
    rng = random.Random(3)
    xs = [rng.random() for _ in range(9)]
    ys = [rng.random() for _ in range(6)]
    assert hodges_lehmann(xs, ys) == median([x - y for x in xs for y in ys])
    assert hodges_lehmann([float("inf")], [float("inf")]) == 0.0


def test_hodges_lehmann_for_large_windows_without_every_difference() -> None:
    rng = random.Random(4)
    xs = [rng.gauss(1.3, 0.2) for _ in range(301)]
    ys = [rng.gauss(1.0, 0.2) for _ in range(250)]
    want = median([x - y for x in xs for y in ys])
    assert hodges_lehmann(xs, ys) == pytest.approx(want, abs=1e-9)


def test_type_one_error_of_one_test_is_at_most_its_level() -> None:
    rng = random.Random(11)
    rejected = 0
    trials = 400
    for _ in range(trials):
        xs = [round(rng.gauss(0, 1), 1) for _ in range(12)]  # rounded: ties
        ys = [round(rng.gauss(0, 1), 1) for _ in range(12)]
        rejected += u_test(xs, ys).p_greater <= 0.05
    assert rejected / trials <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / trials)
