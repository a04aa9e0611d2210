"""The webhook sink in this process, with the real controller: sending never slows the evaluations,
failures are retried then reported, and the URL never shows."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from notifyhelp import FIXTURES, fixture_with_notify, replay_in_process

from canary_tui.core.events import ActionTaken, Evaluated, Notice, PhaseEntered
from canary_tui.core.extensions import NOTIFY_EVENTS, Notify, NotifyFormat
from canary_tui.core.fixture import load_fixture
from canary_tui.notify import close_sinks, sinks_for
from canary_tui.notify.webhook import Delivery, WebhookSink

SECRET = "xoxb-s3cret-part-42"
ALL = frozenset(NOTIFY_EVENTS)
T = datetime(2026, 1, 1, tzinfo=UTC)


def plan():
    return load_fixture(FIXTURES / "error-spike-at-25.yaml").plan


def sink(url: str, warned: list[str], **delivery: float) -> WebhookSink:
    return WebhookSink(
        Notify("hook", NotifyFormat.JSON, ALL, url="${S}"),
        url,
        plan(),
        secrets=[SECRET],
        warn=warned.append,
        delivery=Delivery(**delivery),  # type: ignore[arg-type]
    )


class Timed:
    """Wraps a sink and keeps the longest time one ``emit`` took on the controller's thread."""

    def __init__(self, inner: WebhookSink) -> None:
        self.inner = inner
        self.longest = 0.0

    def emit(self, event) -> None:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        self.inner.emit(event)
        self.longest = max(self.longest, time.perf_counter() - t)


def test_a_hanging_webhook_does_not_delay_the_evaluations(hook) -> None:
    server = hook("hang")
    fixture = FIXTURES / "error-spike-at-25.yaml"
    baseline = min(replay_in_process(fixture, [])[0] for _ in range(3))
    warned: list[str] = []
    hanging = Timed(sink(server.url(f"/x/{SECRET}"), warned, timeout=5.0))
    took, state = replay_in_process(fixture, [hanging])
    assert state.outcome.value == "RolledBack" and state.evaluations == 158
    # the receiver holds the first request for its whole 5 s timeout; the run does not wait for it
    assert took < baseline + 0.5, (took, baseline)
    assert hanging.longest < 0.05, hanging.longest
    deadline = time.monotonic() + 2
    while server.attempts < 1 and time.monotonic() < deadline:  # the sender is stuck in its first POST
        time.sleep(0.01)
    assert server.attempts == 1
    t = time.monotonic()
    assert hanging.inner.close(timeout=1.0) is False
    assert time.monotonic() - t < 2.0
    assert warned and "gave up waiting after 1s" in warned[-1]
    assert all(SECRET not in w for w in warned)


def test_a_server_that_keeps_failing_is_retried_with_backoff_then_reported(hook) -> None:
    server = hook("down")
    warned: list[str] = []
    s = sink(server.url(f"/x/{SECRET}"), warned, attempts=3, backoff=0.05)
    s.emit(PhaseEntered(T, "canary", 0, 5))
    s.emit(Notice(T, "weight 25% not written: conflict"))
    assert close_sinks([s], timeout=10)
    assert server.attempts == 6 and s.failed == 2 and s.sent == 0
    assert warned == [
        "notify hook: phase notification not delivered after 3 attempts: HTTP 500 Internal Server Error",
        "notify hook: error notification not delivered after 3 attempts: HTTP 500 Internal Server Error",
        "notify hook: 2 notification(s) not delivered, 0 delivered",  # the sum at the end
    ]


def test_retry_after_is_honoured(hook) -> None:
    server = hook("busy", failures=1)
    warned: list[str] = []
    s = sink(server.url(), warned, backoff=0.01)  # its own backoff would retry after ~10 ms
    s.emit(PhaseEntered(T, "canary", 0, 5))
    assert close_sinks([s], timeout=10) and warned == [] and s.sent == 1
    first, second = server.attempt_times
    assert second - first >= 0.95


