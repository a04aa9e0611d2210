"""Pods as the controller sees them, and the pod gates' signals read from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from .gates import Reading
from .model import PodSignal


@dataclass(frozen=True, slots=True)
class Pod:
    """One pod of either version. ``cpu`` is in cores, ``age`` at the time of the snapshot.

    ``phase`` is what ``kubectl get pods`` shows in STATUS (``Init:CrashLoopBackOff``, ``OOMKilled``).
    ``restarts`` and ``ready`` count every container: the app's, init containers and native sidecars
    (``restartPolicy: Always`` in ``initContainers``, e.g. istio-proxy). ``container`` names the one
    container that is not well, its kind, state and reason (``istio-proxy (sidecar): CrashLoopBackOff,
    5 restarts, last OOMKilled``); None when all are well."""

    name: str
    version: str
    phase: str = "Running"
    ready: bool = True
    restarts: int = 0
    cpu: float | None = None
    memory_bytes: int | None = None
    age: timedelta | None = None
    container: str | None = None


def pod_reading(pods: Iterable[Pod] | None, canary_version: str, signal: PodSignal) -> Reading:
    """A pod gate's value: restarts summed over canary pods, or the count of canary pods not ready."""
    if pods is None:
        return Reading(error="no pod snapshot yet")
    canary = [p for p in pods if p.version == canary_version]
    if not canary:
        return Reading(error="no canary pods")
    if signal is PodSignal.RESTARTS:
        return Reading(canary=float(sum(p.restarts for p in canary)))
    return Reading(canary=float(sum(1 for p in canary if not p.ready)))
