"""``record`` over a backfilled history (promtool), replayed with ``replay --check``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from istio_exporter import IstioService
from promhelp import ERROR_RATE, LATENCY_P99, gate, plan_text
from promserver import PrometheusServer, backfill

from canary_tui.core.durations import format_time
from canary_tui.core.fixture import load_fixture

pytestmark = pytest.mark.prometheus

SCRAPE = 5.0  # the backfilled history has a sample every 5 s
WINDOW = "1m"
INTERVAL = 30


def q(query: str) -> str:
    return query.replace("[5s]", f"[{WINDOW}]")


class History:
    """An hour ago: 10 minutes of a service whose proxies are not scraped for 90 s from +2m and whose
    canary answers 30% 5xx from +5m on."""

    def __init__(self) -> None:
        now = int(time.time())
        self.t0 = float(now - now % 60 - 3600)
        self.gap = (self.t0 + 120, self.t0 + 210)
        self.spike = self.t0 + 300
        self.service = IstioService(service="history")
        self.service.begin(self.t0)
        self.service.set("v2", error_ratio=0.3, at=self.spike)
        self.service.set("v1", latency_ms=60, at=self.t0 + 400)

    def at(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(self.t0 + seconds, UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[History, PrometheusServer]]:
    h = History()
    work = tmp_path_factory.mktemp("backfill")
    text = h.service.openmetrics(h.t0, h.t0 + 600, SCRAPE, gaps=(h.gap,))
    backfill(text, work / "data", work)
    server = PrometheusServer(work / "prom", data_dir=work / "data").start()
    try:
        server.wait_for('count_over_time(istio_requests_total{destination_service_name="history"}[2h])', timeout=30)
        yield h, server
    finally:
        server.stop()


def write_plan(tmp_path: Path, server: PrometheusServer, *, pod_gate: bool = True) -> Path:
    gates = gate("error_rate", q(ERROR_RATE), warnAbove=0.01, failAbove=0.05) + gate(
        "latency_p99", q(LATENCY_P99), failAbove=2.0, maxRatioToStable=1.5
    )
    phases = "[{name: canary, weight: 5, duration: 20m}, {name: full, weight: 100, duration: 0s}]"
    if pod_gate:
        gates += "    - {name: canary_restarts, source: pods, signal: restarts, failAbove: 0}\n"
        phases = phases.replace("20m}", "20m, gates: {canary_restarts: {failAbove: 1}}}")
    text = plan_text(
        server.url, gates=gates, service="history", interval=f"{INTERVAL}s", no_data_limit=3, phases=phases
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


def with_expect(path: Path, out: Path, expect: dict) -> Path:  # type: ignore[type-arg]
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    data["expect"] = expect
    out.write_text(json.dumps(data) if out.suffix == ".json" else yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_record_then_replay_reproduces_the_rollback(tmp_path: Path, history, cli, suffix: str) -> None:  # type: ignore[no-untyped-def]
    h, server = history
    plan = write_plan(tmp_path, server)
    start, end = h.at(60), h.at(540)
    out = tmp_path / f"recorded{suffix}"
    r = cli("record", plan, "--from", format_time(start), "--to", format_time(end), "-o", out)
    assert r.rc == 0, r.err
    assert "pod gates left out of the recorded plan (Prometheus has no pod snapshots): canary_restarts" in r.err
    assert f"17 samples each from {format_time(start)} to {format_time(end)} every 30s" in r.out

    fixture = load_fixture(out)
    assert fixture.start == start and fixture.step == timedelta(seconds=INTERVAL)
    assert [g.name for g in fixture.plan.gates] == ["error_rate", "latency_p99"]
    rate = fixture.series["error_rate"]
    # samples at +1m, +1m30s, ...: the 90 s scrape gap from +2m leaves no two samples in the 1m window
    # at +3m and +3m30s (index 4 and 5); the spike at +5m is index 8, failing from index 9 on
    assert rate.canary[4] is None and rate.canary[5] is None
    assert all(v == 0 for i, v in enumerate(rate.canary[:8]) if i not in (4, 5))
    assert rate.canary[9] is not None and rate.canary[9] > 0.05
    assert rate.stable is not None and rate.stable[4:6] == [None, None]  # the gap took both versions' scrapes
    assert all(v == 0 for i, v in enumerate(rate.stable) if i not in (4, 5))
    p99 = fixture.series["latency_p99"]
    assert p99.stable is not None and p99.stable[0] is not None and 0.1 < p99.stable[0] < 0.25

    checked = with_expect(out, tmp_path / f"expect{suffix}", {"outcome": "RolledBack", "phase": "canary", "at": "5m"})
    r = cli("replay", checked, "--headless", "--check", "--json")
    assert r.rc == 0, r.out + r.err
    assert "check ok" in r.err
    lines = [json.loads(x) for x in r.out.splitlines()]
    nodata = [
        e["gates"]["error_rate"]["reason"]
        for e in lines
        if e["type"] == "evaluation" and e["gates"]["error_rate"]["status"] == "nodata"
    ]
    assert nodata == ["empty result", "empty result"]
    assert "error_rate" in lines[-1]["reason"] and "2 consecutive" in lines[-1]["reason"]


def test_recorded_samples_are_the_instant_values_at_each_evaluation(tmp_path: Path, history, cli) -> None:  # type: ignore[no-untyped-def]
    """A range query's sample i is what an instant query at start + i*step answers: what a live run read."""
    h, server = history
    plan = write_plan(tmp_path, server, pod_gate=False)
    out = tmp_path / "r.json"
    r = cli("record", plan, "--from", format_time(h.at(270)), "--to", format_time(h.at(420)), "-o", out)
    assert r.rc == 0, r.err
    fixture = load_fixture(out)
    promql = ERROR_RATE.replace("[5s]", f"[{WINDOW}]")
    for name, side, version in (("shop", "canary", "v2"), ("shop", "stable", "v1")):
        rendered = (
            promql.replace("{{namespace}}", name).replace("{{service}}", "history").replace("{{version}}", version)
        )
        for i, value in enumerate(getattr(fixture.series["error_rate"], side)):
            answer = server.query(rendered, at=h.t0 + 270 + i * INTERVAL)
            want = float(answer[0]["value"][1]) if answer else None
            assert value == want or (value is None and want is not None and math.isnan(want)), (side, i, value, want)


