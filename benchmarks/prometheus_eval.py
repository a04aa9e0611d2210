#!/usr/bin/env python3
"""One evaluation of 8 gates (16 queries: canary and stable) against a real Prometheus, versus the
slowest of those queries run alone, measured in the same run.

Debian's prometheus on 127.0.0.1 serves 30 minutes of backfilled Istio telemetry (promtool; the
tests' simulated service, 10 services, 1,860 series, a sample every 5 s), so nothing scrapes while
we measure. With the adapter itself (``canary_tui.prometheus``) it times each of the 16 queries
alone, one after another, and whole evaluations (``PrometheusMetrics.read``), ROUNDS times each,
and compares medians: straight on loopback, then through a TCP proxy (another process) that holds
every packet DELAY each way, as the network between canary-tui and a cluster's Prometheus does.
Run by hand:
    .venv/bin/python benchmarks/prometheus_eval.py
"""

from __future__ import annotations

import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "prometheus")]

from istio_exporter import IstioService  # noqa: E402
from promserver import PrometheusServer, backfill  # noqa: E402

from canary_tui.core.planfile import parse_plan  # noqa: E402
from canary_tui.core.source import parse_text  # noqa: E402
from canary_tui.prometheus.source import PrometheusMetrics  # noqa: E402

ROUNDS = 40
DELAYS_MS = (5, 12.5, 25)  # added to every packet, each way: round trips of 10, 25 and 50 ms
SEL = (
    'reporter="destination",destination_workload_namespace="{{namespace}}",'
    'destination_service_name="{{service}}",destination_version="{{version}}"'
)
REQUESTS = f"sum(rate(istio_requests_total{{{SEL}}}[1m]))"
BUCKETS = f"sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{SEL}}}[1m]))"
GATES = {
    "error_rate": f'(sum(rate(istio_requests_total{{{SEL},response_code=~"5.."}}[1m])) or vector(0)) / {REQUESTS}',
    "latency_p99": f"histogram_quantile(0.99, {BUCKETS}) / 1000",
    "latency_p95": f"histogram_quantile(0.95, {BUCKETS}) / 1000",
    "latency_p90": f"histogram_quantile(0.90, {BUCKETS}) / 1000",
    "latency_p50": f"histogram_quantile(0.50, {BUCKETS}) / 1000",
    "latency_mean": (
        f"sum(rate(istio_request_duration_milliseconds_sum{{{SEL}}}[1m]))"
        f" / sum(rate(istio_request_duration_milliseconds_count{{{SEL}}}[1m])) / 1000"
    ),
    "request_rate": REQUESTS,
    "success_ratio": f'sum(rate(istio_requests_total{{{SEL},response_code!~"5.."}}[1m])) / {REQUESTS}',
}


def plan_for(address: str, service: str):  # type: ignore[no-untyped-def]
    gates = "".join(f"    - name: {n}\n      query: '{q}'\n      failAbove: 1000000\n" for n, q in GATES.items())
    text = (
        "apiVersion: canary-tui/v1alpha1\nkind: CanaryPlan\nmetadata: {name: bench, namespace: shop}\nspec:\n"
        f"  service: {service}\n  stable: {{version: v1}}\n  canary: {{version: v2}}\n"
        f"  metrics: {{provider: prometheus, address: '{address}'}}\n  interval: 5m\n"
        "  phases: [{name: full, weight: 100, duration: 0s}]\n"
        f"  gates:\n{gates}"
    )
    return parse_plan(parse_text(text, "bench.yaml"))


