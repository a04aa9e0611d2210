"""What is retried and what is not: a 403 on the traffic write cannot heal by itself, so after a few
attempts a headless run stops (non-zero, naming what is missing) and the control room holds with the
message in its alert banner until the operator acts; lease renewal honours Retry-After; a refused
connection is reported as refused, not as a timeout."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time

from kubehelpers import ISTIO, finish, lines, start, vs_weights, wait_for

VS = "/virtualservices/checkout$"
FORBIDDEN = "forbidden: alice may not update virtualservices.networking.istio.io/checkout in namespace shop"


def refused_puts(fake) -> list:
    return [
        r
        for r in fake.requests
        if r.method == "PUT" and r.path.endswith("/virtualservices/checkout") and r.status == 403
    ]


def test_403_on_the_traffic_write_stops_a_headless_run_after_a_few_attempts(fake, kenv, write_plan, tmp_path):
    log = tmp_path / "audit.jsonl"
    plan = write_plan("istio", durations=("2s", "1s", "1s"))
    proc = start(["run", str(plan), "--headless", "--json", "--log", str(log)], kenv)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        fake.forbid("update", ISTIO, "virtualservices", "checkout")
        wait_for(lambda: refused_puts(fake), what="the first refused write")
        first = time.time()
        rc, out, err = finish(proc, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    ended = time.time()
    assert rc == 3, err  # Incomplete: non-zero, and never a rollback nobody asked for
    assert ended - first < 60
    assert len(refused_puts(fake)) == 3  # a few attempts, not an endless retry
    assert vs_weights(fake) == (95, 5)  # traffic stayed where it was
    events = lines(out)
    result = events[-1]
    assert result["type"] == "result" and result["outcome"] == "Incomplete"
    assert result["reason"].startswith(f"traffic writes stopped: {FORBIDDEN}")
    assert "see `canary-tui manifests PLAN` for the Role a run needs" in result["reason"]
    errors = [e["message"] for e in events if e["type"] == "error"]
    assert errors[-1].startswith(f"weight 25% not written: {FORBIDDEN}") and errors[-1].endswith(
        "not retried (3 attempts refused)"
    )
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["message"] for e in logged if e["type"] == "error"] == errors
    assert "Traceback" not in err


def test_a_persistent_422_on_the_traffic_write_stops_a_headless_run_like_a_403(fake, kenv, write_plan):
    """An admission webhook (or a CRD's validation) that refuses every write of the weights cannot heal by
    itself: after a few attempts the run stops, Incomplete, naming the server's message."""
    plan = write_plan("istio", durations=("2s", "1s", "1s"))
    proc = start(["run", str(plan), "--headless", "--json"], kenv)
    invalid = 'admission webhook "validation.istio.io" denied the request: weight 25 is not allowed'
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        refusal = fake.fail("PUT", VS, 422, times=None, message=invalid)
        wait_for(lambda: refusal.hits >= 1, what="the first refused write")
        first = time.time()
        rc, out, err = finish(proc, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 3, err
    assert time.time() - first < 60
    assert refusal.hits == 3  # a few attempts, not an endless retry
    assert vs_weights(fake) == (95, 5)
    result = lines(out)[-1]
    assert result["outcome"] == "Incomplete"
    assert result["reason"] == (
        f"traffic writes stopped: update virtualservices.networking.istio.io/checkout in namespace shop: "
        f"422 Unprocessable Entity: {invalid}"
    )
    errors = [e["message"] for e in lines(out) if e["type"] == "error"]
    assert errors[-1].endswith("not retried (3 attempts refused)")
    assert "Traceback" not in err


def test_403_in_the_control_room_holds_with_the_message_until_the_operator_acts(
    fake, kenv, write_plan, monkeypatch, tmp_path
):
    from canary_tui.commands.run_live import prepare
    from canary_tui.core.rule import Outcome
    from canary_tui.tui.app import make_app
    from canary_tui.tui.screens.confirm import ConfirmScreen

    for key in ("KUBECONFIG", "CANARY_TUI_KUBE_TIMEOUT"):
        monkeypatch.setenv(key, kenv[key])
    args = argparse.Namespace(
        plan=write_plan("istio", durations=("2s", "1s", "1s")), context=None, namespace=None, dry_run=False,
        state_file=None, headless=False, json=False, verbose=False, log=tmp_path / "audit.jsonl",
    )  # fmt: skip
    live = prepare(args)
    app = make_app(live.controller, mode="run", actor=live.actor, tick=0.2)
    seen: dict[str, object] = {}

    async def until(pilot, condition, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {condition}"
            await pilot.pause(0.05)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: vs_weights(fake) == (95, 5) and app.model.state is not None)
            fake.forbid("update", ISTIO, "virtualservices", "checkout")
            await until(pilot, lambda: (app.model.alert or "").startswith(f"traffic writes stopped: {FORBIDDEN}"))
            seen["banner"] = app.model.alert  # what the alert banner shows
            # it holds: evaluations go on, the refused write is not tried again by itself
            for _ in range(2):  # two more evaluations
                evaluated = live.controller.state.last.at
                await until(pilot, lambda at=evaluated: live.controller.state.last.at > at)
            seen["refused"] = len(refused_puts(fake))
            seen["running"] = live.controller.state.outcome is None
            # the operator fixes the Role and rolls back: the write is tried again, and lands
            fake.allow_all()
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.click("#confirm")
            await until(pilot, lambda: vs_weights(fake) == (100, 0))
            await until(pilot, lambda: live.controller.state.outcome is Outcome.ROLLED_BACK and not app.model.alert)

    try:
        asyncio.run(scenario())
    finally:
        live.controller.stop("test over")
        live.close()
    assert seen["banner"].startswith(f"traffic writes stopped: {FORBIDDEN}")
    assert seen["refused"] == 3 and seen["running"]


def test_lease_renewal_honours_retry_after(fake, kenv, write_plan):
    env = {**kenv, "CANARY_TUI_LEASE_DURATION": "6", "CANARY_TUI_KUBE_TIMEOUT": "1"}  # renewed every 1 s
    proc = start(["run", str(write_plan("istio", durations=("20s", "1s", "1s"))), "--headless", "--json"], env)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        busy = fake.fail("PUT", "/leases/canary-tui-checkout$", 429, retry_after="2", message="slow down")
        wait_for(lambda: busy.hits == 1, what="the refused renewal")
        refused_at = next(
            r.at for r in fake.requests if r.path.endswith("/leases/canary-tui-checkout") and r.status == 429
        )
        wait_for(
            lambda: any(r.at > refused_at and r.method == "PUT" and "/leases/" in r.path for r in fake.requests),
            what="the next renewal",
        )
        after = [r for r in fake.requests if r.at > refused_at and r.method == "PUT" and "/leases/" in r.path]
        assert after[0].at - refused_at >= 1.9  # not before the server said (renewals are every 1 s)
        assert after[0].status == 200
    finally:
        proc.terminate()
        finish(proc)


def test_a_refused_connection_is_reported_as_refused_not_as_a_timeout(tmp_path, monkeypatch):
    from canary_tui.kube.client import ApiError, connect

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    (tmp_path / "kubeconfig").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    started = time.monotonic()
    try:
        connect().get("/api/v1/namespaces/shop/configmaps")
    except ApiError as e:
        error = e
    assert time.monotonic() - started < 3  # refused at once, not after a timeout
    assert error.status is None and error.reason == "connection refused" and error.transient
    assert "Connection refused" in str(error) and "timeout" not in str(error)
