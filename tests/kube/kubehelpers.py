"""Helpers of the Kubernetes tests: the release seeded in the fake API server (Deployments, VirtualService,
DestinationRule, HTTPRoute), plans written for it, ``canary-tui`` as a real process, and reading the results.

(A module of its own name: ``from conftest import`` would find another directory's conftest.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fakeapi import FakeKube

ROOT = Path(__file__).resolve().parents[2]
ISTIO, GATEWAY = "networking.istio.io", "gateway.networking.k8s.io"


def deployment(name: str, version: str, replicas: int) -> dict[str, Any]:
    labels = {"app": "checkout", "version": version}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": f"example/checkout:{version}"}]},
            },
        },
    }


def virtual_service() -> dict[str, Any]:
    """The seed's VirtualService before the release: everything to v1, plus a route of someone else's."""
    return {
        "apiVersion": f"{ISTIO}/v1",
        "kind": "VirtualService",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "hosts": ["checkout"],
            "http": [
                {
                    "name": "primary",
                    "route": [
                        {"destination": {"host": "checkout", "subset": "v1-stable"}, "weight": 100},
                        {"destination": {"host": "checkout", "subset": "v2-canary"}, "weight": 0},
                    ],
                    "retries": {"attempts": 3, "perTryTimeout": "2s"},
                },
                {
                    "name": "admin",
                    "match": [{"uri": {"prefix": "/admin"}}],
                    "route": [{"destination": {"host": "checkout-admin"}}],
                },
            ],
        },
    }


def destination_rule() -> dict[str, Any]:
    return {
        "apiVersion": f"{ISTIO}/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "host": "checkout",
            "subsets": [
                {"name": "v1-stable", "labels": {"version": "v1"}},
                {"name": "v2-canary", "labels": {"version": "v2"}},
            ],
        },
    }


def http_route() -> dict[str, Any]:
    return {
        "apiVersion": f"{GATEWAY}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"group": "", "kind": "Service", "name": "checkout", "port": 80}],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "checkout-v1", "port": 80, "weight": 100},
                        {"name": "checkout-v2", "port": 80, "weight": 0},
                    ]
                }
            ],
        },
    }


def seed(fake: FakeKube, *, stable_replicas: int = 4, canary_replicas: int = 2) -> None:
    fake.put(deployment("checkout-v1", "v1", stable_replicas))
    fake.put(deployment("checkout-v2", "v2", canary_replicas))
    fake.put(virtual_service())
    fake.put(destination_rule())
    fake.put(http_route())


TRAFFIC = {
    "istio": "{router: istio, virtualService: checkout, route: primary}",
    "gateway-api": "{router: gateway-api, httpRoute: checkout}",
    "replicas": "{router: replicas, replicas: 20}",
}


def plan_text(
    router: str = "istio",
    *,
    fail: bool = False,
    durations: tuple[str, ...] = ("1s", "1s", "1s"),
    interval: str = "1s",
    pod_gate: bool | str = False,
    promotion: str = "auto",
    name: str = "checkout",
    canary_version: str = "v2",
    metrics: str = "{provider: simulated}",
) -> str:
    """A short plan (1 s evaluations) with a healthy service (``metrics``: a live run needs a Prometheus,
    ``write_plan`` gives it a stand-in answering 0.001 to every query); ``fail``: a gate that this
    baseline (error rate ~0.001) breaks, so the release rolls back after 2 evaluations; ``pod_gate``: a
    pod gate failing above 0 (True: ``restarts``; or the signal, e.g. ``notReady``)."""
    levels = "failAbove: 0.0001" if fail else "warnAbove: 0.01, failAbove: 0.05"
    gates = (
        f"    - {{name: error_rate, query: 'sum(rate(errors[1m]))', {levels}}}\n"
        "    - {name: latency_p99, query: 'histogram_quantile(0.99, x)', unit: s, failAbove: 2.0}\n"
    )
    if pod_gate:
        signal = "restarts" if pod_gate is True else pod_gate
        name_of = {"restarts": "canary_restarts", "notReady": "canary_not_ready"}[signal]
        gates += f"    - {{name: {name_of}, source: pods, signal: {signal}, failAbove: 0}}\n"
    d1, d2, d3 = durations
    return (
        "apiVersion: canary-tui/v1alpha1\nkind: CanaryPlan\n"
        f"metadata: {{name: {name}, namespace: shop}}\n"
        "spec:\n"
        "  service: checkout\n"
        "  stable: {version: v1, deployment: checkout-v1, subset: v1-stable}\n"
        f"  canary: {{version: {canary_version}, deployment: checkout-v2, subset: v2-canary}}\n"
        f"  traffic: {TRAFFIC[router]}\n"
        f"  metrics: {metrics}\n"
        f"  interval: {interval}\n"
        "  failureLimit: 2\n"
        f"  promotion: {promotion}\n"
        "  phases:\n"
        f"    - {{name: canary, weight: 5, duration: {d1}}}\n"
        f"    - {{name: expansion, weight: 25, duration: {d2}}}\n"
        f"    - {{name: majority, weight: 50, duration: {d3}}}\n"
        "    - {name: full, weight: 100, duration: 0s}\n"
        "  gates:\n" + gates
    )


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "canary_tui", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(args: list[str], env: dict[str, str], timeout: float = 90) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "canary_tui", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout, proc.stderr


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def vs_weights(fake: FakeKube) -> tuple[int, int]:
    """(stable, canary) weights of the VirtualService's primary route now."""
    vs = fake.get(ISTIO, "virtualservices", "checkout")
    assert vs is not None
    dests = {d["destination"]["subset"]: d.get("weight", 0) for d in vs["spec"]["http"][0]["route"]}
    return dests["v1-stable"], dests["v2-canary"]


def vs_weight_writes(fake: FakeKube) -> list[int]:
    """The canary weight of each VirtualService write that landed and changed the weights."""
    out: list[int] = []
    last = 0
    for r in fake.writes("/virtualservices/checkout$"):
        dests = {d["destination"]["subset"]: d.get("weight", 0) for d in r.body["spec"]["http"][0]["route"]}
        if dests["v2-canary"] != last:
            out.append(dests["v2-canary"])
            last = dests["v2-canary"]
    return out


def stored_doc(fake: FakeKube, plan: str = "checkout") -> dict[str, Any] | None:
    cm = fake.get("", "configmaps", f"canary-tui-{plan}")
    if cm is None:
        return None
    return json.loads(cm["data"]["state.json"])


def wait_for(cond, timeout: float = 30.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    """Wait for a started process; (returncode, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err
