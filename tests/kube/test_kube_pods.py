"""Pods as a real cluster shows them: init containers and native sidecars count in the pod gates,
the pod table says which container is not well, and the generated alert sees them too."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from fakepods import with_sidecar
from kubehelpers import ROOT, deployment, lines, run_cli, stored_doc, vs_weights

from canary_tui.kube.pods import to_pod

CANARY = "checkout-v2"

SIDECAR = "istio-proxy (sidecar): CrashLoopBackOff, 3 restarts, last Error"
# state -> (kubectl STATUS, ready, restarts, the container's story)
STATES = {
    "Running": ("Running", True, 0, None),
    "Pending": ("Pending", False, 0, None),
    "ContainerCreating": ("ContainerCreating", False, 0, "app: ContainerCreating"),
    "Initializing": ("Init:0/2", False, 0, None),
    "SidecarCrashLoop": ("Init:CrashLoopBackOff", False, 3, SIDECAR),
    "SidecarNotReady": ("Running", False, 0, "istio-proxy (sidecar): running, not ready"),
    "CrashLoopBackOff": ("CrashLoopBackOff", False, 4, "app: CrashLoopBackOff, 4 restarts, last Error"),
    "OOMKilled": ("OOMKilled", False, 1, "app: OOMKilled, 1 restart"),
    "Evicted": ("Evicted", False, 0, "app: ContainerStatusUnknown"),
    "Terminating": ("Terminating", True, 0, None),
}  # fmt: skip


def with_sidecars(fake) -> None:
    for name, version, replicas in (("checkout-v1", "v1", 4), (CANARY, "v2", 2)):
        fake.put(with_sidecar(deployment(name, version, replicas)))


@pytest.mark.parametrize("state", sorted(STATES))
def test_a_pod_in_each_state_reads_as_kubectl_shows_it(fake, state):
    with_sidecars(fake)
    name = fake.pods_of(CANARY)[0]
    obj = fake.pod_state(name, state)
    pod = to_pod(obj, "v2", datetime.now(UTC), {})
    assert (pod.phase, pod.ready, pod.restarts, pod.container) == STATES[state]


def test_a_crashing_native_sidecar_rolls_the_release_back_by_the_restarts_gate(fake, kenv, write_plan):
    with_sidecars(fake)
    fake.pod_state(fake.pods_of(CANARY)[0], "SidecarCrashLoop")
    rc, out, err = run_cli(["run", str(write_plan("istio", pod_gate=True)), "--headless", "--json"], kenv)
    assert rc == 1, err
    result = lines(out)[-1]
    assert result["outcome"] == "RolledBack" and "canary_restarts 3" in result["reason"], result
    assert vs_weights(fake) == (100, 0)
    crashing = [p for p in stored_doc(fake)["pods"] if p["restarts"]]
    assert [(p["phase"], p["ready"], p["container"]) for p in crashing] == [("Init:CrashLoopBackOff", False, SIDECAR)]


def test_a_native_sidecar_that_is_not_ready_rolls_the_release_back_by_the_not_ready_gate(fake, kenv, write_plan):
    """The app container is ready and nothing restarts, but the pod's istio-proxy sidecar is not ready:
    the pod is not ready (it gets no traffic), and the ``notReady`` gate counts it."""
    with_sidecars(fake)
    fake.pod_state(fake.pods_of(CANARY)[0], "SidecarNotReady")
    rc, out, err = run_cli(["run", str(write_plan("istio", pod_gate="notReady")), "--headless", "--json"], kenv)
    assert rc == 1, err
    result = lines(out)[-1]
    assert result["outcome"] == "RolledBack" and "canary_not_ready 1" in result["reason"], result
    assert vs_weights(fake) == (100, 0)
    unready = [p for p in stored_doc(fake)["pods"] if not p["ready"]]
    assert [(p["phase"], p["restarts"], p["container"]) for p in unready] == [
        ("Running", 0, "istio-proxy (sidecar): running, not ready")
    ]


def test_the_pod_table_names_the_crashing_sidecar(fake, kenv, write_plan, monkeypatch):
    import argparse

    from canary_tui.commands.run_live import prepare
    from canary_tui.core.rule import Outcome
    from canary_tui.tui.app import make_app

    with_sidecars(fake)
    fake.pod_state(fake.pods_of(CANARY)[0], "SidecarCrashLoop")
    for key in ("KUBECONFIG", "CANARY_TUI_KUBE_TIMEOUT", "XDG_STATE_HOME"):
        monkeypatch.setenv(key, kenv[key])
    args = argparse.Namespace(
        plan=write_plan("istio", pod_gate=True), context=None, namespace=None, dry_run=False,
        state_file=None, headless=False, json=False, verbose=False, log=None,
    )  # fmt: skip
    live = prepare(args)
    app = make_app(live.controller, mode="run", actor=live.actor, tick=0.2)
    seen: list[str] = []

    async def scenario():
        async with app.run_test(size=(160, 50)) as pilot:  # standard layout: the pod table spans the width
            deadline = time.monotonic() + 30
            while live.controller.state is None or live.controller.state.outcome is not Outcome.ROLLED_BACK:
                assert time.monotonic() < deadline, "no rollback"
                await pilot.pause(0.05)
            table = app.query_one("#pod-table")
            while not any("(sidecar)" in line for line in seen) and time.monotonic() < deadline:
                await pilot.pause(0.05)
                seen[:] = [table.render_line(y).text for y in range(table.size.height)]

    try:
        asyncio.run(scenario())
    finally:
        live.controller.stop("test over")
        live.close()
    assert "container" in seen[0]
    (row,) = [line for line in seen if "(sidecar)" in line]
    assert " v2 " in row and " Init:CrashLoopBackOff " in row and " no " in row
    assert "istio-proxy (sidecar): CrashLoopBackOff, 3 restarts" in row  # the rest may be cut at 160 columns
    assert " 3 " in row  # the restarts column counts the sidecar's


def test_the_generated_restarts_alert_fires_on_a_crashing_sidecar(cli, tmp_path):
    """promtool evaluates the PrometheusRule over kube-state-metrics series: the app container never
    restarts, the istio-proxy sidecar restarts every minute."""
    import subprocess

    import yaml

    out = cli("manifests", ROOT / "fixtures" / "plans" / "seed.yaml").out
    rule = next(d for d in yaml.safe_load_all(out) if d["kind"] == "PrometheusRule")
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    pod = 'namespace="default",pod="canary-deployment-v2-5d8f7-x2x4z",uid="u1"'
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f'kube_pod_container_status_restarts_total{{{pod},container="app"}}', "values": "0x40"},
                    {
                        "series": f'kube_pod_init_container_status_restarts_total{{{pod},container="istio-proxy"}}',
                        "values": "0+1x40",
                    },
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "25m",
                        "alertname": "CanaryRestartsHigh",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "canary_tui_plan": "canary-deployment",
                                    "severity": "critical",
                                    "track": "canary",
                                    "version": "v2",
                                },
                                "exp_annotations": {
                                    "summary": "v2 canary_restarts > 0",
                                    "description": "canary_restarts of canary-deployment v2 is 10 (> 0); "
                                    "canary-tui rolls back after 2 such evaluations.",
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    proc = subprocess.run(["promtool", "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
