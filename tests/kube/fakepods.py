"""Pods of the fake API server in the states a real cluster shows them: the Deployment's template made a
pod (app containers, init containers, native sidecars), and the kubelet's view of it as it starts,
runs, crashes, is OOM-killed, evicted or deleted. Each state is the status a kubelet writes (Kubernetes
1.29+: native sidecars are init containers with ``restartPolicy: Always``)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from fakeparts import now_text

IMAGE_ID = "docker.io/example/app@sha256:0123"


def _running(c: dict[str, Any], *, ready: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": c["name"],
        "image": c.get("image", "example/app"),
        "imageID": IMAGE_ID,
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": now_text()}},
    }


def _waiting(
    c: dict[str, Any], reason: str, *, restarts: int = 0, last: dict[str, Any] | None = None
) -> dict[str, Any]:
    message = {"message": f"back-off restarting failed container {c['name']}"} if restarts else {}
    out = {
        "name": c["name"],
        "image": c.get("image", "example/app"),
        "imageID": "" if reason in ("ContainerCreating", "PodInitializing") else IMAGE_ID,
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, **message}},
    }
    if last is not None:
        out["lastState"] = {"terminated": last}
    return out


def _terminated(reason: str, code: int) -> dict[str, Any]:
    return {"reason": reason, "exitCode": code, "startedAt": now_text(), "finishedAt": now_text()}


def _inits_done(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Init containers after a good start: one-shot ones Completed, sidecars running and ready."""
    out = []
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            out.append(_running(c))
        else:
            out.append(
                {
                    "name": c["name"],
                    "image": c.get("image", "example/app"),
                    "imageID": IMAGE_ID,
                    "ready": True,
                    "restartCount": 0,
                    "state": {"terminated": _terminated("Completed", 0)},
                }
            )
    return out


def _conditions(*, initialized: bool, ready: bool, scheduled: bool = True) -> list[dict[str, Any]]:
    t = now_text()

    def cond(kind: str, ok: bool, reason: str | None = None) -> dict[str, Any]:
        return {
            "type": kind,
            "status": "True" if ok else "False",
            "lastTransitionTime": t,
            **({"reason": reason} if reason and not ok else {}),
        }

    if not scheduled:
        return [cond("PodScheduled", False, "Unschedulable")]
    return [
        cond("PodReadyToStartContainers", True),
        cond("Initialized", initialized, "ContainersNotInitialized"),
        cond("Ready", ready, "ContainersNotReady"),
        cond("ContainersReady", ready, "ContainersNotReady"),
        cond("PodScheduled", True),
    ]


def running(pod: dict[str, Any]) -> None:
    spec = pod["spec"]
    status = {
        "phase": "Running",
        "conditions": _conditions(initialized=True, ready=True),
        "hostIP": "10.0.0.7",
        "podIP": "10.244.1.23",
        "startTime": now_text(),
        "containerStatuses": [_running(c) for c in spec["containers"]],
    }
    if spec.get("initContainers"):
        status["initContainerStatuses"] = _inits_done(spec)
    pod["status"] = status


def pending(pod: dict[str, Any]) -> None:
    """Not scheduled: no node has room."""
    pod["status"] = {"phase": "Pending", "conditions": _conditions(initialized=False, ready=False, scheduled=False)}


def container_creating(pod: dict[str, Any]) -> None:
    spec = pod["spec"]
    pod["status"] = {
        "phase": "Pending",
        "conditions": _conditions(initialized=True, ready=False),
        "startTime": now_text(),
        "containerStatuses": [_waiting(c, "ContainerCreating") for c in spec["containers"]],
        **({"initContainerStatuses": _inits_done(spec)} if spec.get("initContainers") else {}),
    }


def initializing(pod: dict[str, Any]) -> None:
    """The first init container still running (``Init:0/N``)."""
    spec = pod["spec"]
    inits = spec.get("initContainers") or []
    assert inits, "initializing needs a template with initContainers"
    pod["status"] = {
        "phase": "Pending",
        "conditions": _conditions(initialized=False, ready=False),
        "startTime": now_text(),
        "initContainerStatuses": [_running(inits[0], ready=False)]
        + [_waiting(c, "PodInitializing") for c in inits[1:]],
        "containerStatuses": [_waiting(c, "PodInitializing") for c in spec["containers"]],
    }


