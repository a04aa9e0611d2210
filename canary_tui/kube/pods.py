"""The pods of both Deployments (by their selectors), as ``core.pods.Pod``, with CPU and memory from
``metrics.k8s.io`` when the cluster serves it."""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from ..core.durations import parse_time
from ..core.model import Plan
from ..core.pods import Pod
from ..sanitize import clean
from .client import ApiError, ReadClient
from .podstatus import health
from .resources import DEPLOYMENTS, POD_METRICS, PODS, Kind

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1.0,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}


def quantity(text: Any) -> float | None:
    """A Kubernetes quantity (``250m``, ``128Mi``, ``1.5``, ``123456n``) as a number, None if not one."""
    m = _QUANTITY.match(str(text).strip())
    if not m or m.group(2) not in _SUFFIX:
        return None
    try:
        return float(m.group(1)) * _SUFFIX[m.group(2)]
    except ValueError:
        return None


def selector_text(selector: dict[str, Any] | None) -> str:
    """A LabelSelector object as the ``labelSelector`` query string."""
    parts = [f"{k}={v}" for k, v in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for e in (selector or {}).get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def status_text(pod: dict[str, Any]) -> str:
    """What ``kubectl get pods`` shows in STATUS (``Init:CrashLoopBackOff``, ``OOMKilled``, ``Terminating``)."""
    return health(pod).status


def to_pod(obj: dict[str, Any], version: str, at: datetime, usage: dict[str, tuple[float, int]]) -> Pod:
    meta = obj.get("metadata") or {}
    name = clean(meta.get("name") or "?", 120)
    h = health(obj)
    age = None
    if meta.get("creationTimestamp"):
        try:
            age = max(at - parse_time(meta["creationTimestamp"]), at - at)
        except ValueError:
            age = None
    cpu, memory = usage.get(meta.get("name") or "", (None, None))
    return Pod(name, version, h.status, h.ready, h.restarts, cpu, memory, age, h.container)


class PodReader:
    """Reads the two Deployments' selectors once, then their pods at each evaluation."""

    def __init__(self, client: ReadClient, plan: Plan, namespace: str, *, metrics: bool) -> None:
        self.client = client
        self.plan = plan
        self.namespace = namespace
        self.metrics = metrics
        self.error: str | None = None
        self._selectors: list[tuple[str, str, str]] | None = None

    def selectors(self) -> list[tuple[str, str, str]]:
        """(deployment, version, labelSelector) for stable then canary."""
        if self._selectors is None:
            out = []
            for v in (self.plan.stable, self.plan.canary):
                dep = self.client.get(DEPLOYMENTS.path(self.namespace, v.deployment))
                out.append((v.deployment, v.version, selector_text((dep.get("spec") or {}).get("selector"))))
            self._selectors = out
        return self._selectors

    def read(self, at: datetime) -> list[Pod] | None:
        """Both versions' pods, None (with ``error`` set) when the cluster could not be read.
        The lists (and the PodMetrics lists) are asked for at once: one round trip, not four."""
        try:
            selectors = [s for s in self.selectors() if s[2]]  # an empty selector would match every pod
            with ThreadPoolExecutor(max_workers=4, thread_name_prefix="pods") as pool:
                lists = [pool.submit(self._list, PODS, sel) for _, _, sel in selectors]
                usage_lists = (
                    [pool.submit(self._list, POD_METRICS, sel) for _, _, sel in selectors] if self.metrics else []
                )
                pod_lists = [f.result() for f in lists]
                usage = self._usage(usage_lists)
        except ApiError as e:
            self.error = f"cannot read pods: {e}"
            self._selectors = None
            return None
        found: dict[str, tuple[dict[str, Any], str, str]] = {}
        for (deployment, version, _), items in zip(selectors, pod_lists, strict=True):
            for obj in items:
                name = (obj.get("metadata") or {}).get("name") or ""
                prev = found.get(name)
                # a pod matched by both selectors belongs to the Deployment its name starts with
                if prev is None or (name.startswith(deployment + "-") and not name.startswith(prev[2] + "-")):
                    found[name] = (obj, version, deployment)
        self.error = None
        return [
            to_pod(obj, version, at, usage)
            for obj, version, _ in sorted(found.values(), key=lambda x: (x[1], x[0]["metadata"]["name"]))
        ]

    def _list(self, kind: Kind, selector: str) -> list[dict[str, Any]]:
        return list(self.client.get(kind.path(self.namespace), {"labelSelector": selector}).get("items") or [])

    @staticmethod
    def _usage(lists: list[Future[list[dict[str, Any]]]]) -> dict[str, tuple[float, int]]:
        """CPU cores and memory bytes per pod; {} when metrics.k8s.io does not answer."""
        out: dict[str, tuple[float, int]] = {}
        try:
            for f in lists:
                for item in f.result():
                    cpu = mem = 0.0
                    for c in item.get("containers") or []:
                        usage = c.get("usage") or {}
                        cpu += quantity(usage.get("cpu")) or 0.0
                        mem += quantity(usage.get("memory")) or 0.0
                    out[(item.get("metadata") or {}).get("name") or ""] = (round(cpu, 4), int(mem))
        except ApiError:
            return {}
        return out
