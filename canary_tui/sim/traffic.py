"""Simulated request traffic with known truth: Poisson counts, drifting load, common-mode error
noise, pod-to-pod spread and p99 latency; what the judges' demo and benchmark read."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Traffic:
    """One release's truth. ``ratio`` is the canary's error probability over stable's;
    ``latency_shift`` the canary's relative p99 change."""

    rps: float = 1000.0  # both versions together, at the mean of the daily cycle
    error_rate: float = 0.01  # stable's error probability
    ratio: float = 1.0
    diurnal: float = 0.4  # relative amplitude of the daily load cycle
    common_noise: float = 0.3  # sd of the log of the error multiplier both versions share per interval
    hiccup_chance: float = 0.02  # per interval: a dependency hiccup multiplies both versions' errors
    hiccup_factor: float = 5.0
    pod_spread: float = 0.15  # sd of the log of each pod's own error multiplier per interval
    pods: int = 10  # replicas shared by the versions, split by weight
    latency: float = 0.200  # stable's p99, seconds
    latency_shift: float = 0.0
    latency_noise: float = 0.08  # sd of the log of the p99 both versions share per interval


def poisson(lam: float, rng: random.Random) -> int:
    """A Poisson draw: exact by multiplication below 30, normal with continuity above."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


class TrafficSim:
    """Draws each interval's counts and p99s; the same seed gives the same release."""

    def __init__(self, traffic: Traffic, seed: int | str = 0, phase_offset_s: float | None = None) -> None:
        self.t = traffic
        self.rng = random.Random(f"traffic:{seed}")
        # where in the daily cycle the release starts
        self.offset = self.rng.uniform(0, 86400) if phase_offset_s is None else phase_offset_s

    def interval(
        self, at_s: float, seconds: float, canary_weight: int, ratio: float | None = None, shift: float | None = None
    ) -> tuple[int, int, int, int, float, float]:
        """(canary errors, canary requests, stable errors, stable requests, canary p99, stable p99)
        for the ``seconds`` before ``at_s`` at this weight (percent to the canary); ``ratio`` and
        ``shift`` replace the truth's error ratio and latency shift (a fault that starts mid-release)."""
        t, rng = self.t, self.rng
        ratio = t.ratio if ratio is None else ratio
        shift = t.latency_shift if shift is None else shift
        load = t.rps * (1 + t.diurnal * math.sin(2 * math.pi * (at_s + self.offset) / 86400))
        share = canary_weight / 100
        n = poisson(load * seconds * share, rng)
        m = poisson(load * seconds * (1 - share), rng)
        common = math.exp(rng.gauss(0, t.common_noise) - t.common_noise**2 / 2)
        if rng.random() < t.hiccup_chance:
            common *= t.hiccup_factor
        canary_pods = max(1, math.ceil(t.pods * share)) if share > 0 else 0
        stable_pods = max(1, t.pods - canary_pods) if share < 1 else 0
        p_s = min(1.0, t.error_rate * common * self._spread(stable_pods))
        p_c = min(1.0, t.error_rate * ratio * common * self._spread(canary_pods))
        x = min(n, poisson(n * p_c, rng))
        y = min(m, poisson(m * p_s, rng))
        shared = math.exp(rng.gauss(0, t.latency_noise))
        lat_s = t.latency * shared * math.exp(rng.gauss(0, self._own(m)))
        lat_c = t.latency * (1 + shift) * shared * math.exp(rng.gauss(0, self._own(n)))
        return x, n, y, m, lat_c, lat_s

    def _spread(self, pods: int) -> float:
        """The mean of the pods' own multipliers (each of mean 1) for this interval."""
        if pods <= 0 or self.t.pod_spread <= 0:
            return 1.0
        s = self.t.pod_spread
        return sum(math.exp(self.rng.gauss(0, s) - s * s / 2) for _ in range(pods)) / pods

    @staticmethod
    def _own(requests: int) -> float:
        """A p99 from fewer requests is noisier."""
        return min(0.5, 1.5 / math.sqrt(max(requests, 1)))
