"""Live-run safety (issue 13): real traffic moves only on real, fresh evidence, and a sick metrics
backend can neither promote a bad canary nor roll back a good one, nor hold the process."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from pathlib import Path

import pytest
from dripserver import DripServer
from fakeprom import FakePrometheus
from kubehelpers import finish, lines, run_cli, start, stored_doc, vs_weight_writes, vs_weights, wait_for
from livehelp import exit_time, live_plan, prom
from promhelp import gate, plan_text
from promserver import free_port

DEADLINE = "deadline 0.4s exceeded"  # a 1 s interval: 40% of it


# ---------------------------------------------------------------- 1. simulated metrics, real router


@pytest.mark.parametrize("metrics", ["{provider: simulated}", "{}"], ids=["written", "defaulted"])
@pytest.mark.parametrize("router", ["istio", "gateway-api", "replicas"])
def test_simulated_metrics_on_a_real_router_are_refused_by_check_and_run(fake, kenv, write_plan, router, metrics):
    plan = write_plan(router, metrics=metrics)
    for args in (["check", plan], ["check", "--offline", plan], ["run", plan, "--headless", "--json"]):
        rc, out, err = run_cli([str(a) for a in args], kenv)
        assert rc == 2, (args, out, err)
        assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
        assert f"{plan}: spec.metrics.provider: the metrics are simulated" in err
        assert f"spec.traffic.router is {router}: a live release would move real traffic on made-up numbers" in err
        assert "{provider: prometheus, address: " in err  # how to fix it
    assert fake.writes(ok=False) == []
    assert fake.requests == []  # refused before the cluster is even asked


def test_simulated_metrics_stay_for_demo(cli):
    r = cli("demo", "--headless", "--json")
    assert r.rc == 0, r.err


# ---------------------------------------------------------------- 2. look before the first step


def test_run_against_a_closed_prometheus_port_exits_2_and_writes_nothing(fake, kenv, write_plan):
    port = free_port()
    plan = write_plan("istio", metrics=prom(f"http://127.0.0.1:{port}"))
    row = f"FAIL prometheus: http://127.0.0.1:{port} did not answer vector(1): connection refused"
    started = time.monotonic()
    rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
    assert time.monotonic() - started < 10
    assert rc == 2 and out == "", err
    assert f"{plan}: the start check failed: run writes nothing until it passes" in err
    assert row in err and "Traceback" not in err
    assert fake.writes(ok=False) == []
    # check says the same, and so does the dry run
    rc, out, _ = run_cli(["check", str(plan)], kenv)
    assert rc == 2 and row in out
    rc, out, err = run_cli(["run", str(plan), "--dry-run", "--headless"], kenv)
    assert rc == 2 and row in err and out == ""


def test_a_gate_whose_stable_query_is_empty_stops_the_run_before_the_first_write(fake, kenv, write_plan):
    with FakePrometheus() as p:
        p.aliases["histogram_quantile(0.99, x)"] = "empty"  # the latency gate's query matches no series
        plan = write_plan("istio", metrics=prom(p.url))
        rc, out, err = run_cli(["run", str(plan), "--headless", "--json"], kenv)
        assert rc == 2 and out == "", err
        assert "FAIL gate latency_p99: stable v1: empty result (the query must give exactly one value" in err
        assert "gate error_rate" not in err  # the healthy gate is not blamed
        assert fake.writes(ok=False) == []
        rc, out, _ = run_cli(["check", str(plan)], kenv)
        assert rc == 2 and "FAIL gate latency_p99: stable v1: empty result" in out


def test_a_run_that_passes_the_start_check_writes_its_first_weight_then_evaluates_at_t0(fake, kenv, write_plan):
    rc, out, err = run_cli(["run", str(write_plan("istio")), "--headless", "--json"], kenv)
    assert rc == 0, err
    assert "start check passed: " in err and "2 gate(s) give a value for stable" in err
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines[0]["type"] == "phase" and lines[1]["type"] == "evaluation"
    assert lines[0]["at"] == lines[1]["at"]  # evaluation 0 at t0, right after the first weight
    assert lines[1]["gates"]["error_rate"] == {"status": "pass", "canary": 0.001, "stable": 0.001}


# ---------------------------------------------------------------- 3. a dripping Prometheus


def dry_plan(tmp_path: Path, address: str, no_data_limit: int = 6) -> Path:
    gates = gate("error_rate", "errors {{version}}", warnAbove=0.01, failAbove=0.05) + gate(
        "latency_p99", "latency {{version}}", failAbove=2.0
    )
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(address, gates=gates, no_data_limit=no_data_limit))
    return path


def promotes_through_a_drip(p, drip: DripServer, marker: str, evaluations: int) -> None:
    """Drip the answers of the queries holding ``marker`` from evaluation 1 to 3, then let the release
    end: each dripped gate is nodata with the deadline as reason, the other queries never starve, the
    evaluations stay on the 1 s grid, the release promotes and the process exits within a second of
    the result, every dripped answer cut at its deadline (2 queries x 3 evaluations)."""
    first = p.until(lambda line: line.data["type"] == "evaluation")
    drip.drip = (marker,)
    dripped = [p.until(lambda line: line.data["type"] == "evaluation") for _ in range(3)]
    drip.drip = ()
    result = p.until(lambda line: line.data["type"] == "result", timeout=30)
    ended = exit_time(p.proc)
    assert p.proc.returncode == 0, p.stderr
    assert result.data["outcome"] == "Promoted"
    for line in dripped:
        gates = line.data["gates"]
        assert gates["latency_p99"]["status"] == "nodata" and gates["latency_p99"]["reason"] == DEADLINE, gates
        assert gates["error_rate"]["status"] == "pass", gates
    seen = [x for x in p.seen if x.data["type"] == "evaluation"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(seen)]
    assert max(gaps) < 1.5, gaps  # no evaluation waited on a stuck query
    assert seen[0] is first and len(seen) >= evaluations
    assert ended - result.at < 1.0, ended - result.at  # never waits on a hung socket at exit
    assert drip.cut >= 6


def test_a_dripping_prometheus_gives_nodata_on_time_and_a_healthy_release_still_promotes(
    tmp_path: Path, drip: DripServer, spawn
):
    p = spawn("run", dry_plan(tmp_path, drip.url), "--dry-run", "--headless", "--json")
    promotes_through_a_drip(p, drip, "latency", evaluations=6)


def test_a_dripping_prometheus_during_a_live_run_gives_nodata_on_time_and_the_release_still_promotes(
    fake, kenv, write_plan, drip: DripServer, spawn
):
    """The same against the cluster (the fake API server): the weights move on the evaluations' grid."""
    plan = live_plan(write_plan, metrics=prom(drip.url), durations=("3s", "2s", "2s"))
    p = spawn("run", plan, "--headless", "--json", env=kenv)
    promotes_through_a_drip(p, drip, "histogram_quantile", evaluations=7)
    assert vs_weight_writes(fake) == [5, 25, 50, 100]