def test_record_writes_gaps_as_null_and_several_series_as_null(tmp_path: Path, history, cli) -> None:  # type: ignore[no-untyped-def]
    h, server = history
    per_code = (
        "sum by (response_code) (rate(istio_requests_total"
        '{destination_service_name="{{service}}",destination_version="{{version}}",reporter="destination"}[1m]))'
    )
    gates = gate("per_code", per_code, failAbove=1000)
    path = tmp_path / "plan.yaml"
    phases = "[{name: canary, weight: 5, duration: 20m}, {name: full, weight: 100, duration: 0s}]"
    path.write_text(plan_text(server.url, gates=gates, service="history", interval="30s", phases=phases))
    out = tmp_path / "r.yaml"
    r = cli("record", path, "--from", format_time(h.at(240)), "--to", format_time(h.at(360)), "-o", out)
    assert r.rc == 0, r.err
    canary = yaml.safe_load(out.read_text())["series"]["per_code"]["canary"]
    # one series (200) until the first 5xx just after +5m, then two: a live read there says "several series"
    assert [v is None for v in canary] == [False, False, False, True, True]
    assert "gate per_code, canary: 2 samples had several series (recorded as null): aggregate the query" in r.err


def test_record_refuses_bad_windows_and_unreachable_prometheus(tmp_path: Path, history, cli) -> None:  # type: ignore[no-untyped-def]
    h, server = history
    plan = write_plan(tmp_path, server)
    r = cli("record", plan, "--from", format_time(h.at(100)), "--to", format_time(h.at(50)), "-o", tmp_path / "x.yaml")
    assert r.rc == 2 and "--to" in r.err and "must be after --from" in r.err
    r = cli("record", plan, "--from", "yesterday", "--to", "now", "-o", tmp_path / "x.yaml")
    assert r.rc == 2 and "--from: bad time 'yesterday'" in r.err
    r = cli("record", plan, "--from", "now-1h", "--to", "now", "-o", tmp_path / "x.txt")
    assert r.rc == 2 and "-o wants a .json, .yaml or .yml file name" in r.err
    down = tmp_path / "down.yaml"
    down.write_text(plan.read_text().replace(server.url, "http://127.0.0.1:9"))
    r = cli("record", down, "--from", "now-1h", "--to", "now", "-o", tmp_path / "x.yaml")
    assert r.rc == 2 and "did not answer vector(1): connection refused" in r.err
    assert not (tmp_path / "x.yaml").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(plan_text(server.url, gates=gate("broken", "sum(rate(x[1m])", failAbove=1), service="history"))
    r = cli("record", bad, "--from", "now-1h", "--to", "now", "-o", tmp_path / "x.yaml")
    assert (
        r.rc == 2 and "gate broken, canary version: HTTP 400 Prometheus bad_data" in r.err and "Traceback" not in r.err
    )


def test_long_recordings_are_fetched_in_chunks_without_a_seam(tmp_path: Path, history, cli) -> None:  # type: ignore[no-untyped-def]
    """Prometheus refuses more than 11,000 points per range query: 10,801 samples take two queries."""
    h, server = history
    plan = write_plan(tmp_path, server, pod_gate=False)
    out = tmp_path / "fine.json"
    r = cli(
        "record", plan, "--from", format_time(h.at(60)), "--to", format_time(h.at(600)), "--step", "50ms", "-o", out
    )
    assert r.rc == 0, r.err
    assert "10801 samples each" in r.out
    assert "is not a multiple" not in r.err  # 30s is a multiple of 50ms: a replay reads every 600th sample
    canary = json.loads(out.read_text())["series"]["error_rate"]["canary"]
    assert len(canary) == 10801
    rendered = (
        q(ERROR_RATE).replace("{{namespace}}", "shop").replace("{{service}}", "history").replace("{{version}}", "v2")
    )
    for i in (9999, 10000, 10001, 10800):  # both sides of the seam between the two range queries
        answer = server.query(rendered, at=h.t0 + 60 + i * 0.05)
        assert canary[i] == (float(answer[0]["value"][1]) if answer else None), i
