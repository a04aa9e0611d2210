"""The Mann-Whitney U test with its exact null distribution under ties, and the Hodges-Lehmann shift.

The exact distribution is the permutation distribution of the smaller sample's sum of (doubled)
midranks, counted by dynamic programming over the tie groups (the shift algorithm of Streitberg
and Roehmel): a group of ``t`` equal values contributes ``c`` of its members with ``C(t, c)``
ways. Without ties the distribution of U is the coefficient list of a Gaussian binomial
coefficient, computed in O(k^2 (N - k)) integer additions (Harding 1984), so unbalanced windows
(15 against 110) stay exact too. Distributions are cached by sample sizes and tie pattern, so a
rolling window of continuous values computes one per size. Above ``EXACT_MAX`` values on the
smaller side, or ``EXACT_TOTAL`` in all with ties (``EXACT_TOTAL_NO_TIES`` without), the normal
approximation with tie and continuity corrections is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

EXACT_MAX = 30  # exact up to this many values on the smaller side, and
EXACT_TOTAL = 120  # this many in all with ties (the shift algorithm: 1.5 s for 30 + 90 without cache)
EXACT_TOTAL_NO_TIES = 400  # or this many without (Harding's recursion: 0.13 s for 30 + 370)


class UTest(NamedTuple):
    u: float  # U of the first sample: pairs (x > y) + half the ties
    p_greater: float  # P(U >= u) under H0: the first sample tends to be larger
    p_less: float  # P(U <= u) under H0
    exact: bool

    def p(self, alternative: str) -> float:
        """``greater``, ``less`` or ``two-sided``."""
        if alternative == "greater":
            return self.p_greater
        if alternative == "less":
            return self.p_less
        return min(1.0, 2 * min(self.p_greater, self.p_less))


def _groups(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[tuple[int, int]], int]:
    """Tie groups in ascending order as (members of xs, size); and doubled U of xs."""
    pooled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys], key=lambda t: t[0])
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        groups.append((sum(1 for _, side in pooled[i:j] if side == 0), j - i))
        i = j
    # doubled U of xs = doubled rank sum of xs - n1 (n1 + 1)
    n1 = len(xs)
    below = 0
    w2 = 0
    for in_x, size in groups:
        w2 += in_x * (2 * below + size + 1)
        below += size
    return groups, w2 - n1 * (n1 + 1)


@lru_cache(maxsize=512)
def rank_sum_distribution(k: int, sizes: tuple[int, ...]) -> tuple[int, tuple[float, ...]]:
    """Counts of each doubled rank sum of ``k`` items drawn from tie groups ``sizes`` (ascending):
    returns ``(offset, counts)`` where ``counts[i]`` is the number of draws with sum ``offset + i``."""
    if all(t == 1 for t in sizes):
        return _without_ties(k, len(sizes))
    return _shift(k, sizes)


def _without_ties(k: int, total: int) -> tuple[int, tuple[float, ...]]:
    """The same without ties, from the counts of U = 0..k (N - k): the coefficients of the Gaussian
    binomial coefficient [N choose k]_q = prod_{i=1..k} (1 - q^(N-k+i)) / (1 - q^i), multiplied and
    divided factor by factor in exact integers (Harding 1984). The doubled rank sum is 2 U + k (k + 1)."""
    n = total - k
    c = [0] * (k * n + 1)
    c[0] = 1
    for i in range(1, k + 1):
        d, top = n + i, i * n  # times (1 - q^d), then over (1 - q^i): the degree is now i n
        for u in range(top, d - 1, -1):
            c[u] -= c[u - d]
        for u in range(i, top + 1):
            c[u] += c[u - i]
    doubled = [0.0] * (2 * k * n + 1)
    doubled[::2] = [float(v) for v in c]
    return k * (k + 1), tuple(doubled)


def _shift(k: int, sizes: tuple[int, ...]) -> tuple[int, tuple[float, ...]]:
    """Streitberg and Roehmel's shift algorithm over the tie groups."""
    dp: list[dict[int, float]] = [dict() for _ in range(k + 1)]
    dp[0][0] = 1.0
    below = 0
    seen = 0
    for t in sizes:
        r2 = 2 * below + t + 1
        binom = [float(math.comb(t, c)) for c in range(t + 1)]
        for j in range(min(k, seen + t), 0, -1):
            row = dp[j]
            for c in range(1, min(t, j) + 1):
                src = dp[j - c]
                if not src:
                    continue
                w, shift = binom[c], c * r2
                for s, v in src.items():
                    key = s + shift
                    row[key] = row.get(key, 0.0) + w * v
        below += t
        seen += t
    final = dp[k]
    lo, hi = min(final), max(final)
    return lo, tuple(final.get(s, 0.0) for s in range(lo, hi + 1))


