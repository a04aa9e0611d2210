#!/usr/bin/env python3
"""Notifications do not slow a run: the controller's wall time with no webhook, a fast one, one that
answers 500, and one that never answers; and the longest single ``emit`` on the controller's thread.

In-process replays through the real controller, of fixtures/error-spike-at-25.yaml (158 evaluations,
5 notifications) and of a day at 1 s (benchmarks/replay_big.py's fixture, 82,802 evaluations).
Receivers on 127.0.0.1. Run by hand:
    .venv/bin/python benchmarks/report_notify.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "notify"))
sys.path.insert(0, str(ROOT))


class Timed:
    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.longest = 0.0

    def emit(self, event) -> None:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        self.inner.emit(event)
        self.longest = max(self.longest, time.perf_counter() - t)


def main() -> None:
    from hookserver import HookServer
    from replay_big import make_fixture

    from canary_tui.commands.replay import build
    from canary_tui.core.extensions import NOTIFY_EVENTS, Notify, NotifyFormat
    from canary_tui.core.fixture import load_fixture
    from canary_tui.notify.webhook import Delivery, WebhookSink

    fixtures = {
        "error-spike-at-25 (158 evaluations)": (load_fixture(ROOT / "fixtures" / "error-spike-at-25.yaml"), 5),
        "a day at 1 s (82,802 evaluations)": (load_fixture(make_fixture("1s")), 1),
    }
    for label, (fixture, repeat) in fixtures.items():
        print(label)
        for mode in ("none", "ok", "down", "hang"):
            server = HookServer(mode=mode) if mode != "none" else None
            times, longest = [], 0.0
            for _ in range(repeat):
                sinks = []
                if server is not None:
                    n = Notify("bench", NotifyFormat.JSON, frozenset(NOTIFY_EVENTS), url="${X}")
                    hook = Timed(WebhookSink(n, server.url(), fixture.plan, delivery=Delivery(timeout=5.0)))
                    sinks.append(hook)
                controller = build(fixture, None, sinks)
                t = time.perf_counter()
                controller.run()
                times.append(time.perf_counter() - t)
                for s in sinks:
                    longest = max(longest, s.longest)
                    s.inner.close(timeout=0.0 if mode in ("down", "hang") else 10.0)
            extra = f", longest emit {longest * 1e3:.2f} ms" if server else ""
            print(f"  webhook {mode:<5} run {statistics.median(times):.3f} s (median of {repeat}){extra}")
            if server is not None:
                server.stop()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
