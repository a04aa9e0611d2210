"""``check PLAN`` against a real Prometheus: what each gate's query finds, and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeprom import FakePrometheus
from istio_exporter import IstioService
from promhelp import ERROR_RATE, LATENCY_P99, ROOT, gate, new_service, plan_text
from promserver import PrometheusServer, free_port

pytestmark = pytest.mark.prometheus
NO_CLUSTER = "{router: simulated}"  # so that check runs only the Prometheus checks


def rows(out: str) -> dict[str, str]:
    """``ok   gate x: detail`` lines by subject."""
    found = {}
    for line in out.splitlines():
        if line.startswith(("  ok   ", "  FAIL ")):
            subject, _, detail = line[7:].partition(": ")
            found[subject] = line[2:6].strip() + " " + detail
    return found


def test_check_shows_what_each_gate_finds(tmp_path: Path, prom: PrometheusServer, istio: IstioService, cli) -> None:  # type: ignore[no-untyped-def]
    gates = gate("error_rate", ERROR_RATE, failAbove=0.05) + gate("latency_p99", LATENCY_P99, failAbove=0.5)
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text(prom.url, gates=gates, service=istio.service, router=NO_CLUSTER))
    r = cli("check", plan)
    assert r.rc == 0, r.out + r.err
    found = rows(r.out)
    assert found["prometheus"].startswith(f"ok {prom.url} answers vector(1) in ")
    assert found["gate error_rate"] == "ok stable v1 = 0; canary v2 = 0"
    assert found["gate latency_p99"].startswith("ok stable v1 = ")
    assert "canary v2 = 0.2" in found["gate latency_p99"]


def test_check_names_each_problem_and_exits_2(tmp_path: Path, prom: PrometheusServer, istio: IstioService, cli) -> None:  # type: ignore[no-untyped-def]
    sel = 'destination_service_name="{{service}}",destination_version="{{version}}"'
    gates = (
        gate("error_rate", ERROR_RATE, failAbove=0.05)
        + gate("missing", f"sum(rate(no_such_metric{{{sel}}}[5s]))", failAbove=1)
        + gate("per_series", f"rate(istio_requests_total{{{sel}}}[5s])", failAbove=1000)
        + gate("broken", f"sum(rate(istio_requests_total{{{sel}}}[5s])", failAbove=1)
        + gate("not_yet", f'sum(rate(istio_requests_total{{{sel},destination_version!="v2"}}[5s]))', failAbove=1000)
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        plan_text(prom.url, gates=gates, service=istio.service, router=NO_CLUSTER)
        + "    - {name: restarts, source: pods, signal: restarts, failAbove: 0}\n"
    )
    r = cli("check", plan)
    assert r.rc == 2, r.out + r.err
    found = rows(r.out)
    assert found["gate error_rate"].startswith("ok")
    assert found["gate missing"].startswith("FAIL stable v1: empty result (the query must give exactly one value")
    assert found["gate per_series"] == (
        "FAIL stable v1 and canary v2: query returned 2 series; aggregate it (sum, max, ...); "
        "they differ in connection_security_policy, reporter"
    )
    assert found["gate broken"].startswith("FAIL stable v1 and canary v2: HTTP 400 Prometheus bad_data:")
    assert "parse error" in found["gate broken"]
    # a canary that serves no traffic yet has no value: fine before the release
    assert found["gate not_yet"].startswith("ok stable v1 = ")
    assert "canary v2: no value yet (empty result; fine while it serves no traffic)" in found["gate not_yet"]
    assert "gate restarts" not in found  # a pod gate is the cluster checks' business
    assert "3 problem(s)" in r.out


def test_check_says_when_prometheus_does_not_answer(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text(f"http://127.0.0.1:{port}", router=NO_CLUSTER))
    r = cli("check", plan)
    assert r.rc == 2
    assert rows(r.out)["prometheus"] == f"FAIL http://127.0.0.1:{port} did not answer vector(1): connection refused"
    assert "Traceback" not in r.err


def test_check_reports_a_missing_secret_as_a_problem(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        plan_text("http://127.0.0.1:9", metrics_extra="    bearerTokenEnv: NO_SUCH_TOKEN_VAR\n", router=NO_CLUSTER)
    )
    r = cli("check", plan)
    assert r.rc == 2
    assert (
        rows(r.out)["prometheus"]
        == "FAIL spec.metrics.bearerTokenEnv: environment variable NO_SUCH_TOKEN_VAR is not set or empty"
    )


def test_check_shows_warnings_and_stable_values_that_already_fail(tmp_path: Path, fake: FakePrometheus, cli) -> None:  # type: ignore[no-untyped-def]
    gates = gate("warned", "warned {{version}}", failAbove=1) + gate(
        "hot", "value:0.2 {{version}}", warnAbove=0.05, failAbove=0.1
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text(fake.url, gates=gates, router=NO_CLUSTER))
    r = cli("check", plan)
    assert r.rc == 0, r.out
    found = rows(r.out)
    # the server's warning carries terminal colours: shown escaped, never acted on
    assert found["gate warned"] == (
        "ok stable v1 = 0.001; canary v2 = 0.001; "
        "warning: remote read \\x1b[31mfailed\\x1b[0m for store-2: partial data"
    )
    assert found["gate hot"] == "ok stable v1 = 0.2; canary v2 = 0.2; note: stable itself would fail (0.2 > 0.1)"


def test_the_seed_plans_istio_queries_work_on_istio_metrics(
    tmp_path: Path, prom: PrometheusServer, exporter, cli
) -> None:  # type: ignore[no-untyped-def]
    """fixtures/plans/seed.yaml as shipped, pointed at a Prometheus with Istio's standard metrics for
    its service: the three Istio gates find one value each; the others need metrics this mesh lacks."""
    service = IstioService(namespace="default", service="canary-deployment")
    exporter.add(service)
    try:
        prom.wait_for('count_over_time(istio_requests_total{destination_service_name="canary-deployment"}[10s]) >= 3')
        seed = (ROOT / "fixtures" / "plans" / "seed.yaml").read_text()
        plan = tmp_path / "seed.yaml"
        seed = seed.replace("http://prometheus:9090", prom.url).replace("router: istio", "router: simulated")
        plan.write_text(seed.replace("    virtualService: canary-deployment\n", ""))
        r = cli("check", plan)
        found = rows(r.out)
        assert found["gate error_rate"] == "ok stable v1 = 0; canary v2 = 0"
        assert found["gate latency_p99"].startswith("ok stable v1 = 0.")
        assert found["gate latency_p95"].startswith("ok stable v1 = 0.")
        for name in ("cpu_usage", "memory_usage", "cache_hit_ratio", "db_connection_usage"):
            assert found[f"gate {name}"].startswith("FAIL stable v1: empty result"), found[f"gate {name}"]
        assert r.rc == 2
    finally:
        exporter.remove(service)


def test_new_service_helper_gives_rate_ready_data(prom: PrometheusServer, exporter) -> None:  # type: ignore[no-untyped-def]
    """The fixture every live test relies on: a fresh service already has a rate over 5 s."""
    service = new_service(exporter, prom)
    try:
        rate = prom.query(
            f'sum(rate(istio_requests_total{{destination_service_name="{service.service}",reporter="destination"}}[5s]))'
        )
        assert rate and float(rate[0]["value"][1]) > 0
    finally:
        exporter.remove(service)
