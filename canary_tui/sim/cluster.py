"""A simulated cluster: Deployments of v1 and v2 whose pods follow the traffic weight."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.model import Plan
from ..core.pods import Pod
from ..ports import Clock

TOTAL = 10  # replicas shared by the two versions, as the replicas router would
READY_AFTER = timedelta(seconds=4)
CRASH_EVERY = timedelta(seconds=9)
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class _SimPod:
    name: str
    version: str
    created: datetime
    crash_from: datetime | None = None


class SimCluster:
    """Scales v2 to ``ceil(TOTAL * weight / 100)`` pods and v1 to the rest; crash-loops v2 on cue."""

    def __init__(self, plan: Plan, clock: Clock, seed: int = 0) -> None:
        self.plan = plan
        self.clock = clock
        self.rng = random.Random(f"{seed}:pods")
        self.crash_from: datetime | None = None
        self.weights: list[int] = []
        now = clock.now()
        self._hash = {v.version: self._token(10) for v in (plan.stable, plan.canary)}
        self._pods: dict[str, list[_SimPod]] = {plan.stable.version: [], plan.canary.version: []}
        self._scale(plan.stable.version, TOTAL, now - timedelta(days=3))

    def _token(self, n: int) -> str:
        return "".join(self.rng.choice(_ALPHABET) for _ in range(n))

    def _scale(self, version: str, replicas: int, now: datetime) -> None:
        pods = self._pods[version]
        side = self.plan.canary if version == self.plan.canary.version else self.plan.stable
        while len(pods) < replicas:
            pods.append(_SimPod(f"{side.deployment}-{self._hash[version]}-{self._token(5)}", version, now))
        del pods[replicas:]

    def set_weight(self, canary_weight: int) -> None:
        now = self.clock.now()
        self.weights.append(canary_weight)
        canary = math.ceil(TOTAL * canary_weight / 100)
        self._scale(self.plan.canary.version, canary, now)
        self._scale(self.plan.stable.version, TOTAL - canary, now)

    def pods(self, at: datetime) -> Sequence[Pod]:
        out = []
        for version, pods in self._pods.items():
            for i, p in enumerate(pods):
                out.append(self._status(p, version, i, at))
        return out

    def _status(self, p: _SimPod, version: str, i: int, at: datetime) -> Pod:
        rng = random.Random(f"{p.name}:{int(at.timestamp())}")
        age = at - p.created
        ready = age >= READY_AFTER
        phase = "Running" if ready else "ContainerCreating"
        restarts = 0
        crash = self.crash_from if version == self.plan.canary.version else None
        if crash is not None and at >= crash:
            since = at - max(crash, p.created)
            restarts = int(since / CRASH_EVERY) + (1 if since >= timedelta(0) else 0)
            ready = False
            phase = "CrashLoopBackOff"
        cpu = 0.12 + 0.05 * rng.random() + (0.25 if version == self.plan.canary.version else 0.2) * rng.random()
        memory = int((118 + 24 * rng.random()) * 1024 * 1024)
        return Pod(p.name, version, phase, ready, restarts, round(cpu, 3), memory, age)