def sidecar_crashloop(pod: dict[str, Any], restarts: int = 3) -> None:
    """A native sidecar (e.g. istio-proxy) crashing at start: the app containers never start."""
    spec = pod["spec"]
    inits = spec.get("initContainers") or []
    side = [c for c in inits if c.get("restartPolicy") == "Always"]
    assert side, "sidecar_crashloop needs a template with a native sidecar"
    statuses = []
    for c in inits:
        if c is side[0]:
            statuses.append(_waiting(c, "CrashLoopBackOff", restarts=restarts, last=_terminated("Error", 1)))
        else:
            statuses.append(_inits_done({"initContainers": [c]})[0])
    pod["status"] = {
        "phase": "Pending",
        "conditions": _conditions(initialized=False, ready=False),
        "startTime": now_text(),
        "initContainerStatuses": statuses,
        "containerStatuses": [_waiting(c, "PodInitializing") for c in spec["containers"]],
    }


def sidecar_not_ready(pod: dict[str, Any]) -> None:
    """Running, but the native sidecar's readiness probe fails (e.g. istio-proxy not yet synced with
    istiod): the app container is ready, the pod is not (a sidecar's readiness counts for the pod's)."""
    running(pod)
    side = [c["name"] for c in pod["spec"].get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    assert side, "sidecar_not_ready needs a template with a native sidecar"
    for cs in pod["status"]["initContainerStatuses"]:
        if cs["name"] == side[0]:
            cs["ready"] = False
    pod["status"]["conditions"] = _conditions(initialized=True, ready=False)


def crashloop(pod: dict[str, Any], restarts: int = 4) -> None:
    """The first app container exits with an error, again and again."""
    running(pod)
    first = pod["spec"]["containers"][0]
    pod["status"]["conditions"] = _conditions(initialized=True, ready=False)
    pod["status"]["containerStatuses"][0] = _waiting(
        first, "CrashLoopBackOff", restarts=restarts, last=_terminated("Error", 1)
    )


def oom_killed(pod: dict[str, Any], restarts: int = 1) -> None:
    """The first app container was just OOM-killed (exit 137), before the kubelet restarts it."""
    running(pod)
    first = pod["spec"]["containers"][0]
    pod["status"]["conditions"] = _conditions(initialized=True, ready=False)
    pod["status"]["containerStatuses"][0] = {
        **_running(first, ready=False, restarts=restarts),
        "started": False,
        "state": {"terminated": _terminated("OOMKilled", 137)},
    }


def evicted(pod: dict[str, Any]) -> None:
    """Evicted by the kubelet for node pressure: phase Failed, reason Evicted, containers gone."""
    pod["status"] = {
        "phase": "Failed",
        "reason": "Evicted",
        "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 72Mi.",
        "startTime": now_text(),
        "conditions": _conditions(initialized=True, ready=False),
        "containerStatuses": [
            {**_running(c, ready=False), "state": {"terminated": _terminated("ContainerStatusUnknown", 137)}}
            for c in pod["spec"]["containers"]
        ],
    }


def terminating(pod: dict[str, Any]) -> None:
    """Deleted, in its grace period: still running (and ready, as kubectl shows it) until it stops."""
    running(pod)
    pod["metadata"]["deletionTimestamp"] = now_text()
    pod["metadata"]["deletionGracePeriodSeconds"] = 30


STATES: dict[str, Callable[..., None]] = {
    "Running": running,
    "Pending": pending,
    "ContainerCreating": container_creating,
    "Initializing": initializing,
    "SidecarCrashLoop": sidecar_crashloop,
    "SidecarNotReady": sidecar_not_ready,
    "CrashLoopBackOff": crashloop,
    "OOMKilled": oom_killed,
    "Evicted": evicted,
    "Terminating": terminating,
}


def new_pod(name: str, ns: str, labels: dict[str, str], template: dict[str, Any], rv: str) -> dict[str, Any]:
    """A pod as the ReplicaSet controller creates it from a template, running as the kubelet reports it."""
    spec = copy.deepcopy(template.get("spec") or {"containers": [{"name": "app", "image": "example/app"}]})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("nodeName", "node-1")
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": str(uuid.uuid4()),
            "resourceVersion": rv,
            "creationTimestamp": now_text(),
            "labels": labels,
        },
        "spec": spec,
    }
    running(pod)
    return pod


def with_sidecar(deployment: dict[str, Any], name: str = "istio-proxy") -> dict[str, Any]:
    """The Deployment with a native sidecar in its pod template (as Istio 1.19+ injects with
    ``ENABLE_NATIVE_SIDECARS``), plus a one-shot init container before it."""
    out = copy.deepcopy(deployment)
    spec = out["spec"]["template"]["spec"]
    spec["initContainers"] = [
        {"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.0"},
        {"name": name, "image": "docker.io/istio/proxyv2:1.24.0", "restartPolicy": "Always"},
    ]
    return out
