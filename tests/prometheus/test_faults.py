"""Every way a query can go wrong is ``nodata`` with its reason, never a pass; a dead Prometheus is quick."""

from __future__ import annotations

import math
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from fakeprom import FakePrometheus
from promhelp import gate, plan_text
from promserver import PrometheusServer, free_port

from canary_tui.core.gates import Status, judge
from canary_tui.core.planfile import load_plan
from canary_tui.prometheus.source import PrometheusMetrics

pytestmark = pytest.mark.prometheus

# query text -> what the gate must say (a fragment of the reason)
FAULTS = {
    "html502": "HTTP 502 Bad Gateway: 502 Bad Gateway nginx",
    "html200": "not a Prometheus answer (HTML, HTTP 200): Sign in Login required",
    "hang": "deadline 0.4s exceeded",
    "truncated_json": "malformed JSON (truncated?)",
    "cut_off": "answer cut off (truncated)",
    "error200": "Prometheus execution: query processing would load too many samples",
    "error422": "HTTP 422 Prometheus execution: many-to-many matching not allowed",
    "several": "query returned 3 series; aggregate it",
    "empty": "empty result",
    "nan": "NaN",
    "matrix": "range vector result",
}


def fault_plan(tmp_path: Path, address: str, names: list[str], **kw: object) -> Path:
    gates = "".join(gate(n, f"{n} {{{{version}}}}", failAbove=0.5) for n in names)
    path = tmp_path / "faults.yaml"
    path.write_text(plan_text(address, gates=gates, **kw))  # type: ignore[arg-type]
    return path


def read_once(plan_path: Path) -> tuple[dict, float]:  # type: ignore[type-arg]
    plan = load_plan(plan_path)
    source = PrometheusMetrics.from_plan(plan)
    try:
        started = time.monotonic()
        readings = source.read(plan, 0, datetime_now())
        return dict(readings), time.monotonic() - started
    finally:
        source.close()


def datetime_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_each_fault_is_nodata_with_its_reason(tmp_path: Path, fake: FakePrometheus) -> None:
    plan_path = fault_plan(tmp_path, fake.url, list(FAULTS))
    plan = load_plan(plan_path)
    readings, took = read_once(plan_path)
    # all 22 queries ran at once: the hanging ones cost one timeout, not one each
    # one deadline (0.4 s) and slack; the two hanging queries one after the other would be 0.8 s
    assert took < 0.4 + 0.3, took
    for name, fragment in FAULTS.items():
        r = readings[name]
        assert r.canary is None, (name, r)
        assert r.error is not None and fragment in r.error, (name, r.error)
        status, reason = judge(name, plan.thresholds(0)[name], r)
        assert status is Status.NODATA, (name, status)
        assert fragment in reason


def test_retries_are_bounded_and_quick(tmp_path: Path, fake: FakePrometheus) -> None:
    """A 502 is tried twice (one retry), not the library's default of 3 tries with back-off."""
    _, took = read_once(fault_plan(tmp_path, fake.url, ["html502"]))
    tries = [q for path, q, _ in fake.requests if path == "/api/v1/query" and q["query"][0] == "html502 v2"]
    assert len(tries) == 2
    assert took < 1.5  # the library's default retries would take about 6 s


def test_infinity_is_a_number_and_fails(tmp_path: Path, fake: FakePrometheus) -> None:
    plan_path = fault_plan(tmp_path, fake.url, ["inf"])
    readings, _ = read_once(plan_path)
    r = readings["inf"]
    assert r.canary == math.inf and r.error is None
    status, reason = judge("inf", load_plan(plan_path).thresholds(0)["inf"], r)
    assert status is Status.FAIL and "+Inf" in reason


def test_scalar_answers_are_values(tmp_path: Path, fake: FakePrometheus) -> None:
    readings, _ = read_once(fault_plan(tmp_path, fake.url, ["scalar"]))
    assert readings["scalar"].canary == 0.5


def test_warnings_are_carried_and_sanitized(tmp_path: Path, fake: FakePrometheus) -> None:
    readings, _ = read_once(fault_plan(tmp_path, fake.url, ["warned"]))
    r = readings["warned"]
    assert r.canary == 0.001
    assert r.warnings == ("remote read \\x1b[31mfailed\\x1b[0m for store-2: partial data",)  # shown, not obeyed


def test_error_text_is_sanitized(tmp_path: Path, fake: FakePrometheus) -> None:
    readings, _ = read_once(fault_plan(tmp_path, fake.url, ["control"]))
    reason = readings["control"].error
    assert reason is not None and reason.startswith("Prometheus bad_data: parse error near")
    assert "\x1b" not in reason and "\x07" not in reason and "\\x1b]0;pwned\\x07" in reason  # shown, not obeyed


