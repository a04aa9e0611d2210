"""The small pieces people see the results of: pod STATUS and resource figures, label selectors,
Retry-After, the routers' reading of weights, and the state file (atomic, readable by watch)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from kubehelpers import http_route, plan_text, virtual_service

from canary_tui.core.planfile import parse_plan
from canary_tui.core.source import parse_text
from canary_tui.errors import InputError
from canary_tui.kube.pods import quantity, selector_text, status_text, to_pod
from canary_tui.kube.routers import GatewayRouter, IstioRouter, ReplicasRouter, RouteProblem
from canary_tui.retry_after import retry_after_seconds
from canary_tui.statefile import read_state_file, write_state_file


def plan(router: str = "istio"):
    return parse_plan(parse_text(plan_text(router), "plan.yaml"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", 0.25),
        ("12500000n", 0.0125),
        ("1", 1.0),
        ("1.5", 1.5),
        ("128Mi", 134217728),
        ("1Gi", 2**30),
        ("500M", 5e8),
        ("131072Ki", 2**27),
        ("x", None),
        ("", None),
        ("5Q", None),
    ],
)
def test_quantities(text, value):
    assert quantity(text) == value


def test_selectors_and_pod_status():
    sel = {
        "matchLabels": {"app": "checkout", "version": "v2"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]},
            {"key": "old", "operator": "DoesNotExist"},
        ],
    }
    assert selector_text(sel) == "app=checkout,version=v2,tier in (web,api),!old"
    crash = {
        "metadata": {"name": "checkout-v2-abc\x1b[31m"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
        },
    }
    assert status_text(crash) == "CrashLoopBackOff"
    assert status_text({"metadata": {"deletionTimestamp": "x"}, "status": {"phase": "Running"}}) == "Terminating"
    pod = to_pod(
        {**crash, "metadata": {**crash["metadata"], "creationTimestamp": "2026-01-01T00:00:00Z"}},
        "v2",
        datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
        {},
    )
    assert (pod.name, pod.ready, pod.restarts, pod.age) == (
        "checkout-v2-abc\\x1b[31m",  # the escape shown, not obeyed
        False,
        4,
        timedelta(minutes=5),
    )  # escape removed


def test_retry_after_as_seconds_or_a_date():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= retry_after_seconds(later) <= 30


def test_istio_weights_and_problems():
    router = IstioRouter(plan(), "shop")
    vs = virtual_service()
    assert router.weight([vs]) == 0
    (write,) = router.writes([vs], 25)
    assert [d["weight"] for d in write.body["spec"]["http"][0]["route"]] == [75, 25]
    assert write.resource_version == vs["metadata"].get("resourceVersion")
    assert router.writes([write.body], 25) == []  # already there: nothing to write
    vs["spec"]["http"][0]["route"].append({"destination": {"host": "checkout", "subset": "v3"}, "weight": 10})
    with pytest.raises(RouteProblem, match="also sends traffic to subset 'v3'"):
        router.writes([vs], 25)


def test_gateway_weights_default_to_one_each():
    router = GatewayRouter(plan("gateway-api"), "shop")
    route = http_route()
    for ref in route["spec"]["rules"][0]["backendRefs"]:
        del ref["weight"]
    assert router.weight([route]) == 50  # Gateway API: an omitted weight is 1
    route["spec"]["rules"][0]["backendRefs"][1]["name"] = "other"
    with pytest.raises(RouteProblem, match="no backendRef for canary"):
        router.writes([route], 5)


def test_replicas_split_approximates_the_weight():
    router = ReplicasRouter(plan("replicas"), "shop", total=10)
    assert [router.split(w) for w in (0, 5, 25, 50, 100)] == [(0, 10), (1, 9), (3, 7), (5, 5), (10, 0)]


def test_the_state_file_is_replaced_atomically(tmp_path):
    path = tmp_path / "state.json"
    doc = {"apiVersion": "canary-tui/v1alpha1", "kind": "CanaryState", "n": 0, "pad": "x" * 200_000}
    write_state_file(path, doc)
    stop = threading.Event()
    seen: list[int] = []

    def reader():
        while not stop.is_set():
            seen.append(read_state_file(path)["n"])  # never half a document

    t = threading.Thread(target=reader)
    t.start()
    for n in range(1, 60):
        write_state_file(path, {**doc, "n": n})
    stop.set()
    t.join()
    assert seen and seen == sorted(seen)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left behind
    with pytest.raises(InputError, match="no such state file"):
        read_state_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputError, match="not a state document"):
        read_state_file(tmp_path / "bad.json")
    assert os.stat(path).st_size > 200_000
