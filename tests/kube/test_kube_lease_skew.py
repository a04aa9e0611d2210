"""Lease expiry judged as client-go judges it, with two machines' clocks 120 s apart: the second driver
is refused while the first renews, whichever clock is ahead, and a watcher never calls the release
STALE because the driver's renewTime looks old or new by its own clock.

The skewed process is a real ``canary-tui`` whose wall clock (``time.time`` and ``datetime.now``) is
moved by SKEW seconds before anything is imported; its monotonic clock is the machine's, as it is for
a process on another machine."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from kubehelpers import ROOT, finish, lines, vs_weights, wait_for

LEASES = ("coordination.k8s.io", "leases", "canary-tui-checkout")
SKEWED = """
import datetime as _dt, os, runpy, sys, time
_off = float(os.environ["SKEW"])
_time, _time_ns = time.time, time.time_ns
time.time = lambda: _time() + _off
time.time_ns = lambda: _time_ns() + int(_off * 1e9)
class _Skewed(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return super().now(tz) + _dt.timedelta(seconds=_off)
    @classmethod
    def utcnow(cls):
        return super().utcnow() + _dt.timedelta(seconds=_off)
_dt.datetime = _Skewed
sys.argv = ["canary-tui", *sys.argv[1:]]
runpy.run_module("canary_tui", run_name="__main__")
"""


def driver(args: list[str], env: dict[str, str], skew: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SKEWED, *args],
        env={**env, "SKEW": str(skew)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def lenv(kenv):
    """A 6 s lease (renewed every 1 s) and 1 s requests, so the watching takes seconds, not minutes."""
    return {**kenv, "CANARY_TUI_LEASE_DURATION": "6", "CANARY_TUI_KUBE_TIMEOUT": "1"}


def test_the_skewed_clock_really_is_skewed(lenv):
    code = "import time, datetime; print(time.time(), datetime.datetime.now(datetime.UTC).timestamp())"
    out = subprocess.run(
        [sys.executable, "-c", SKEWED.replace('runpy.run_module("canary_tui", run_name="__main__")', code)],
        env={**lenv, "SKEW": "-120"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    now = datetime.now(UTC).timestamp()
    assert all(abs(float(t) - (now - 120)) < 5 for t in out)


@pytest.mark.parametrize(("first", "second"), [(0, 120), (0, -120), (120, 0), (-120, 0)])
def test_a_second_driver_is_refused_while_the_first_renews_whatever_the_clocks(fake, lenv, write_plan, first, second):
    plan = write_plan("istio", durations=("60s", "1s", "1s"))
    one = driver(["run", str(plan), "--headless", "--json"], lenv, first)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="the first run's 5%")
        holder = fake.get(*LEASES)["spec"]["holderIdentity"]
        two = driver(["run", str(plan), "--headless", "--json"], lenv, second)
        rc, out, err = finish(two, timeout=30)
        assert rc == 2, err
        assert "is already being driven" in err and "renewed the lease while we watched" in err
        assert out == "" and "Traceback" not in err
        assert fake.get(*LEASES)["spec"]["holderIdentity"] == holder  # never taken over
        assert one.poll() is None  # the first drives on
    finally:
        one.send_signal(signal.SIGTERM)
        rc, out, err = finish(one)
    assert rc == 3 and lines(out)[-1]["outcome"] == "Incomplete", err
    assert "lost the lease" not in err


@pytest.mark.parametrize("skew", [120, -120])
def test_watch_does_not_call_a_skewed_driver_stale(fake, lenv, write_plan, skew, monkeypatch):
    """The watcher polls a driver whose clock is 120 s ahead of or behind its own: the state is fresh
    (its age is what the watcher observed, not the driver's ``updatedAt`` read on the watcher's clock)
    from the first poll on, and so is the lease, for longer than the lease lasts."""
    from canary_tui.core.planfile import load_plan
    from canary_tui.watch.follower import Follower
    from canary_tui.watch.info import freshness
    from canary_tui.watch.sources import ClusterSource
    from canary_tui.watch.view import ClusterView

    # evaluations every 2 s: stale after 6 s without a write (a loaded machine may delay one by a second)
    plan_path = write_plan("istio", durations=("60s", "2s", "2s"), interval="2s")
    one = driver(["run", str(plan_path), "--headless", "--json"], lenv, skew)
    try:
        wait_for(lambda: vs_weights(fake) == (95, 5), what="the run's 5%")
        monkeypatch.setenv("KUBECONFIG", lenv["KUBECONFIG"])
        plan = load_plan(plan_path)
        source = ClusterSource(ClusterView.connect(), plan, "shop")
        follower = Follower(plan, source, refresh=1)
        infos, seen_then = [], []
        start = time.monotonic()
        while time.monotonic() - start < 8:  # longer than the 6 s lease, and than 3 intervals
            follower.poll()
            infos.append(follower.info)
            seen_then.append(freshness(follower.info, time.time()))  # what the screen's tick shows now
            seen = len(fake.requests)
            wait_for(lambda n=seen: len(fake.requests) > n, what="the driver's next request")
        assert len(infos) >= 5
        assert follower.state is not None and not follower.state.done
        assert [f.stale for f in seen_then] == [None] * len(infos)  # no STALE banner, the first poll included
        assert all(f.age is not None and f.age < f.limit for f in seen_then)  # never the 120 s between the clocks
        assert [i.lease for i in infos] == [None] * len(infos)
        assert all(i.driver and "(pid" in i.driver for i in infos)
    finally:
        one.send_signal(signal.SIGTERM)
        finish(one)
    # and once the driver is gone (released), the watcher says so at once
    assert "is free" in (source.read().lease or "")


def test_a_lease_that_stops_changing_is_expired_after_its_duration_on_our_clock(fake, lenv, write_plan):
    """The holder's renewTime is 120 s in the future by our clock (its clock is ahead), and it has
    died on another machine: the lease is taken over once it stayed unchanged for its duration."""
    from datetime import timedelta

    future = datetime.now(UTC) + timedelta(seconds=120)
    fake.put(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "canary-tui-checkout", "namespace": "shop"},
            "spec": {
                "holderIdentity": "bob@elsewhere (pid 7)",
                "leaseDurationSeconds": 3,
                "acquireTime": future.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "renewTime": future.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "leaseTransitions": 1,
            },
        }
    )
    two = driver(["run", str(write_plan("istio")), "--headless", "--json"], lenv, 0)
    rc, out, err = finish(two, timeout=60)
    assert rc == 0, err
    assert "took over the lease from bob@elsewhere (pid 7) (it expired: not renewed for 3s while we watched)" in err
    assert lines(out)[-1]["outcome"] == "Promoted"
