"""A release driven against the fake API server: Istio, Gateway API and replicas, promoted and rolled back,
with the trail it leaves (Events, the state ConfigMap, the state file, the audit log)."""

from __future__ import annotations

import json

from kubehelpers import (
    GATEWAY,
    ISTIO,
    deployment,
    lines,
    run_cli,
    stored_doc,
    virtual_service,
    vs_weight_writes,
    vs_weights,
)

from canary_tui.statefile import read_state_file


def test_istio_release_goes_5_25_50_100_one_write_per_phase(fake, kenv, write_plan):
    plan = write_plan("istio")
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 0, err
    events = lines(out)
    assert [e["weight"] for e in events if e["type"] == "phase"] == [5, 25, 50, 100]
    assert events[-1]["type"] == "result" and events[-1]["outcome"] == "Promoted"
    # exactly one write per phase, each a weight change, and nothing else touched in the object
    assert vs_weight_writes(fake) == [5, 25, 50, 100]
    assert len(fake.writes("/virtualservices/checkout$")) == 4
    assert vs_weights(fake) == (0, 100)
    vs = fake.get(ISTIO, "virtualservices", "checkout")
    assert vs["spec"]["http"][0]["retries"] == {"attempts": 3, "perTryTimeout": "2s"}
    assert vs["spec"]["http"][1]["name"] == "admin"
    # custom resources are only ever written whole with their resourceVersion, never patched
    for r in fake.writes("virtualservices", ok=False):
        assert r.method == "PUT" and r.body["metadata"]["resourceVersion"]


