"""An Istio-instrumented service with v1 and v2, simulated: its telemetry is exact and can be changed live.

Each version has a request rate, a share of 5xx answers and a typical latency that hold from the
moment they are set. Counters are the exact integrals of those rates, so a test knows the values
Prometheus will compute. Served with prometheus_client for scraping, or written as OpenMetrics text
with timestamps for ``promtool tsdb create-blocks-from openmetrics``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

# Istio's default buckets for istio_request_duration_milliseconds
BUCKETS = (
    0.5,
    1,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
    30000,
    60000,
    300000,
    600000,
    1800000,
    3600000,
)
REQUEST_LABELS = (
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "destination_workload",
    "destination_workload_namespace",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_version",
    "request_protocol",
    "response_code",
    "response_flags",
    "connection_security_policy",
)


@dataclass(frozen=True)
class Setting:
    since: float
    rps: float
    error_ratio: float
    latency_ms: float


@dataclass
class Version:
    name: str
    settings: list[Setting] = field(default_factory=list)

    def totals(self, t: float) -> tuple[float, float, list[float], float]:
        """Requests, 5xx, cumulative bucket counts and the latency sum, from the first setting up to ``t``."""
        requests = errors = total_ms = 0.0
        buckets = [0.0] * len(BUCKETS)
        for i, s in enumerate(self.settings):
            end = self.settings[i + 1].since if i + 1 < len(self.settings) else t
            span = max(0.0, min(end, t) - s.since)
            n = s.rps * span
            requests += n
            errors += n * s.error_ratio
            total_ms += n * s.latency_ms
            for j, le in enumerate(BUCKETS):
                buckets[j] += n * share_below(le, s.latency_ms)
        return requests, errors, buckets, total_ms


def share_below(le: float, latency_ms: float) -> float:
    """Latencies are spread evenly over [0.5 L, 1.5 L]: the share at or below ``le``."""
    low, high = 0.5 * latency_ms, 1.5 * latency_ms
    if le <= low:
        return 0.0
    if le >= high:
        return 1.0
    return (le - low) / (high - low)


class IstioService:
    """The service ``service`` in ``namespace`` with versions v1 (stable) and v2 (canary)."""

    def __init__(
        self, namespace: str = "shop", service: str = "checkout", versions: tuple[str, ...] = ("v1", "v2")
    ) -> None:
        self.namespace = namespace
        self.service = service
        self.start = time.time()
        self.versions = {v: Version(v, [Setting(self.start, 100.0, 0.0, 80.0)]) for v in versions}
        self._lock = threading.Lock()

    def set(
        self,
        version: str,
        *,
        rps: float | None = None,
        error_ratio: float | None = None,
        latency_ms: float | None = None,
        at: float | None = None,
    ) -> float:
        """Change a version from ``at`` (default now) on; returns that time."""
        with self._lock:
            v = self.versions[version]
            last = v.settings[-1]
            t = time.time() if at is None else at
            v.settings.append(
                Setting(
                    t,
                    last.rps if rps is None else rps,
                    last.error_ratio if error_ratio is None else error_ratio,
                    last.latency_ms if latency_ms is None else latency_ms,
                )
            )
            v.settings.sort(key=lambda s: s.since)
        return t

    def begin(self, at: float) -> None:
        """Start the history at ``at`` (for backfills of the past)."""
        self.start = at
        for v in self.versions.values():
            first = v.settings[0]
            v.settings[0] = Setting(at, first.rps, first.error_ratio, first.latency_ms)

    # ------------------------------------------------------------------ samples

    def _labels(self, version: str, reporter: str, code: str) -> dict[str, str]:
        workload = f"{self.service}-{version}"
        return {
            "reporter": reporter,
            "source_workload": "frontend",
            "source_workload_namespace": self.namespace,
            "destination_workload": workload,
            "destination_workload_namespace": self.namespace,
            "destination_service": f"{self.service}.{self.namespace}.svc.cluster.local",
            "destination_service_name": self.service,
            "destination_service_namespace": self.namespace,
            "destination_version": version,
            "request_protocol": "http",
            "response_code": code,
            "response_flags": "-",
            "connection_security_policy": "mutual_tls" if reporter == "destination" else "unknown",
        }

    def samples(self, t: float) -> Iterator[tuple[str, dict[str, str], float]]:
        """Every sample at ``t``: (name, labels, value). Both reporters, as Istio does."""
        with self._lock:
            versions = list(self.versions.values())
        for v in versions:
            requests, errors, buckets, total_ms = v.totals(t)
            for reporter in ("destination", "source"):
                yield "istio_requests_total", self._labels(v.name, reporter, "200"), requests - errors
                if errors > 0:  # like Istio, a 5xx series exists only from the first 5xx on
                    yield "istio_requests_total", self._labels(v.name, reporter, "503"), errors
                base = self._labels(v.name, reporter, "200")
                for le, count in zip(BUCKETS, buckets, strict=True):
                    yield "istio_request_duration_milliseconds_bucket", {**base, "le": _le(le)}, count
                yield "istio_request_duration_milliseconds_bucket", {**base, "le": "+Inf"}, requests
                yield "istio_request_duration_milliseconds_count", base, requests
                yield "istio_request_duration_milliseconds_sum", base, total_ms

    def openmetrics(self, start: float, end: float, step: float, gaps: tuple[tuple[float, float], ...] = ()) -> str:
        """The history from ``start`` to ``end`` every ``step`` seconds, as OpenMetrics with timestamps.
        ``gaps``: [from, to) spans with no samples at all (failed scrapes)."""
        families: dict[str, list[str]] = {"istio_requests": [], "istio_request_duration_milliseconds": []}
        for i in range(int((end - start) / step + 1e-9) + 1):
            t = start + i * step
            if any(a <= t < b for a, b in gaps):
                continue
            for name, labels, value in self.samples(t):
                family = "istio_requests" if name == "istio_requests_total" else "istio_request_duration_milliseconds"
                text = ",".join(f'{k}="{v}"' for k, v in labels.items())
                families[family].append(f"{name}{{{text}}} {value!r} {t:.3f}")
        return (
            "\n".join(
                [
                    "# TYPE istio_requests counter",
                    *families["istio_requests"],
                    "# TYPE istio_request_duration_milliseconds histogram",
                    *families["istio_request_duration_milliseconds"],
                    "# EOF",
                ]
            )
            + "\n"
        )


class Exporter:
    """Serves the telemetry of any number of simulated services on one /metrics (127.0.0.1, free port)."""

    def __init__(self) -> None:
        self.services: list[IstioService] = []
        self._lock = threading.Lock()
        registry = CollectorRegistry()
        registry.register(self)  # type: ignore[arg-type]
        self._server, self._thread = start_http_server(0, addr="127.0.0.1", registry=registry)
        self.address = f"127.0.0.1:{self._server.server_port}"

    def add(self, service: IstioService) -> IstioService:
        with self._lock:
            self.services.append(service)
        return service

    def remove(self, service: IstioService) -> None:
        with self._lock:
            if service in self.services:
                self.services.remove(service)

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        """prometheus_client's collector protocol: every service's families as of now."""
        now = time.time()
        counter = CounterMetricFamily("istio_requests", "Requests seen by the Istio proxy.", labels=REQUEST_LABELS)
        hist = HistogramMetricFamily("istio_request_duration_milliseconds", "Request duration.", labels=REQUEST_LABELS)
        with self._lock:
            services = list(self.services)
        for service in services:
            buckets: dict[tuple[str, ...], list[tuple[str, float]]] = {}
            sums: dict[tuple[str, ...], float] = {}
            for name, labels, value in service.samples(now):
                if name == "istio_requests_total":
                    counter.add_metric([labels[k] for k in REQUEST_LABELS], value)
                    continue
                key = tuple(labels[k] for k in REQUEST_LABELS)
                if name.endswith("_bucket"):
                    buckets.setdefault(key, []).append((labels["le"], value))
                elif name.endswith("_sum"):
                    sums[key] = value
            for key, bs in buckets.items():
                hist.add_metric(list(key), buckets=bs, sum_value=sums.get(key, 0.0))
        yield counter
        yield hist

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _le(le: float) -> str:
    return f"{float(le)}"
