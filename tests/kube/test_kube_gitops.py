"""A GitOps tool (Argo CD, Flux) reverting the weights canary-tui set: the driver notices before its
next write, says who changed them (managedFields), holds, and does not write over them."""

from __future__ import annotations

import json
import signal

from kubehelpers import ISTIO, finish, start, vs_weights

from canary_tui.kube.drift import last_manager


def revert(vs: dict) -> None:
    for d in vs["spec"]["http"][0]["route"]:
        d["weight"] = 100 if d["destination"]["subset"] == "v1-stable" else 0


def test_weights_reverted_by_argo_cd_are_not_fought(fake, kenv, write_plan):
    edits = []

    def argo_reverts():  # right after the driver's first weight write landed, Argo CD syncs from Git
        fake.edit(ISTIO, "virtualservices", "checkout", revert, manager="argocd-controller")
        edits.append(len(fake.writes("/virtualservices/checkout$")))

    fake.hook("PUT", "/virtualservices/checkout$", after=argo_reverts)
    proc = start(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    said = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "behind canary-tui's back" in line:
                said = json.loads(line)
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        _rc, _out, err = finish(proc)
    assert said is not None, err
    text = said.get("message") or said.get("reason") or json.dumps(said)
    assert "VirtualService shop/checkout" in text and "canary 0%, not the 5% it set" in text
    assert "last changed by argocd-controller (Update at " in text and "docs/kubernetes.md" in text
    assert vs_weights(fake) == (100, 0)  # Argo CD's weights stand
    assert edits == [1] and len(fake.writes("/virtualservices/checkout$")) == 1  # not one write over them


def test_the_last_manager_is_read_from_managed_fields(fake):
    fake.edit(ISTIO, "virtualservices", "checkout", revert, manager="kustomize-controller")
    vs = fake.get(ISTIO, "virtualservices", "checkout")
    assert last_manager(vs).startswith("kustomize-controller (Update at 20")
    vs["metadata"]["managedFields"] = [{"manager": "canary-tui", "operation": "Update", "time": "2026-01-01T00:00:00Z"}]
    assert last_manager(vs) is None  # only our own writes: nobody else to name
