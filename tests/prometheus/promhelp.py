"""Helpers and fixtures of the Prometheus tests (conftest.py re-exports the fixtures): a real
Prometheus scraping a simulated Istio service, a fake one for faults, plans written for them, and a
dry run as a real process whose lines are timed."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakeprom import FakePrometheus
from istio_exporter import Exporter, IstioService
from promserver import PROMETHEUS, PROMTOOL, PrometheusServer

ROOT = Path(__file__).resolve().parents[2]
EOF = "\0EOF"

ISTIO = (
    'reporter="destination",destination_workload_namespace="{{namespace}}",'
    'destination_service_name="{{service}}",destination_version="{{version}}"'
)
ERROR_RATE = (
    f'(sum(rate(istio_requests_total{{{ISTIO},response_code=~"5.."}}[5s])) or vector(0))'
    f" / sum(rate(istio_requests_total{{{ISTIO}}}[5s]))"
)
LATENCY_P99 = (
    f"histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{ISTIO}}}[5s]))) / 1000"
)


PHASES = (
    "[{name: canary, weight: 5, duration: 3s}, {name: expansion, weight: 50, duration: 2s},"
    " {name: full, weight: 100, duration: 0s}]"
)


def gate(name: str, query: str, **levels: float) -> str:
    """One gate of a plan, as YAML text."""
    extra = "".join(f"\n      {k}: {v}" for k, v in levels.items())
    return f"    - name: {name}\n      query: {json.dumps(query)}{extra}\n"


def plan_text(
    address: str,
    *,
    gates: str | None = None,
    interval: str = "1s",
    failure_limit: int = 2,
    no_data_limit: int = 4,
    phases: str = PHASES,
    metrics_extra: str = "",
    name: str = "checkout",
    service: str = "checkout",
    router: str = "{router: istio, virtualService: checkout}",
) -> str:
    """A plan for a simulated Istio service in ``shop`` (v1 stable, v2 canary)."""
    if gates is None:
        gates = gate("error_rate", ERROR_RATE, warnAbove=0.01, failAbove=0.05) + gate(
            "latency_p99", LATENCY_P99, failAbove=2.0, maxRatioToStable=1.5
        )
    return (
        "apiVersion: canary-tui/v1alpha1\nkind: CanaryPlan\n"
        f"metadata: {{name: {name}, namespace: shop}}\n"
        "spec:\n"
        f"  service: {service}\n"
        "  stable: {version: v1, deployment: checkout-v1, subset: v1-stable}\n"
        "  canary: {version: v2, deployment: checkout-v2, subset: v2-canary}\n"
        f"  traffic: {router}\n"
        f"  metrics:\n    provider: prometheus\n    address: {address}\n{metrics_extra}"
        f"  interval: {interval}\n  failureLimit: {failure_limit}\n  noDataLimit: {no_data_limit}\n"
        f"  minHealthScore: 80\n  phases: {phases}\n"
        f"  gates:\n{gates}"
    )


@pytest.fixture(scope="session", autouse=True)
def _prometheus_installed() -> None:
    """These tests need Debian's prometheus and promtool: fail (never skip) when they are missing."""
    missing = [p for p in (PROMETHEUS, PROMTOOL) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"missing {', '.join(missing)}: run scripts/system-deps (apt-get install prometheus)", pytrace=False
        )


@pytest.fixture(scope="session")
def exporter() -> Iterator[Exporter]:
    """One /metrics for every simulated service of the session."""
    e = Exporter()
    yield e
    e.stop()


@pytest.fixture(scope="session")
def shared_prom(tmp_path_factory: pytest.TempPathFactory, exporter: Exporter) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping the exporter every second, shared by the tests that never stop it."""
    server = PrometheusServer(tmp_path_factory.mktemp("prom"), [exporter.address]).start()
    try:
        server.wait_for("up == 1", timeout=30)
        yield server
    finally:
        server.stop()


_names = itertools.count(1)


def new_service(exporter: Exporter, prom: PrometheusServer, **initial: float) -> IstioService:
    """A simulated service of its own (``checkout-N`` in ``shop``), scraped a few times already."""
    service = IstioService(service=f"checkout-{next(_names)}")
    for version in service.versions:
        if initial:
            service.set(version, at=service.start, **initial)
    exporter.add(service)
    selector = f'destination_service_name="{service.service}",destination_version="v2"'
    prom.wait_for(f"count_over_time(istio_requests_total{{{selector}}}[10s]) >= 3")
    return service


@pytest.fixture
def istio(exporter: Exporter, shared_prom: PrometheusServer) -> Iterator[IstioService]:
    """A fresh simulated service, already in the shared Prometheus."""
    service = new_service(exporter, shared_prom)
    yield service
    exporter.remove(service)


@pytest.fixture
def prom(shared_prom: PrometheusServer) -> PrometheusServer:
    return shared_prom


@pytest.fixture
def own_prom(tmp_path: Path, exporter: Exporter) -> Iterator[PrometheusServer]:
    """A Prometheus of this test's own (to stop, hang or restart), scraping the shared exporter."""
    server = PrometheusServer(tmp_path / "own-prom", [exporter.address]).start()
    try:
        server.wait_for("up == 1", timeout=30)
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake() -> Iterator[FakePrometheus]:
    with FakePrometheus() as f:
        yield f


@dataclass
class Line:
    at: float  # time.monotonic() when the line arrived
    text: str

    @property
    def data(self) -> dict:  # type: ignore[type-arg]
        return dict(json.loads(self.text))


@dataclass
class Process:
    """A ``canary-tui`` process whose stdout lines are collected with their arrival times."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[Line] = field(default_factory=queue.Queue)
    seen: list[Line] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def next(self, timeout: float = 30.0) -> Line | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output for {timeout}s; so far: {[x.text for x in self.seen][-5:]}") from None
        if line.text == EOF:
            return None
        self.seen.append(line)
        return line

    def until(self, predicate, timeout: float = 60.0) -> Line:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"ended before the line was seen; last: {[x.text for x in self.seen][-5:]}")
            if predicate(line):
                return line

    def finish(self, timeout: float = 120.0) -> int:
        while self.next(timeout) is not None:
            pass
        return self.proc.wait(timeout)

    @property
    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


@pytest.fixture
def spawn(state_home: Path) -> Iterator:  # type: ignore[type-arg]
    """Start ``canary-tui ARGS``; every process is ended at the test's end."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: object, env: dict[str, str] | None = None) -> Process:
        full_env = {**os.environ, "XDG_STATE_HOME": str(state_home), "NO_COLOR": "1", **(env or {})}
        proc = subprocess.Popen(
            [sys.executable, "-m", "canary_tui", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=full_env,
            cwd=ROOT,
        )
        started.append(proc)
        p = Process(proc)

        def pump() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                p.lines.put(Line(time.monotonic(), raw.rstrip("\n")))
            p.lines.put(Line(time.monotonic(), EOF))

        threading.Thread(target=pump, daemon=True).start()
        return p

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
