"""A counts gate on a real Prometheus: the live source's readings and ``record`` -> ``replay`` of the
same window give the same decisions, evaluation by evaluation (contract section 5)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from istio_exporter import IstioService
from promhelp import ISTIO, plan_text
from promserver import PrometheusServer, backfill

from canary_tui.core import rule
from canary_tui.core.durations import format_time
from canary_tui.core.events import Evaluated, to_line
from canary_tui.core.fixture import load_fixture
from canary_tui.core.planfile import load_plan

pytestmark = pytest.mark.prometheus

ERRORS = f'sum(increase(istio_requests_total{{{ISTIO},response_code=~"5.."}}[{{{{interval}}}}])) or vector(0)'
REQUESTS = f"sum(increase(istio_requests_total{{{ISTIO}}}[{{{{interval}}}}]))"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[float, PrometheusServer]]:
    """An hour ago: 10 minutes of v1 at 1% errors; v2 the same, then at 2% from +5m."""
    now = int(time.time())
    t0 = float(now - now % 60 - 3600)
    service = IstioService(service="counted")
    service.begin(t0)
    service.set("v1", error_ratio=0.01, at=t0 + 1)
    service.set("v2", error_ratio=0.01, at=t0 + 1)
    service.set("v2", error_ratio=0.02, at=t0 + 300)
    work = tmp_path_factory.mktemp("counts")
    backfill(service.openmetrics(t0, t0 + 600, 5.0), work / "data", work)
    server = PrometheusServer(work / "prom", data_dir=work / "data").start()
    try:
        server.wait_for('count_over_time(istio_requests_total{destination_service_name="counted"}[2h])', timeout=30)
        yield t0, server
    finally:
        server.stop()


def gates() -> str:
    return (
        "    - name: errors\n      judge: counts\n"
        f"      errors: {json.dumps(ERRORS)}\n      requests: {json.dumps(REQUESTS)}\n"
    )


def test_record_then_replay_reproduces_the_live_sources_decisions(tmp_path: Path, history, cli) -> None:  # type: ignore[no-untyped-def]
    t0, server = history
    phases = "[{name: canary, weight: 5, duration: 20m}, {name: full, weight: 100, duration: 0s}]"
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(server.url, gates=gates(), service="counted", interval="30s", phases=phases))
    plan = load_plan(path)
    start, end = datetime.fromtimestamp(t0 + 60, UTC), datetime.fromtimestamp(t0 + 540, UTC)

    # live: the Prometheus source at each evaluation, as run --dry-run reads it
    from canary_tui.prometheus.source import PrometheusMetrics

    source = PrometheusMetrics.from_plan(plan)
    try:
        step = rule.start(plan, start)
        state, live = step.state, []
        while not state.done and rule.next_evaluation(plan, state) <= end:
            at = rule.next_evaluation(plan, state)
            step = rule.advance(state, plan, at, (), source.read(plan, state.phase_index, at))
            state = step.state
            live += [json.loads(to_line(e)) for e in step.events if isinstance(e, Evaluated)]
    finally:
        source.close()
    assert state.outcome is rule.Outcome.ROLLED_BACK and state.reason.startswith("errors 1."), state.reason

    out = tmp_path / "recorded.yaml"
    r = cli("record", path, "--from", format_time(start), "--to", format_time(end), "-o", out)
    assert r.rc == 0, r.err
    fixture = load_fixture(out)
    requests = fixture.series["errors"].canary.requests  # type: ignore[union-attr]
    assert requests[0] is not None and requests[0] > 0 and requests == sorted(requests)  # cumulative
    r = cli("replay", out, "--headless", "--json")
    assert r.rc == 1, r.out + r.err
    replayed = [json.loads(x) for x in r.out.splitlines() if '"type":"evaluation"' in x]
    assert [(e["at"], e["gates"]["errors"]["status"]) for e in replayed] == [
        (e["at"], e["gates"]["errors"]["status"]) for e in live
    ]
    for a, b in zip(replayed, live, strict=True):
        assert a["gates"]["errors"]["evidence"] == pytest.approx(b["gates"]["errors"]["evidence"], rel=1e-9)
    result = json.loads(r.out.splitlines()[-1])
    assert result["reason"] == state.reason