def test_stable_failure_matters_only_for_relative_gates(tmp_path: Path, fake: FakePrometheus) -> None:
    fake.aliases = {"value:0.2 v1": "empty", "value:0.3 v1": "html502"}
    gates = gate("plain", "value:0.2 {{version}}", failAbove=1) + gate(
        "relative", "value:0.3 {{version}}", maxRatioToStable=1.5
    )
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(fake.url, gates=gates))
    plan = load_plan(path)
    readings, _ = read_once(path)
    plain, relative = readings["plain"], readings["relative"]
    assert plain.canary == 0.2 and plain.stable is None and plain.stable_error == "empty result"
    assert judge("plain", plan.thresholds(0)["plain"], plain)[0] is Status.PASS
    assert relative.canary == 0.3 and relative.stable_error is not None and "HTTP 502" in relative.stable_error
    status, reason = judge("relative", plan.thresholds(0)["relative"], relative)
    assert status is Status.NODATA and reason.startswith("stable: HTTP 502")


def test_refused_connection_is_quick(tmp_path: Path) -> None:
    names = [f"g{i}" for i in range(8)]
    readings, took = read_once(fault_plan(tmp_path, f"http://127.0.0.1:{free_port()}", names))
    assert took < 1.5, took  # the library's default retries would take about 6 s
    assert all(r.error == "connection refused" and r.stable_error == "connection refused" for r in readings.values())


def test_a_frozen_prometheus_times_out_within_the_interval(tmp_path: Path) -> None:
    """SIGSTOP: the real server accepts connections but never answers; each read is cut at the timeout."""
    server = PrometheusServer(tmp_path / "frozen").start()
    try:
        plan_path = fault_plan(tmp_path, server.url, [])
        plan_path.write_text(
            plan_text(
                server.url,
                gates=gate("one", "vector(0.01)", failAbove=0.5) + gate("two", "vector(0.02)", failAbove=0.5),
            )
        )
        readings, _ = read_once(plan_path)
        assert readings["one"].canary == 0.01 and readings["two"].canary == 0.02
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            readings, took = read_once(plan_path)
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert took < 2 * 0.4, took  # the four frozen queries at once cost one timeout, not four
        assert all(r.canary is None and r.error == "deadline 0.4s exceeded" for r in readings.values()), readings
        readings, _ = read_once(plan_path)
        assert readings["one"].canary == 0.01
    finally:
        server.stop()


def test_dry_run_over_faults_rolls_back_on_nodata_never_passes(tmp_path: Path, fake: FakePrometheus, spawn) -> None:  # type: ignore[no-untyped-def]
    # every gate answers at the start check and evaluation 0, then each fails its own way
    fake.aliases.update({f"{n} {v}": "value:0.001" for n in FAULTS for v in ("v1", "v2")})
    plan = fault_plan(tmp_path, fake.url, list(FAULTS), no_data_limit=3)
    p = spawn("run", plan, "--dry-run", "--headless", "--json")
    first = p.until(lambda line: line.data["type"] == "evaluation")
    assert {g["status"] for g in first.data["gates"].values()} == {"pass"}
    fake.aliases.clear()
    assert p.finish(60) == 1, p.stderr
    lines = [x.data for x in p.seen]
    evaluations = [e for e in lines if e["type"] == "evaluation"][1:]
    assert len(evaluations) == 3
    for e in evaluations:
        for name, fragment in FAULTS.items():
            g = e["gates"][name]
            assert g["status"] == "nodata" and fragment in g["reason"], (name, g)
    assert lines[-1]["type"] == "result" and lines[-1]["outcome"] == "RolledBack"
    assert "no data for 3 consecutive evaluations" in lines[-1]["reason"]


def test_dry_run_refuses_to_start_when_prometheus_is_down(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    plan = fault_plan(tmp_path, f"http://127.0.0.1:{port}", ["x"])
    r = cli("run", plan, "--dry-run", "--headless", timeout=30)
    assert r.rc == 2
    assert r.out == ""
    assert "Traceback" not in r.err
    assert r.err.count("\n") == 2, r.err  # the start check failed, and its one failed row
    assert "the start check failed: the dry run writes nothing until it passes" in r.err
    assert f"FAIL prometheus: http://127.0.0.1:{port} did not answer vector(1): connection refused" in r.err


def test_unused_port_is_really_closed() -> None:
    """The refused-connection tests rely on a free port refusing connections."""
    port = free_port()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_a_dry_run_shows_each_warning_once(tmp_path: Path, fake: FakePrometheus, cli) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text(fake.url, gates=gate("warned", "warned {{version}}", failAbove=1)))
    r = cli("run", plan, "--dry-run", "--headless", "--json")
    assert r.rc == 0, r.err
    warning = "warning: Prometheus: warned: remote read \\x1b[31mfailed\\x1b[0m for store-2: partial data"
    assert r.err.count(warning) == 1, r.err
    assert all(line.startswith("{") for line in r.out.splitlines())  # stdout stays JSON Lines