def u_test(xs: Sequence[float], ys: Sequence[float]) -> UTest:
    """Mann-Whitney U of ``xs`` against ``ys`` (exact with ties for small samples)."""
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    groups, u2 = _groups(xs, ys)
    sizes = tuple(size for _, size in groups)
    limit = EXACT_TOTAL_NO_TIES if len(sizes) == n1 + n2 else EXACT_TOTAL
    if min(n1, n2) <= EXACT_MAX and n1 + n2 <= limit:
        pg, pl = _exact(n1, n2, sizes, u2)
        return UTest(u2 / 2, pg, pl, True)
    pg, pl = _normal(n1, n2, sizes, u2)
    return UTest(u2 / 2, pg, pl, False)


def _exact(n1: int, n2: int, sizes: tuple[int, ...], u2: int) -> tuple[float, float]:
    # count draws of the smaller side; U of xs follows from it
    small_is_x = n1 <= n2
    k = n1 if small_is_x else n2
    offset, counts = rank_sum_distribution(k, sizes)
    total = math.fsum(counts)
    # doubled U of the drawn side for each rank sum: w2 - k (k + 1)
    if small_is_x:
        target = u2 + k * (k + 1)  # rank sum of xs that gives u2
        ge = math.fsum(c for i, c in enumerate(counts) if offset + i >= target)
        le = math.fsum(c for i, c in enumerate(counts) if offset + i <= target)
    else:
        # U_x = n1 n2 - U_y, so U_x >= u  <=>  U_y <= n1 n2 - u
        target = 2 * n1 * n2 - u2 + k * (k + 1)
        ge = math.fsum(c for i, c in enumerate(counts) if offset + i <= target)
        le = math.fsum(c for i, c in enumerate(counts) if offset + i >= target)
    return min(1.0, ge / total), min(1.0, le / total)


def _normal(n1: int, n2: int, sizes: tuple[int, ...], u2: int) -> tuple[float, float]:
    n = n1 + n2
    mean = n1 * n2 / 2
    ties = sum(t**3 - t for t in sizes)
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0, 1.0
    u = u2 / 2
    sd = math.sqrt(var)
    z_ge = (u - 0.5 - mean) / sd
    z_le = (u + 0.5 - mean) / sd
    return 0.5 * math.erfc(z_ge / math.sqrt(2)), 0.5 * math.erfc(-z_le / math.sqrt(2))


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def _diff(a: float, b: float) -> float:
    return 0.0 if a == b else a - b  # +Inf against +Inf is a tie, not NaN


def hodges_lehmann(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The median of all differences x - y: the shift estimate that goes with U."""
    if len(xs) * len(ys) <= 40_000:
        return median([_diff(x, y) for x in xs for y in ys])
    return _hl_large(sorted(xs), sorted(ys))


def _hl_large(xs: list[float], ys: list[float]) -> float:
    """The same for large samples without building every difference: bisection on the value with
    a linear count of differences at or below it (exact to about 1e-12 of the range)."""
    total = len(xs) * len(ys)

    def kth(k: int) -> float:  # the k-th smallest difference, 1-based
        lo, hi = xs[0] - ys[-1], xs[-1] - ys[0]
        for _ in range(200):
            if hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi)):
                break
            mid = (lo + hi) / 2
            if _count_le(xs, ys, mid) >= k:
                hi = mid
            else:
                lo = mid
        return hi

    if total % 2:
        return kth(total // 2 + 1)
    return (kth(total // 2) + kth(total // 2 + 1)) / 2


def _count_le(xs: list[float], ys: list[float], d: float) -> int:
    """How many x - y <= d, both sorted ascending."""
    count = 0
    j = 0  # ys[j:] are those with x - y <= d, i.e. y >= x - d
    n = len(ys)
    for x in xs:
        while j < n and ys[j] < x - d:
            j += 1
        count += n - j
    return count