class DelayProxy:
    """127.0.0.1:port -> upstream; every piece of data is delivered DELAY after it arrived, in order,
    without holding up what follows it (a one-way network delay, not a slow relay)."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.delay = delay
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            for s in (client, upstream):  # forward each piece as it comes (no Nagle on top of the delay)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for a, b in ((client, upstream), (upstream, client)):
                line: queue.Queue[tuple[float, bytes]] = queue.Queue()
                threading.Thread(target=self._read, args=(a, line), daemon=True).start()
                threading.Thread(target=self._write, args=(b, line), daemon=True).start()

    def _read(self, src: socket.socket, line: queue.Queue[tuple[float, bytes]]) -> None:
        try:
            while data := src.recv(65536):
                line.put((time.monotonic() + self.delay, data))
        except OSError:
            pass
        line.put((time.monotonic() + self.delay, b""))

    def _write(self, dst: socket.socket, line: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            due, data = line.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


def measure(label: str, address: str, service: str, at: datetime) -> dict[str, float]:
    plan = plan_for(address, service)
    source = PrometheusMetrics.from_plan(plan)
    queries = [plan.render_query(g, v) for g in plan.gates for v in (plan.canary.version, plan.stable.version)]
    for q in queries:  # warm up: connections, Prometheus' caches
        source.connection.instant(q, at)
    singles = []
    for q in queries:
        times = []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            source.connection.instant(q, at)
            times.append(time.perf_counter() - t)
        singles.append(statistics.median(times))
    evals = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        readings = source.read(plan, 0, at)
        evals.append(time.perf_counter() - t)
    source.close()
    bad = [n for n, r in readings.items() if r.canary is None or r.stable is None]
    assert not bad, f"no value for {bad}: {readings}"
    slowest = max(singles)
    ev = statistics.median(evals)
    p90 = statistics.quantiles(evals, n=10)[-1]
    print(
        f"| {label} | {min(singles) * 1000:.1f} | {slowest * 1000:.1f} | {sum(singles) * 1000:.0f} | "
        f"{ev * 1000:.1f} (p90 {p90 * 1000:.1f}) | **{ev / slowest:.2f}x** |",
        flush=True,
    )
    return {"slowest": slowest, "evaluation": ev, "ratio": ev / slowest}


def proxy_main(upstream: int, delay_ms: float) -> None:
    """``prometheus_eval.py --proxy UPSTREAM DELAY_MS``: print the port, then forward until killed."""
    proxy = DelayProxy(upstream, delay_ms / 1000)
    print(proxy.port, flush=True)
    threading.Event().wait()


def main() -> None:
    now = int(time.time())
    t0 = float(now - now % 60 - 3600)
    services = [IstioService(service=f"svc-{i}") for i in range(10)]
    history = []
    for s in services:
        s.begin(t0)
        history.append(s.openmetrics(t0, t0 + 1800, 5.0))
    at = datetime.fromtimestamp(t0 + 1500, UTC)
    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(h.removesuffix("# EOF\n") for h in history)
        families: dict[str, list[str]] = {}
        current = ""
        for line in text.splitlines():
            if line.startswith("# TYPE"):
                current = line
                families.setdefault(current, [])
            elif line:
                families[current].append(line)
        merged = "".join(f"{k}\n" + "\n".join(v) + "\n" for k, v in families.items()) + "# EOF\n"
        backfill(merged, Path(tmp) / "data", Path(tmp))
        server = PrometheusServer(Path(tmp) / "prom", data_dir=Path(tmp) / "data").start()
        try:
            series = server.query("count({__name__=~'istio_.*'})", at=at.timestamp())[0]["value"][1]
            print(
                f"prometheus 2.42 on 127.0.0.1, {series} Istio series; {len(GATES)} gates x 2 versions = 16 queries; "
                f"ms, medians of {ROUNDS}\n"
            )
            print(
                "| network | fastest query alone | slowest query alone | 16 one after another "
                "| one evaluation (16 at once) | evaluation / slowest |"
            )
            print("|---|---|---|---|---|---|")
            measure("loopback", server.url, services[0].service, at)
            for delay in DELAYS_MS:
                proxy = subprocess.Popen(
                    [sys.executable, __file__, "--proxy", str(server.port), str(delay)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                try:
                    assert proxy.stdout is not None
                    port = int(proxy.stdout.readline())
                    measure(
                        f"+{delay:g} ms each way (RTT {2 * delay:g} ms)",
                        f"http://127.0.0.1:{port}",
                        services[0].service,
                        at,
                    )
                finally:
                    proxy.terminate()
                    proxy.wait()
        finally:
            server.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--proxy"]:
        proxy_main(int(sys.argv[2]), float(sys.argv[3]))
    else:
        main()
