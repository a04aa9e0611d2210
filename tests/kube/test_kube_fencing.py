"""The renew deadline and fencing, under a stalled lease write: while the driver's lease renewals hang
(the API server takes them in and never answers), no traffic or state write of the driver lands later
than the lease could have expired; the driver holds and says why, keeps trying to renew, and writes
again once a renewal lands.

A 6 s lease, renewed every 1 s, with 1 s requests: the renew deadline is 4 s, and a write may start
at most min(4, 6 - 2) = 4 s after the start of the last renewal that landed, so it lands within the
6 s a second driver waits (on its own clock) before taking an unchanged lease over."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

from kubehelpers import start, vs_weights, wait_for

DURATION, WRITABLE = 6.0, 4.0
LEASE = "/leases/canary-tui-checkout$"  # a renewal (PUT)
TAKEN = r"/leases(/canary-tui-checkout)?$"  # the lease's creation (POST) or a renewal
STATE = r"/configmaps(/canary-tui-checkout)?$"
VS = "/virtualservices/checkout$"
HELD = "lease canary-tui-checkout not renewed for"


def reader(proc: subprocess.Popen[str]) -> tuple[list[dict], list[str], list[threading.Thread]]:
    """The run's JSON lines and its stderr as they come (threads read both pipes to their end while
    the test goes on)."""
    seen: list[dict] = []
    err: list[str] = []

    def read_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                seen.append(json.loads(line))

    def read_err() -> None:
        assert proc.stderr is not None
        err.extend(proc.stderr)

    threads = [threading.Thread(target=f, name=f.__name__, daemon=True) for f in (read_out, read_err)]
    for thread in threads:
        thread.start()
    return seen, err, threads


def held(seen: list[dict]) -> list[str]:
    return [e["message"] for e in list(seen) if e["type"] == "error" and HELD in e["message"]]


def test_a_driver_whose_renewals_stall_stops_writing_before_its_lease_could_expire(fake, kenv, write_plan):
    env = {**kenv, "CANARY_TUI_LEASE_DURATION": str(int(DURATION)), "CANARY_TUI_KUBE_TIMEOUT": "1"}
    plan = write_plan("istio", durations=("3s", "3s", "3s"))
    proc = start(["run", str(plan), "--headless", "--json"], env)
    seen, stderr, reading = reader(proc)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="5%")
        # every renewal from now on is taken in and never answered (the client gives up after 1 s)
        stall = fake.hang("PUT", LEASE, 3.0, times=None)
        wait_for(lambda: stall.hits >= 1, what="the first stalled renewal")
        landed = max(r.at for r in fake.writes(TAKEN))
        # the driver notices at its renew deadline, holds and says so, evaluation after evaluation, until
        # the lease it last renewed could have expired (a second driver could have taken it over by now)
        wait_for(
            lambda: len(held(seen)) >= 3 and time.time() > landed + DURATION + 0.5,
            timeout=30,
            what="the driver saying it holds, past the lease's duration",
        )
        with fake.lock:
            stall.times = stall.hits  # the API server answers again
            stalled_until = max(
                r.at for r in fake.requests if r.method == "PUT" and r.path.endswith("/leases/canary-tui-checkout")
            )
        renewed = lambda: [  # noqa: E731
            r for r in fake.writes(LEASE) if r.method == "PUT" and r.at > stalled_until
        ]
        wait_for(renewed, what="a renewal that lands")
        back = renewed()[0].at
        wait_for(lambda: any(r.at > back for r in fake.writes(f"{STATE}|{VS}")), what="a write after the renewal")
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    for thread in reading:
        thread.join(10)  # both pipes read to their end: the result line is the last
    err = "".join(stderr)
    assert rc == 0, err
    assert seen[-1]["type"] == "result" and seen[-1]["outcome"] == "Promoted", seen[-1]
    assert "lost the lease" not in err and "Traceback" not in err

    last_before = max(r.at for r in fake.writes(TAKEN) if r.at < back)  # the last renewal that landed before the stall
    assert back - last_before > DURATION  # the stall outlasted the lease: writing on would have been unsafe
    during = [r for r in fake.writes(f"{STATE}|{VS}") if last_before < r.at < back]
    # fencing: no write landed after the lease could have expired (its start checked against the
    # deadline less the time one write may take; up to 1 s for the request to reach the server on a busy machine)
    late = [(r.method, r.path, round(r.at - last_before, 2)) for r in during if r.at > last_before + WRITABLE + 1.0]
    assert late == []
    assert all(r.at < last_before + DURATION for r in during)
    # the driver held: what it wanted to write waited for the renewal (said, not silently dropped)
    message = held(seen)[0]
    assert "traffic writes stopped until it is renewed" in message and "renew deadline 4s" in message
    assert any(r.at > back for r in fake.writes(STATE))  # the state is written again after the renewal
    assert vs_weights(fake) == (0, 100)