@pytest.mark.parametrize("what", ["vector(1)", "histogram_quantile"], ids=["prometheus", "a-gate"])
def test_a_drip_during_the_start_check_stops_the_run_within_a_couple_of_seconds(
    fake, kenv, write_plan, drip: DripServer, what: str
):
    """Before the first write: the start check's queries are on the deadline too (the issue saw 30 s)."""
    drip.drip = (what,)
    plan = live_plan(write_plan, metrics=prom(drip.url))
    row = (
        f"FAIL prometheus: {drip.url} did not answer vector(1): {DEADLINE}"
        if what == "vector(1)"
        else f"FAIL gate latency_p99: stable v1 and canary v2: {DEADLINE}"
    )
    for args in (["run", str(plan), "--headless", "--json"], ["run", str(plan), "--dry-run", "--headless"]):
        started = time.monotonic()
        rc, out, err = run_cli(args, kenv)
        took = time.monotonic() - started
        assert rc == 2 and out == "", err
        assert row in err and "Traceback" not in err, err
        assert took < 8, took  # the process' start (about 1-2 s here) and one deadline, not 30 s
    assert fake.writes(ok=False) == []
    started = time.monotonic()
    rc, out, _ = run_cli(["check", str(plan)], kenv)
    assert rc == 2 and row in out and time.monotonic() - started < 8


