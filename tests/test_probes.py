"""Phase checks run for real: HTTP against a local server, commands as processes, through the controller."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from canary_tui.clock import VirtualClock
from canary_tui.controller import Controller
from canary_tui.core.extensions import Check, CheckWhen, CommandProbe, HttpProbe
from canary_tui.core.rule import Outcome
from canary_tui.probes import ProbeRunner
from canary_tui.sim.demo import DemoWorld
from canary_tui.sim.scenarios import SCENARIOS

from .core_helpers import make_plan


class Service:
    """A local HTTP service whose health answer the test sets; it records every request."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"ok"
        self.delay = 0.0
        self.paths: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.paths.append(self.path)
                time.sleep(service.delay)
                self.send_response(service.status)
                self.send_header("Content-Length", str(len(service.body)))
                self.end_headers()
                self.wfile.write(service.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Iterator[Service]:
    s = Service()
    yield s
    s.close()


def http_check(url: str, **kw: object) -> Check:
    return Check("smoke", CheckWhen.PROMOTE, timedelta(seconds=2), http=HttpProbe(url=url, **kw))  # type: ignore[arg-type]


def run_one(check: Check) -> tuple[bool | None, str]:
    plan = make_plan()
    outcome = ProbeRunner().run([check], plan, datetime.now(UTC))["smoke"]
    return outcome.ok, outcome.reason


def test_http_check_passes_and_fails_on_status_and_body(service: Service) -> None:
    assert run_one(http_check(service.url + "/healthz")) == (True, f"GET {service.url}/healthz: HTTP 200")
    service.status = 500
    ok, reason = run_one(http_check(service.url + "/healthz"))
    assert ok is False and reason.endswith("HTTP 500, want 200")
    service.status, service.body = 200, b"degraded"
    ok, reason = run_one(http_check(service.url + "/healthz", body_contains="ok"))
    assert ok is False and "lacks 'ok'" in reason


def test_http_check_times_out_and_refused_connections_fail(service: Service) -> None:
    service.delay = 3
    start = time.monotonic()
    ok, reason = run_one(http_check(service.url + "/slow"))
    assert ok is False and time.monotonic() - start < 2.8
    ok, reason = run_one(http_check("http://127.0.0.1:9/none"))
    assert ok is False and "refused" in reason.lower()


def test_placeholders_are_filled_and_secrets_stay_out_of_reasons(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMOKE_TOKEN", "s3cr3t")
    ok, reason = run_one(http_check(service.url + "/{{service}}/{{version}}?token=${SMOKE_TOKEN}"))
    assert ok is True
    assert service.paths[-1] == "/checkout/v2?token=s3cr3t"
    assert "s3cr3t" not in reason and "${SMOKE_TOKEN}" in reason


def test_a_missing_variable_is_no_result() -> None:
    ok, reason = run_one(http_check("http://127.0.0.1:9/?t=${CANARY_TUI_UNSET_VARIABLE}"))
    assert ok is None and reason == "environment variable CANARY_TUI_UNSET_VARIABLE is not set"


def test_command_check_exit_status_and_timeout() -> None:
    def cmd(*argv: str) -> Check:
        return Check("smoke", CheckWhen.PROMOTE, timedelta(seconds=1), command=CommandProbe(tuple(argv)))

    assert run_one(cmd(sys.executable, "-c", "pass"))[0] is True
    ok, reason = run_one(cmd(sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"))
    assert ok is False and reason.endswith("exit 3: boom")
    ok, reason = run_one(cmd(sys.executable, "-c", "import time; time.sleep(5)"))
    assert ok is False and "no answer within 1s" in reason
    ok, reason = run_one(cmd("/nonexistent/smoke-test"))
    assert ok is False and "No such file" in reason


def controller_with_check(url: str) -> Controller:
    plan = make_plan(checks=[{"name": "smoke", "when": "promote", "timeout": "2s", "http": {"url": url}}])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = VirtualClock(start)
    world = DemoWorld(plan, SCENARIOS["healthy"], clock)
    return Controller(
        plan, clock=clock, metrics=world.metrics, cluster=world.cluster, sinks=[world], checks=ProbeRunner(), t0=start
    )


def test_a_failing_smoke_endpoint_blocks_promotion_and_rolls_back(service: Service) -> None:
    service.status = 503
    c = controller_with_check(service.url + "/healthz")
    state = c.run()
    assert state.outcome is Outcome.ROLLED_BACK and state.phase_index == 0
    assert state.reason.startswith("check smoke failed for 2 consecutive evaluations")
    assert len(service.paths) == 2  # due only once the 3m soak was served: 3m and 4m


def test_a_healthy_smoke_endpoint_lets_the_release_through(service: Service) -> None:
    c = controller_with_check(service.url + "/healthz")
    assert c.run().outcome is Outcome.PROMOTED
    assert len(service.paths) == 3  # one check before each of the three promotions