def test_errors_never_show_the_url_or_its_secret(hook) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    hung = hook("hang")
    cases = {
        "refused": f"http://127.0.0.1:{port}/hooks/{SECRET}",
        "timeout": hung.url(f"/hooks/{SECRET}?token={SECRET}"),
        "bad url": f"http://user:{SECRET}@[::1/{SECRET}",
    }
    for what, url in cases.items():
        warned: list[str] = []
        s = sink(url, warned, attempts=2, backoff=0.01, timeout=0.3)
        s.emit(PhaseEntered(T, "canary", 0, 5))
        close_sinks([s], timeout=5)
        assert s.failed == 1, (what, warned)
        assert warned and all(SECRET not in w and str(port) not in w for w in warned), (what, warned)
        assert all(SECRET not in p for p in s.problems)
    assert hung.attempts == 2


def test_a_full_queue_drops_events_without_blocking_the_controller(hook) -> None:
    server = hook("hang")
    warned: list[str] = []
    s = sink(server.url(), warned, queue_size=2, timeout=5.0)
    t = time.perf_counter()
    for k in range(50):
        s.emit(PhaseEntered(T, f"p{k}", 0, 5))
    assert time.perf_counter() - t < 0.1
    assert s.dropped >= 47  # one in flight, two queued
    assert len(warned) <= 7 and "dropped" in warned[0]  # said at the 1st, 2nd, 4th, 8th... drop
    s.close(timeout=0.2)


def test_only_the_kinds_that_mean_something_are_sent(hook) -> None:
    server = hook()
    warned: list[str] = []
    s = sink(server.url(), warned)
    s.emit(Evaluated(T, "canary", 100.0, ()))
    s.emit(ActionTaken(T, "promote", "bob", False, "the previous evaluation had a failing gate"))
    s.emit(ActionTaken(T, "hold", "bob", False, "already held"))
    s.emit(ActionTaken(T, "hold", "alice", True))
    assert close_sinks([s], timeout=5) and warned == []
    assert [(b["type"], b["action"]) for b in server.bodies()] == [("action", "hold")]
    s.emit(ActionTaken(T, "resume", "alice", True))  # after close: ignored
    assert len(server.requests) == 1 and s.close(1.0)


def test_sinks_for_leaves_out_what_cannot_work_with_a_warning(tmp_path: Path) -> None:
    fixture = fixture_with_notify(
        FIXTURES / "healthy-promotion.yaml",
        tmp_path / "f.yaml",
        [
            {"name": "ftp", "format": "json", "urlEnv": "FTP_URL"},
            {"name": "ok", "format": "slack", "url": "https://hooks.example.invalid/${TOKEN}"},
        ],
    )
    p = load_fixture(fixture).plan
    warned: list[str] = []
    env = {"FTP_URL": f"ftp://files.example.invalid/{SECRET}", "TOKEN": SECRET}
    sinks = sinks_for(p, environ=env, warn=warned.append)
    assert [s.name for s in sinks] == ["ok"]
    assert warned == ["notify ftp: the URL ($FTP_URL) is not an http(s) URL; this webhook is off"]
    close_sinks(sinks, timeout=1)
    assert sinks_for(load_fixture(FIXTURES / "healthy-promotion.yaml").plan) == []


def test_the_metrics_alert_is_sent_when_it_starts_and_ends_not_when_it_repeats(hook) -> None:
    server = hook("ok")
    warned: list[str] = []
    s = sink(server.url(), warned)
    start = "metrics unavailable: connection refused (all 2 query gates nodata, 1/4); rollback in 3m0s if it persists"
    s.emit(Notice(T, start))
    s.emit(Notice(T, start.replace("1/4", "2/4").replace("3m0s", "2m0s"), repeat=True))
    s.emit(Notice(T, "metrics available again: query gates have data after 2 evaluations without (connection refused)"))
    assert close_sinks([s], timeout=5) and warned == []
    assert [b["message"].split(":")[0] for b in server.bodies()] == ["metrics unavailable", "metrics available again"]


def test_a_receiver_failing_at_the_end_of_a_run_is_tried_again_at_once_not_after_backing_off(hook) -> None:
    """Once the run is over, a message waiting out its backoff is sent again at once (within the close's
    short wait) instead of being abandoned mid-backoff."""
    server = hook("fail", failures=2)
    warned: list[str] = []
    s = sink(server.url(), warned, backoff=5.0)  # 5 s, then 10 s, between attempts
    s.emit(Notice(T, "a write refused"))
    deadline = time.monotonic() + 5
    while server.attempts < 1:  # the first attempt failed: the sender backs off now
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    assert close_sinks([s], timeout=0.5)
    assert time.monotonic() - started < 0.5
    assert server.attempts == 3 and len(server.requests) == 1 and warned == []
