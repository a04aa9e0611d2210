"""The Roles ``manifests`` prints grant exactly what the program does: every request ``run`` and
``check`` made is allowed by the run Role and every rule of it was used, likewise ``watch`` and the
watch Role, checked against the fake API server's request log. And the Istio version is the served one."""

from __future__ import annotations

import argparse
import re

import pytest
import yaml
from kubehelpers import ISTIO, run_cli

from canary_tui.kube.trail import event_name

PATH = re.compile(
    r"^/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)/namespaces/[^/]+/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)


def roles(plan, env, *extra: str) -> dict[str, dict]:
    rc, out, err = run_cli(["manifests", str(plan), *extra], env)
    assert rc == 0, err
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(out) if d["kind"] == "Role"}


def used(fake) -> set[tuple[str, str, str, str | None]]:
    """(verb, group, resource, name) of every namespaced request the server saw."""
    out = set()
    with fake.lock:
        requests = list(fake.requests)
    for r in requests:
        m = PATH.match(r.path)
        if m is None:
            continue  # discovery and reviews: allowed to every authenticated user by default
        out.add((r.verb, m["group"] or "", m["plural"] + (f"/{m['sub']}" if m["sub"] else ""), m["name"]))
    return out


def granted(role: dict) -> set[tuple[str, str, str, str | None]]:
    return {
        (v, g, res, n)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for res in rule["resources"]
        for v in rule["verbs"]
        for n in rule.get("resourceNames", [None])
    }


def allows(role: dict, verb: str, group: str, resource: str, name: str | None) -> bool:
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and ("resourceNames" not in rule or name in rule["resourceNames"])
        for rule in role["rules"]
    )


@pytest.mark.parametrize("router", ["istio", "gateway-api", "replicas"])
def test_the_run_role_grants_exactly_what_run_and_check_do(fake, kenv, write_plan, router):
    plan = write_plan(router, fail=router == "replicas")
    role = roles(plan, kenv)["canary-tui-run-checkout"]
    rc, out, err = run_cli(["check", str(plan)], kenv)
    assert rc == 0, out + err
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == (1 if router == "replicas" else 0), err
    seen = used(fake)
    for need in seen:
        assert allows(role, *need), need
    assert granted(role) == seen
    if router == "istio":
        assert ("list", ISTIO, "destinationrules", None) in seen  # check finds the subsets' DestinationRule


def test_the_watch_role_grants_exactly_what_watch_does(fake, kenv, write_plan, monkeypatch):
    from canary_tui.commands.watch import open_follower

    plan = write_plan("istio")
    role = roles(plan, kenv)["canary-tui-watch-checkout"]
    assert {v for rule in role["rules"] for v in rule["verbs"]} == {"get", "list"}
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 0, err
    with fake.lock:
        fake.requests.clear()
    for key in ("KUBECONFIG", "CANARY_TUI_KUBE_TIMEOUT", "XDG_STATE_HOME"):
        monkeypatch.setenv(key, kenv[key])
    args = argparse.Namespace(plan=plan, state_file=None, context=None, namespace=None, refresh="1s", theme=None)
    follower = open_follower(args)
    follower.poll()
    follower.poll()
    seen = used(fake)
    assert {(r.method) for r in fake.requests} == {"GET"}
    for need in seen:
        assert allows(role, *need), need
    assert granted(role) == seen


def test_an_istio_older_than_1_22_is_driven_at_v1beta1(fake, kenv, write_plan):
    fake.groups[ISTIO] = ["v1beta1"]  # Istio < 1.22 serves no networking.istio.io/v1
    plan = write_plan("istio")
    rc, out, err = run_cli(["check", str(plan)], kenv)
    assert rc == 0, out + err
    assert "ok   subsets: DestinationRule checkout defines v1-stable, v2-canary" in out
    rc, _, err = run_cli(["run", str(plan), "--headless"], kenv)
    assert rc == 0, err
    istio = [r.path for r in fake.requests if f"/apis/{ISTIO}/" in r.path]
    assert istio and all(p.startswith(f"/apis/{ISTIO}/v1beta1/") for p in istio)
    assert len(fake.writes(f"/apis/{ISTIO}/v1beta1/namespaces/shop/virtualservices/checkout$")) == 4
    rc, out, err = run_cli(["manifests", str(plan), "--istio-api", "v1beta1"], kenv)
    docs = [d for d in yaml.safe_load_all(out) if d["kind"] in ("VirtualService", "DestinationRule")]
    assert [d["apiVersion"] for d in docs] == [f"{ISTIO}/v1beta1"] * 2


@pytest.mark.parametrize("involved", ["b", "checkout", "a" * 236, "a" * 237, "a" * 253, "a" * 234 + "-.-b" + "c" * 15])
def test_event_names_stay_a_dns_subdomain(involved):
    name = event_name(involved, "0123456789abcdef")
    assert len(name) <= 253 and name.endswith(".0123456789abcdef")
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name), name
    assert name.startswith(involved[:200])
