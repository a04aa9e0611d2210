"""The interactive ``run`` (no --headless): the control room in LIVE mode over the real Kubernetes
controller; ``h`` and ``r`` act on the cluster through the same path as every other action, with a
confirmation, recorded with the actor (user@host and the kube user) in the audit log and the Events."""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from kubehelpers import vs_weights

from canary_tui.commands.run_live import prepare
from canary_tui.core.rule import Outcome


def test_h_and_r_in_the_live_control_room_act_on_the_cluster(fake, kenv, write_plan, monkeypatch, tmp_path):
    from canary_tui.tui.app import make_app
    from canary_tui.tui.screens.confirm import ConfirmScreen

    for key in ("KUBECONFIG", "CANARY_TUI_KUBE_TIMEOUT"):
        monkeypatch.setenv(key, kenv[key])
    monkeypatch.setenv("USER", "carol")
    monkeypatch.setenv("LOGNAME", "carol")
    log = tmp_path / "audit.jsonl"
    args = argparse.Namespace(
        plan=write_plan("istio", durations=("60s", "1s", "1s")), context=None, namespace=None, dry_run=False,
        state_file=None, headless=False, json=False, verbose=False, log=log,
    )  # fmt: skip
    live = prepare(args)
    assert live.actor.startswith("carol@") and live.actor.endswith("(kube: alice)")
    app = make_app(live.controller, mode="run", actor=live.actor, tick=0.2)

    async def until(pilot, condition, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {condition}"
            await pilot.pause(0.05)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: vs_weights(fake) == (95, 5) and app.model.state is not None)
            await pilot.press("h")
            await until(pilot, lambda: live.controller.state.held)
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.click("#confirm")
            await until(pilot, lambda: vs_weights(fake) == (100, 0))
            await until(pilot, lambda: live.controller.state.outcome is Outcome.ROLLED_BACK)

    try:
        asyncio.run(scenario())
    finally:
        live.controller.stop("test over")
        live.close()
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    actions = [(e["action"], e["actor"]) for e in logged if e["type"] == "action"]
    assert actions == [("hold", live.actor), ("rollback", live.actor)]
    messages = [
        o["message"]
        for k, o in fake.objects.items()
        if k[1] == "events" and o["reason"] in ("Held", "RollbackRequested")
    ]
    assert sorted(messages) == sorted([f"hold by {live.actor}", f"rollback by {live.actor}"])
    assert "holderIdentity" not in fake.get("coordination.k8s.io", "leases", "canary-tui-checkout")["spec"]
