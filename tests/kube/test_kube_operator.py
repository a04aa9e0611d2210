"""promote, hold, resume and rollback from another terminal: queued for the driver when one holds the
Lease (applied at its next evaluation, each exactly once, naming the caller), applied directly for a
rollback when none does (the seed's emergency ``kubectl rollout undo``)."""

from __future__ import annotations

import json
import signal

from kubehelpers import finish, lines, run_cli, start, stored_doc, vs_weights, wait_for


def as_bob(kenv):
    return {**kenv, "USER": "bob", "LOGNAME": "bob"}


def test_actions_from_another_terminal_are_queued_and_applied_once_by_the_driver(fake, kenv, write_plan):
    plan = write_plan("istio", durations=("60s", "60s", "1s"))
    driver = start(["run", str(plan), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        bob = as_bob(kenv)
        rc, out, err = run_cli(["hold", str(plan)], bob)
        assert rc == 0, err
        assert out.startswith("hold queued for checkout by bob@") and "(kube: alice)" in out
        assert f"(pid {driver.pid}) applies it at its next evaluation (every 1s)" in out
        wait_for(lambda: stored_doc(fake)["state"]["held"], what="the hold applied")
        rc, out, err = run_cli(["promote", str(plan)], bob)
        assert rc == 0, err
        wait_for(lambda: vs_weights(fake) == (75, 25), what="the promote applied")
        assert run_cli(["resume", str(plan)], bob)[0] == 0
        wait_for(lambda: not stored_doc(fake)["state"]["held"], what="the resume applied")
        assert run_cli(["rollback", str(plan)], bob)[0] == 0
        rc, out, err = finish(driver)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert rc == 1, err
    events = lines(out)
    actions = [(e["action"], e["accepted"]) for e in events if e["type"] == "action"]
    assert actions == [("hold", True), ("promote", True), ("resume", True), ("rollback", True)]
    assert all(
        e["actor"].startswith("bob@") and e["actor"].endswith("(kube: alice)") for e in events if e["type"] == "action"
    )
    assert events[-1]["outcome"] == "RolledBack" and events[-1]["reason"].startswith("rolled back by bob@")
    assert vs_weights(fake) == (100, 0)
    cm = fake.get("", "configmaps", "canary-tui-checkout")
    assert json.loads(cm["data"]["queue.json"]) == []
    assert len(stored_doc(fake)["appliedActions"]) == 4
    reasons = [o["reason"] for k, o in fake.objects.items() if k[1] == "events"]
    for r in ("Held", "PromoteRequested", "Resumed", "RollbackRequested", "RolledBack", "ReleaseRolledBack"):
        assert r in reasons


def test_without_a_driver_only_rollback_acts_and_run_then_reports_it(fake, kenv, write_plan):
    plan = write_plan("istio", durations=("60s", "1s", "1s"))
    driver = start(["run", str(plan), "--headless", "--json"], kenv)
    wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
    driver.send_signal(signal.SIGTERM)
    assert finish(driver)[0] == 3
    bob = as_bob(kenv)
    for action in ("hold", "resume", "promote"):
        rc, out, err = run_cli([action, str(plan)], bob)
        assert rc == 2
        assert "nothing is driving checkout in namespace shop (no canary-tui run holds the lease" in err
        assert f"canary-tui-checkout): {action} needs a running driver" in err
    rc, out, err = run_cli(["rollback", str(plan)], bob)
    assert rc == 0, err
    assert "rolled back checkout by bob@" in out and "now sends 100% to v1 (stable)" in out
    assert vs_weights(fake) == (100, 0)
    doc = stored_doc(fake)
    assert doc["state"]["outcome"] == "RolledBack" and doc["state"]["reason"].startswith("rolled back by bob@")
    assert doc["appliedWeight"] == 0
    assert "holderIdentity" not in fake.get("coordination.k8s.io", "leases", "canary-tui-checkout")["spec"]
    # a later run of the same release does not start it again: it reports the rollback
    writes_before = len(fake.writes("/virtualservices/"))
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 1, err
    assert lines(out)[-1]["outcome"] == "RolledBack" and "already ended RolledBack" in err
    assert len(fake.writes("/virtualservices/")) == writes_before


def test_emergency_rollback_with_no_release_state_only_moves_traffic(fake, kenv, write_plan):
    fake.edit(
        "networking.istio.io",
        "virtualservices",
        "checkout",
        lambda vs: [d.update(weight=50) for d in vs["spec"]["http"][0]["route"]],
    )
    rc, _out, err = run_cli(["rollback", str(write_plan("istio"))], as_bob(kenv))
    assert rc == 0, err
    assert vs_weights(fake) == (100, 0)
    assert fake.get("", "configmaps", "canary-tui-checkout") is None
    assert [o["reason"] for k, o in fake.objects.items() if k[1] == "events"] == ["RolledBack"]


def test_rollback_after_a_promotion_is_refused(fake, kenv, write_plan):
    plan = write_plan("istio")
    assert run_cli(["run", str(plan), "--headless"], kenv)[0] == 0
    rc, _, err = run_cli(["rollback", str(plan)], kenv)
    assert rc == 2 and "was Promoted" in err
    assert vs_weights(fake) == (0, 100)


def test_actions_left_queued_for_an_earlier_release_are_not_applied_to_a_new_one(fake, kenv, write_plan):
    assert run_cli(["run", str(write_plan("istio")), "--headless"], kenv)[0] == 0

    def leftover(cm):
        cm["data"]["queue.json"] = json.dumps(
            [{"id": "old-1", "action": "rollback", "actor": "bob@x", "at": "2026-01-01T00:00:00Z"}]
        )

    fake.edit("", "configmaps", "canary-tui-checkout", leftover)
    fake.edit(
        "networking.istio.io",
        "virtualservices",
        "checkout",
        lambda vs: [d.update(weight=w) for d, w in zip(vs["spec"]["http"][0]["route"], (100, 0), strict=True)],
    )
    rc, out, err = run_cli(["run", str(write_plan("istio", canary_version="v3")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert "starting a new release: the state in ConfigMap shop/canary-tui-checkout was of v1 -> v2" in err
    assert not [e for e in lines(out) if e["type"] == "action"]
    assert json.loads(fake.get("", "configmaps", "canary-tui-checkout")["data"]["queue.json"]) == []
