"""A pod's status read as kubectl reads it: app containers, init containers and native sidecars."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sanitize import clean


@dataclass(frozen=True)
class Health:
    """What the pod table and the pod gates need from one pod object."""

    status: str  # kubectl's STATUS column
    ready: bool
    restarts: int
    container: str | None  # the container that is not well, in words; None when all are


def sidecars(pod: dict[str, Any]) -> set[str]:
    """Names of the native sidecars: init containers with ``restartPolicy: Always`` (Kubernetes 1.28+)."""
    spec = pod.get("spec") or {}
    return {str(c.get("name")) for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"}


def _reason(state: dict[str, Any]) -> str | None:
    """The waiting or terminated reason of a container state, kubectl's way (``ExitCode:1`` when none)."""
    waiting = state.get("waiting")
    if isinstance(waiting, dict):
        return str(waiting.get("reason") or "Waiting")
    term = state.get("terminated")
    if isinstance(term, dict):
        if term.get("reason"):
            return str(term["reason"])
        if term.get("signal"):
            return f"Signal:{term['signal']}"
        return f"ExitCode:{term.get('exitCode', '?')}"
    return None


def _init_status(pod: dict[str, Any], side: set[str]) -> str | None:
    """kubectl's ``Init:...`` status while the init containers have not all done their part."""
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    total = len((pod.get("spec") or {}).get("initContainers") or []) or len(statuses)
    for i, cs in enumerate(statuses):
        state = cs.get("state") or {}
        term = state.get("terminated")
        if isinstance(term, dict) and term.get("exitCode") == 0:
            continue
        if cs.get("name") in side and cs.get("started"):
            continue
        if isinstance(term, dict):
            return "Init:" + str(_reason(state))
        waiting = state.get("waiting")
        if isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            return "Init:" + str(waiting["reason"])
        return f"Init:{i}/{total}"
    return None


def _status(pod: dict[str, Any], side: set[str]) -> str:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    text = str(status.get("reason") or status.get("phase") or "Unknown")  # Evicted, NodeLost ...
    init = _init_status(pod, side)
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if init is not None:
        text = init
    if init is None or initialized:
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            reason = _reason(state)
            if reason is not None and not (init is not None and reason == "PodInitializing"):
                text = reason
            elif isinstance(state.get("running"), dict) and cs.get("ready"):
                running = True
        if text == "Completed" and running:
            text = "Running"
    if status.get("phase") == "Failed" and status.get("reason"):
        text = str(status["reason"])  # Evicted says more than its killed containers do
    if meta.get("deletionTimestamp"):
        text = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return text


def _trouble(pod: dict[str, Any], side: set[str]) -> str | None:
    """The first container not well: init containers (and sidecars) first, as they start first."""
    status = pod.get("status") or {}
    groups = [(cs, "sidecar" if cs.get("name") in side else "init") for cs in status.get("initContainerStatuses") or []]
    groups += [(cs, "") for cs in status.get("containerStatuses") or []]
    for cs, kind in groups:
        state = cs.get("state") or {}
        term = state.get("terminated")
        done_ok = isinstance(term, dict) and term.get("exitCode") == 0 and kind == "init"
        restarts = int(cs.get("restartCount") or 0)
        well = done_ok or (isinstance(state.get("running"), dict) and (cs.get("ready") or kind == "init"))
        if well and not restarts:
            continue
        reason = _reason(state) or ("running, not ready" if not cs.get("ready") else "running")
        if reason == "PodInitializing":
            continue  # waiting for the init containers: they are the story
        last = _reason(cs.get("lastState") or {})
        parts = [reason]
        if restarts:
            parts.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
        if last and last != reason:
            parts.append(f"last {last}")
        name = clean(cs.get("name") or "?", 40)
        return f"{name}{f' ({kind})' if kind else ''}: {', '.join(clean(p, 40) for p in parts)}"
    return None


def health(pod: dict[str, Any]) -> Health:
    """The pod as ``kubectl get pods`` and the pod gates see it: restarts of every container (init and
    sidecars included, as kubectl 1.28+ counts them), ready only when the Ready condition is True and
    every app container and native sidecar is ready."""
    status = pod.get("status") or {}
    side = sidecars(pod)
    inits = status.get("initContainerStatuses") or []
    apps = status.get("containerStatuses") or []
    restarts = sum(int(cs.get("restartCount") or 0) for cs in [*inits, *apps])
    condition = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    containers_ready = all(cs.get("ready") for cs in apps) and all(
        cs.get("ready") for cs in inits if cs.get("name") in side
    )
    return Health(clean(_status(pod, side), 40), condition and containers_ready, restarts, _trouble(pod, side))
