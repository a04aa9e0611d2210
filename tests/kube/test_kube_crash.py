"""Crash safety: ``run --headless`` is killed with SIGKILL at each write boundary (just before and just
after the weight write, just before and just after the state write) and started again. Each time the
release ends where it should, no phase is applied twice, and no rollback is lost.

The fake API server does the killing: a hook on the exact request kills the client process, then
either drops the request unapplied ("before") or applies it and never answers ("after"). So the
process dies exactly at the boundary, with no test-only code inside canary-tui.
"""

from __future__ import annotations

import json
import os
import signal

import pytest
from kubehelpers import lines, run_cli, start, stored_doc, vs_weight_writes, vs_weights


def _state(body):
    return json.loads(body["data"]["state.json"])["state"] if body and "state.json" in (body.get("data") or {}) else {}


def weight_write(canary: int):
    return "PUT", "/virtualservices/checkout$", lambda body, _: body["spec"]["http"][0]["route"][1]["weight"] == canary


def state_write(test):
    return (
        "PUT",
        "/configmaps/canary-tui-checkout$",
        lambda body, current: test(_state(body)) and not test(_state(current)),
    )


PROMOTE = {  # the promotion to expansion (25%)
    "weight": weight_write(25),
    "state": state_write(lambda s: s.get("phaseIndex") == 1),
}
ROLLBACK = {
    "weight": weight_write(0),
    "state": state_write(lambda s: s.get("outcome") == "RolledBack"),
}


def crash_then_resume(fake, kenv, plan, boundary, when):
    method, path, match = boundary
    proc = start(["run", str(plan), "--headless", "--json"], kenv)

    def kill():
        os.kill(proc.pid, signal.SIGKILL)
        return "drop"

    fake.hook(method, path, match=match, **{when: kill})
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    first = lines(proc.stdout.read())
    proc.stdout.close()
    proc.stderr.close()
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    return first, rc, lines(out), err


def phases_in_history(fake):
    return [h["index"] for h in stored_doc(fake)["history"] if h["type"] == "phase"]


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("what", ["weight", "state"])
def test_killed_during_a_promotion_resumes_without_entering_a_phase_twice(fake, kenv, write_plan, what, when):
    plan = write_plan("istio", durations=("2s", "2s", "1s"))
    first, rc, second, err = crash_then_resume(fake, kenv, plan, PROMOTE[what], when)
    assert rc == 0, err
    assert second[-1]["outcome"] == "Promoted"
    assert "resuming in phase" in err
    # the route saw each weight once, in order; the state recorded each phase once
    assert vs_weight_writes(fake) == [5, 25, 50, 100]
    assert phases_in_history(fake) == [0, 1, 2, 3]
    assert vs_weights(fake) == (0, 100)
    # what the killed run printed, plus what the resumed one printed, never names a phase twice
    printed = [e["index"] for e in first + second if e["type"] == "phase"]
    assert len(printed) == len(set(printed))


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("what", ["weight", "state"])
def test_killed_during_a_rollback_never_loses_it(fake, kenv, write_plan, what, when):
    plan = write_plan("istio", fail=True)
    _first, rc, second, err = crash_then_resume(fake, kenv, plan, ROLLBACK[what], when)
    assert rc == 1, err
    assert second[-1]["outcome"] == "RolledBack"
    assert vs_weights(fake) == (100, 0)
    assert vs_weight_writes(fake) == [5, 0]
    doc = stored_doc(fake)
    assert doc["state"]["outcome"] == "RolledBack" and doc["appliedWeight"] == 0
    assert [h["type"] for h in doc["history"]].count("result") == 1
    assert phases_in_history(fake) == [0]
