"""Concurrency: an edit by someone else between our read and write is kept, a second driver is refused
by the Lease, an expired lease is taken over, a lost lease stops the writes, and a conflict never
re-applies a promotion over a decision that changed meanwhile."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

from kubehelpers import ISTIO, finish, lines, run_cli, start, stored_doc, vs_weight_writes, vs_weights, wait_for

LEASES = ("coordination.k8s.io", "leases", "canary-tui-checkout")


def micro(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease(holder: str, renewed: datetime, duration: int = 30) -> dict:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "canary-tui-checkout", "namespace": "shop"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": duration,
            "acquireTime": micro(renewed - timedelta(minutes=5)),
            "renewTime": micro(renewed),
            "leaseTransitions": 3,
        },
    }


def test_a_concurrent_edit_between_read_and_write_is_kept(fake, kenv, write_plan):
    def someone_edits():
        def change(vs):
            vs["spec"]["http"][0]["timeout"] = "10s"
            vs["spec"]["http"][0]["retries"]["attempts"] = 5
            vs["spec"]["http"].append({"name": "mirror", "route": [{"destination": {"host": "checkout-shadow"}}]})

        fake.edit(ISTIO, "virtualservices", "checkout", change)

    # right after the driver reads the VirtualService to move it from 5% to 25%
    def before_25(_, current):
        return current["spec"]["http"][0]["route"][1]["weight"] == 5

    fake.hook("GET", "/virtualservices/checkout$", match=before_25, after=someone_edits)
    rc, _out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    puts = [r.status for r in fake.requests if r.method == "PUT" and r.path.endswith("/virtualservices/checkout")]
    assert puts == [200, 409, 200, 200, 200]  # the stale write was refused, then redone on the fresh object
    vs = fake.get(ISTIO, "virtualservices", "checkout")
    primary = vs["spec"]["http"][0]
    assert primary["timeout"] == "10s" and primary["retries"]["attempts"] == 5
    assert [h["name"] for h in vs["spec"]["http"]] == ["primary", "admin", "mirror"]
    assert vs_weight_writes(fake) == [5, 25, 50, 100] and vs_weights(fake) == (0, 100)


def test_a_second_run_is_refused_naming_the_holder_and_since_when(fake, kenv, write_plan):
    plan = write_plan("istio", durations=("8s", "1s", "1s"))
    first = start(["run", str(plan), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="the first run's 5%")
        rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
        assert rc == 2
        assert "checkout is already being driven" in err and f"(pid {first.pid})" in err and "since 20" in err
        assert "kube user alice" in err and "Traceback" not in err
        assert out == ""
    finally:
        first.send_signal(signal.SIGTERM)
        rc, out, _ = finish(first)
    # SIGTERM ends the first run Incomplete (never a rollback), and gives the lease back
    assert rc == 3 and lines(out)[-1]["outcome"] == "Incomplete"
    assert vs_weights(fake) == (95, 5)
    assert "holderIdentity" not in fake.get(*LEASES)["spec"]
    # the next run resumes the stopped release: the soak already served counts
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert "resuming in phase canary (1/4, canary 5%)" in err
    assert [e["weight"] for e in lines(out) if e["type"] == "phase"] == [25, 50, 100]
    # evaluations stay on the first run's grid (t0 + k x 1s): expansion starts exactly 8 s after t0
    t0 = datetime.fromisoformat(stored_doc(fake)["state"]["startedAt"].replace("Z", "+00:00"))
    expansion = next(e for e in lines(out) if e["type"] == "phase" and e["index"] == 1)
    assert datetime.fromisoformat(expansion["at"].replace("Z", "+00:00")) - t0 == timedelta(seconds=8)
    assert vs_weight_writes(fake) == [5, 25, 50, 100]


def test_a_live_lease_of_someone_elsewhere_is_respected(fake, kenv, write_plan):
    """Live means renewing: the run watches the lease (client-go's rule) and sees it renewed."""
    fake.put(lease("bob@build-7 (pid 4242)", datetime.now(UTC)))
    stop = threading.Event()

    def bob_renews():
        while not stop.wait(0.5):
            fake.edit(*LEASES[:2], LEASES[2], lambda o: o["spec"].update(renewTime=micro(datetime.now(UTC))))

    renewer = threading.Thread(target=bob_renews, daemon=True)
    renewer.start()
    try:
        rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless"], kenv)
    finally:
        stop.set()
        renewer.join()
    assert rc == 2 and "held by bob@build-7 (pid 4242)" in err and "renewed the lease while we watched" in err
    assert fake.writes("/virtualservices/") == [] and fake.writes("/configmaps") == []


def test_an_expired_lease_is_taken_over(fake, kenv, write_plan):
    """Not renewed for its leaseDurationSeconds on our clock since we first saw it (its renewTime, an
    hour old by our clock, does not count: the holder's clock may be wrong)."""
    fake.put(lease("bob@build-7 (pid 4242)", datetime.now(UTC) - timedelta(hours=1), duration=2))
    rc, _out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert "waiting up to 2s to see whether it renews it" in err
    assert "took over the lease from bob@build-7 (pid 4242) (it expired: not renewed for 2s while we watched)" in err
    assert fake.get(*LEASES)["spec"]["leaseTransitions"] == 4


def test_a_lost_lease_stops_the_writes(fake, kenv, write_plan):
    proc = start(["run", str(write_plan("istio", durations=("30s", "1s", "1s"))), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        wait_for(lambda: len(fake.writes("/configmaps/canary-tui-checkout$")) >= 2, what="a state write")

        def take(obj):
            obj["spec"].update(
                holderIdentity="bob@build-7 (pid 4242)", renewTime=micro(datetime.now(UTC)), leaseTransitions=9
            )
            obj["metadata"]["annotations"] = {}

        fake.edit(*LEASES[:2], LEASES[2], take)
        taken = time.time()
        rc, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 3, err
    result = lines(out)[-1]
    assert result["outcome"] == "Incomplete" and "lost the lease canary-tui-checkout" in result["reason"]
    assert "bob@build-7" in result["reason"]
    late = [
        r
        for r in fake.requests
        if r.at > taken and r.method in ("PUT", "POST", "PATCH") and r.status < 300 and "/events" not in r.path
    ]
    assert late == []  # not one write to the route, the state or the lease after it was lost
    assert fake.get(*LEASES)["spec"]["holderIdentity"] == "bob@build-7 (pid 4242)"
    assert vs_weights(fake) == (95, 5)


def test_a_conflict_never_reapplies_a_promotion_over_a_changed_decision(fake, kenv, write_plan):
    """Between the driver's read and its write of 25%, the stored decision became a rollback (and the
    object changed, so the write conflicts): the driver re-reads, sees it, and does not write 25%."""

    def decision_changes():
        def rolled_back(cm):
            doc = json.loads(cm["data"]["state.json"])
            doc["state"].update(outcome="RolledBack", reason="rolled back by bob", decidedAt=doc["state"]["startedAt"])
            cm["data"]["state.json"] = json.dumps(doc)

        fake.edit("", "configmaps", "canary-tui-checkout", rolled_back)
        fake.edit(
            ISTIO,
            "virtualservices",
            "checkout",
            lambda vs: (
                vs["spec"]["http"][0]["route"][0].update(weight=100)
                or vs["spec"]["http"][0]["route"][1].update(weight=0)
            ),
        )

    fake.hook(
        "GET",
        "/virtualservices/checkout$",
        match=lambda _, cur: cur["spec"]["http"][0]["route"][1]["weight"] == 5,
        after=decision_changes,
    )
    rc, out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 3, err
    result = lines(out)[-1]
    assert result["outcome"] == "Incomplete" and "stored decision changed" in result["reason"]
    assert vs_weight_writes(fake) == [5]  # 25% was never written over the rollback
    assert vs_weights(fake) == (100, 0)
    assert stored_doc(fake)["state"]["outcome"] == "RolledBack"


def test_a_state_configmap_deleted_mid_run_is_written_again(fake, kenv, write_plan):
    proc = start(["run", str(write_plan("istio", durations=("3s", "1s", "1s"))), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        fake.delete("", "configmaps", "canary-tui-checkout")
        rc, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0, err
    assert stored_doc(fake)["state"]["outcome"] == "Promoted"
    assert not [e for e in lines(out) if e["type"] == "error"]


def test_a_dead_holder_is_taken_over_only_on_its_own_host(fake, kenv, write_plan):
    """A holder whose process is gone on this machine is taken over at once (a restart after a crash);
    the same pid and boot id on another host (another pod on the node) is not: it is watched for its
    whole lease duration first."""
    import socket

    from canary_tui.kube.leaseinfo import boot_id

    def held_by(host: str) -> dict:
        obj = lease(f"alice@{host} (pid 999999)", datetime.now(UTC), duration=2)
        obj["metadata"]["annotations"] = {
            "canary-tui/pid": "999999",
            "canary-tui/boot-id": boot_id(),
            "canary-tui/host": host,
        }
        return obj

    fake.put(held_by("another-pod"))
    rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless"], kenv)
    assert rc == 0, err
    assert "waiting up to 2s" in err and "from alice@another-pod (pid 999999) (it expired: not renewed" in err
    fake.put(held_by(socket.gethostname()))
    rc, _, err = run_cli(["run", str(write_plan("istio")), "--headless"], kenv)
    assert rc == 0, err
    assert "(its process is gone)" in err and "waiting" not in err
