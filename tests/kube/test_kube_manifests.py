"""``manifests PLAN``: the PrometheusRule passes ``promtool check rules``, the RBAC parses into the
kubernetes client's models unchanged, and the Role for watch is read-only (``test_kube_rbac``: each Role
grants exactly what the program does). And ``check PLAN``."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from kubehelpers import ROOT, run_cli

from canary_tui.kube.access import route_kind  # noqa: F401 - importable without kubernetes

SEED = ROOT / "fixtures" / "plans" / "seed.yaml"


def documents(text: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for doc in yaml.safe_load_all(text):
        out.setdefault(doc["kind"], []).append(doc)
    return out


@pytest.fixture
def seed_manifests(cli) -> dict[str, list[dict]]:
    r = cli("manifests", SEED)
    assert r.rc == 0, r.err
    return documents(r.out)


def test_the_prometheus_rule_passes_promtool(seed_manifests, tmp_path):
    rule = seed_manifests["PrometheusRule"][0]
    groups = rule["spec"]["groups"]
    records = [r for g in groups for r in g["rules"] if "record" in r]
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    # the seed plan has 8 gates (7 queries + 1 pod gate): a recording rule per gate and version
    assert len({r["record"] for r in records}) == 8
    names = {a["alert"] for a in alerts}
    assert {
        "CanaryErrorRateHigh",
        "ExpansionErrorRateHigh",
        "CanaryLatencyP99High",
        "CanaryCacheHitRatioLow",
        "CanaryRestartsHigh",
    } <= names
    expansion = next(a for a in alerts if a["alert"] == "ExpansionErrorRateHigh")
    assert expansion["expr"].endswith("> 0.1") and expansion["labels"]["phase"] == "expansion"
    assert all(a["for"] == "10m" for a in alerts)  # failureLimit (2) x interval (5m)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    proc = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(records) + len(alerts)} rules found" in proc.stdout


def test_rbac_and_core_objects_parse_into_the_client_models_unchanged(seed_manifests):
    from kubernetes.client import ApiClient
    from kubernetes.client.models import V1Role

    api = ApiClient()
    roles = seed_manifests["Role"]
    assert [r["metadata"]["name"] for r in roles] == [
        "canary-tui-run-canary-deployment",
        "canary-tui-watch-canary-deployment",
    ]
    for doc in roles:
        model = V1Role.from_dict(doc)
        assert api.sanitize_for_serialization(model) == doc  # no key the model does not know, none dropped


def test_istio_objects_follow_the_plan(seed_manifests):
    dr = seed_manifests["DestinationRule"][0]["spec"]
    assert [s["name"] for s in dr["subsets"]] == ["v1-stable", "v2-canary"]
    assert dr["trafficPolicy"]["connectionPool"]["tcp"]["maxConnections"] == 100
    assert dr["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5
    route = seed_manifests["VirtualService"][0]["spec"]["http"][0]["route"]
    assert [(d["destination"]["subset"], d["weight"]) for d in route] == [("v1-stable", 95), ("v2-canary", 5)]


def test_gateway_api_and_replicas_plans(write_plan, cli):
    docs = documents(cli("manifests", write_plan("gateway-api")).out)
    assert "VirtualService" not in docs and "DestinationRule" not in docs
    refs = docs["HTTPRoute"][0]["spec"]["rules"][0]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [("checkout-v1", 95), ("checkout-v2", 5)]
    run_role = docs["Role"][0]
    assert {
        "apiGroups": ["gateway.networking.k8s.io"],
        "resources": ["httproutes"],
        "resourceNames": ["checkout"],
        "verbs": ["get", "update"],
    } in run_role["rules"]
    docs = documents(cli("manifests", write_plan("replicas"), "--namespace", "prod").out)
    assert set(docs) == {"PrometheusRule", "Role"}
    assert {
        "apiGroups": ["apps"],
        "resources": ["deployments/scale"],
        "resourceNames": ["checkout-v1", "checkout-v2"],
        "verbs": ["get", "update"],
    } in docs["Role"][0]["rules"]
    assert all(d["metadata"]["namespace"] == "prod" for ds in docs.values() for d in ds)


def test_the_watch_role_is_read_only(seed_manifests):
    watch = seed_manifests["Role"][1]
    assert {v for rule in watch["rules"] for v in rule["verbs"]} == {"get", "list"}  # what watch does: test_kube_rbac


def test_check_reports_the_cluster(fake, kenv, write_plan):
    plan = write_plan("istio")
    rc, out, err = run_cli(["check", str(plan)], kenv)
    assert rc == 0, out + err
    assert "ok   cluster: http://127.0.0.1:" in out and "as alice (context fake), namespace shop" in out
    assert "ok   stable deployment: checkout-v1: 4/4 ready" in out and "ok   canary deployment: checkout-v2" in out
    assert "ok   traffic: VirtualService shop/checkout: v1-stable and v2-canary found, canary at 0%" in out
    assert "ok   subsets: DestinationRule checkout defines v1-stable, v2-canary" in out
    assert "ok   access: alice has all 13 permissions run needs" in out
    assert "ok   state: no stored state" in out
    fake.edit("networking.istio.io", "destinationrules", "checkout", lambda dr: dr["spec"]["subsets"].pop())
    fake.delete("apps", "deployments", "checkout-v2")
    rc, out, err = run_cli(["check", str(plan)], kenv)
    assert rc == 2
    assert "FAIL canary deployment: not found: deployments.apps/checkout-v2 in namespace shop" in out
    assert "FAIL subsets: DestinationRule checkout (host checkout) lacks subset(s) v2-canary" in out
    assert fake.writes() == []  # check never writes