def test_gateway_api_release_sets_the_backend_ref_weights(fake, kenv, write_plan):
    rc, out, err = run_cli(["run", str(write_plan("gateway-api")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert lines(out)[-1]["outcome"] == "Promoted"
    writes = [
        [b["weight"] for b in r.body["spec"]["rules"][0]["backendRefs"]] for r in fake.writes("/httproutes/checkout$")
    ]
    assert writes == [[95, 5], [75, 25], [50, 50], [0, 100]]
    assert fake.writes("/virtualservices/") == []


def set_replicas(fake, stable: int, canary: int) -> None:
    fake.edit("apps", "deployments", "checkout-v1", lambda d: d["spec"].update(replicas=stable))
    fake.edit("apps", "deployments", "checkout-v2", lambda d: d["spec"].update(replicas=canary))


def test_replicas_release_scales_both_deployments_capacity_first(fake, kenv, write_plan):
    set_replicas(fake, 20, 0)
    rc, out, err = run_cli(["run", str(write_plan("replicas")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert lines(out)[-1]["outcome"] == "Promoted"
    scales = [(r.path.split("/")[-2], r.body["spec"]["replicas"]) for r in fake.writes("/scale$")]
    # total 20: the canary's share approximates the weight; the growing side is scaled first
    assert scales == [
        ("checkout-v2", 1), ("checkout-v1", 19),
        ("checkout-v2", 5), ("checkout-v1", 15),
        ("checkout-v2", 10), ("checkout-v1", 10),
        ("checkout-v2", 20), ("checkout-v1", 0),
    ]  # fmt: skip
    pods = [k for k in fake.objects if k[1] == "pods"]
    assert len(pods) == 20 and all(k[3].startswith("checkout-v2-") for k in pods)


def test_failing_gate_rolls_back_to_stable_100(fake, kenv, write_plan):
    rc, out, err = run_cli(["run", str(write_plan("istio", fail=True)), "--headless", "--json"], kenv)
    assert rc == 1, err
    events = lines(out)
    result = events[-1]
    assert result["type"] == "result" and result["outcome"] == "RolledBack" and result["phase"] == "canary"
    assert "error_rate" in result["reason"] and "2 consecutive" in result["reason"]
    assert vs_weights(fake) == (100, 0)
    assert vs_weight_writes(fake) == [5, 0]


def test_failing_gate_with_replicas_scales_the_canary_to_zero(fake, kenv, write_plan):
    set_replicas(fake, 20, 0)
    rc, _out, err = run_cli(["run", str(write_plan("replicas", fail=True)), "--headless", "--json"], kenv)
    assert rc == 1, err
    assert fake.get("apps", "deployments", "checkout-v2")["spec"]["replicas"] == 0
    assert fake.get("apps", "deployments", "checkout-v1")["spec"]["replicas"] == 20
    # rollback grows stable first, then shrinks the canary: capacity never drops
    assert [r.path.split("/")[-2] for r in fake.writes("/scale$")][-2:] == ["checkout-v1", "checkout-v2"]


def test_the_trail_events_state_lease_and_audit_name_the_actor(fake, kenv, write_plan, tmp_path, state_home):
    state_file = tmp_path / "state.json"
    log = tmp_path / "audit.jsonl"
    plan = write_plan("istio", pod_gate=True)
    rc, out, err = run_cli(
        ["run", str(plan), "--headless", "--json", "--state-file", str(state_file), "--log", str(log)], kenv
    )
    assert rc == 0, err
    events = sorted(
        (o for k, o in fake.objects.items() if k[1] == "events"), key=lambda e: e["metadata"]["resourceVersion"]
    )
    reasons = [e["reason"] for e in events]
    assert reasons.count("PhaseEntered") == 4 and reasons[-1] == "ReleasePromoted"
    for e in events:
        assert e["involvedObject"]["kind"] == "VirtualService" and e["involvedObject"]["name"] == "checkout"
        assert e["involvedObject"]["uid"] == fake.get(ISTIO, "virtualservices", "checkout")["metadata"]["uid"]
        assert "(kube: alice)" in e["message"]
    # the state in the cluster, and the same document in the state file
    doc = stored_doc(fake)
    assert doc["state"]["outcome"] == "Promoted" and doc["weights"] == {"canary": 100, "stable": 0}
    assert doc["appliedWeight"] == 100 and doc["pendingWrite"] is None
    assert [h["weight"] for h in doc["history"] if h["type"] == "phase"] == [5, 25, 50, 100]
    local = read_state_file(state_file)
    assert local["state"] == doc["state"] and local["history"] == doc["history"]
    # pods of both versions, with CPU and memory from metrics.k8s.io, fed the pod gate
    pods = doc["pods"]
    assert {p["version"] for p in pods} == {"v1", "v2"}
    assert all(p["cpu"] == 0.0125 and p["memoryBytes"] == 128 * 2**20 and p["phase"] == "Running" for p in pods)
    restarts = doc["state"]["last"]["gates"][2]
    assert (restarts["name"], restarts["status"], restarts["canary"], restarts["stable"]) == (
        "canary_restarts",
        "pass",
        0.0,
        None,
    )
    # the lease was given back
    lease = fake.get("coordination.k8s.io", "leases", "canary-tui-checkout")
    assert "holderIdentity" not in lease["spec"]
    # the audit log has the run, and the token never appears anywhere
    assert json.loads(log.read_text().splitlines()[0])["mode"] == "run"
    for text in (out, err, log.read_text(), state_file.read_text(), json.dumps(doc)):
        assert fake.token not in text


def test_pods_without_metrics_server_have_no_cpu(fake, kenv, write_plan):
    fake.metrics = False
    rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert all(p["cpu"] is None and p["memoryBytes"] is None for p in stored_doc(fake)["pods"])
    assert not [r for r in fake.requests if "metrics.k8s.io/v1beta1" in r.path]


def test_httproute_object_is_untouched_by_an_istio_run(fake, kenv, write_plan):
    before = fake.get(GATEWAY, "httproutes", "checkout")
    rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless"], kenv)
    assert rc == 0, err
    assert fake.get(GATEWAY, "httproutes", "checkout") == before


def test_namespace_override_moves_the_whole_release(fake, kenv, write_plan):
    for obj in (deployment("checkout-v1", "v1", 3), deployment("checkout-v2", "v2", 1), virtual_service()):
        obj["metadata"]["namespace"] = "prod"
        fake.put(obj)
    rc, _out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json", "--namespace", "prod"], kenv)
    assert rc == 0, err
    assert fake.writes("/namespaces/shop/") == []
    assert len(fake.writes("/namespaces/prod/virtualservices/checkout$")) == 4
    cm = fake.get("", "configmaps", "canary-tui-checkout", namespace="prod")
    assert json.loads(cm["data"]["state.json"])["plan"]["namespace"] == "prod"