def test_sigterm_during_a_drip_ends_within_a_second_of_the_result(tmp_path: Path, drip: DripServer, spawn):
    p = spawn("run", dry_plan(tmp_path, drip.url), "--dry-run", "--headless", "--json")
    p.until(lambda line: line.data["type"] == "evaluation")  # evaluation 0: the start check passed before
    drip.drip = ("latency", "errors")  # now every query hangs
    p.until(lambda line: line.data["type"] == "evaluation")
    time.sleep(0.3)  # mid-way through the next evaluation's stuck queries
    os.kill(p.proc.pid, signal.SIGTERM)
    result = p.until(lambda line: line.data["type"] == "result", timeout=10)
    ended = exit_time(p.proc)
    assert result.data["outcome"] == "Incomplete" and p.proc.returncode == 3
    assert ended - result.at < 1.0, ended - result.at


# ---------------------------------------------------------------- 4. mid-release loss of metrics is loud


def test_prometheus_going_down_mid_release_is_said_at_once_with_the_time_left(
    tmp_path: Path, drip: DripServer, spawn, state_home: Path
):
    log = tmp_path / "audit.jsonl"
    p = spawn("run", dry_plan(tmp_path, drip.url, no_data_limit=3), "--dry-run", "--headless", "--json", "--log", log)
    p.until(lambda line: line.data["type"] == "evaluation")
    drip.go_down()
    first = p.until(lambda line: line.data["type"] == "evaluation")
    assert {g["status"] for g in first.data["gates"].values()} == {"nodata"}
    notice = p.next()
    assert notice is not None and notice.data["type"] == "error", notice
    assert notice.data["message"] == (
        "metrics unavailable: connection refused (all 2 query gates nodata, 1/3); rollback in 2s if it persists"
    )
    second = p.until(lambda line: line.data["type"] == "error")
    assert "(all 2 query gates nodata, 2/3); rollback in 1s if it persists" in second.data["message"]
    result = p.until(lambda line: line.data["type"] == "result")
    assert result.data["outcome"] == "RolledBack"
    assert p.proc.wait(10) == 1
    audit = log.read_text()
    assert "metrics unavailable: connection refused (all 2 query gates nodata, 1/3)" in audit


# ---------------------------------------------------------------- 5. refused operator actions say so


def test_an_action_the_rule_refuses_is_refused_by_the_cli_verb_with_the_reason(fake, kenv, write_plan):
    plan = write_plan("istio", fail=True, durations=("60s", "60s", "60s"))
    plan.write_text(plan.read_text().replace("failureLimit: 2", "failureLimit: 1000"))  # failing, never rolled back
    driver = start(["run", str(plan), "--headless", "--json"], kenv)
    try:
        wait_for(lambda: (stored_doc(fake) or {}).get("state", {}).get("evaluations", 0) >= 1, what="evaluation 0")
        rc, out, err = run_cli(["promote", str(plan)], kenv)
        assert rc == 2 and out == "", err
        assert "canary-tui: error: promote refused for checkout: the previous evaluation had a failing gate: " in err
        assert "error_rate 0.0010 > 0.0001" in err and "(nothing queued)" in err
        rc, out, err = run_cli(["resume", str(plan)], kenv)
        assert rc == 2 and "resume refused for checkout: not held (nothing queued)" in err
        assert run_cli(["hold", str(plan)], kenv)[0] == 0
        rc, out, err = run_cli(["hold", str(plan)], kenv)  # the first is still queued: judged after it
        assert rc == 2 and "hold refused for checkout: already held by " in err
        driver.send_signal(signal.SIGTERM)
        rc, out, err = finish(driver)
    finally:
        if driver.poll() is None:
            driver.kill()
    actions = [(e["action"], e["accepted"]) for e in lines(out) if e["type"] == "action"]
    assert actions == [("hold", True)]  # nothing refused was ever queued
    assert vs_weights(fake) == (95, 5)
