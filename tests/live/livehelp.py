"""Helpers of the live-run tests: plans for the fake API server with what a test needs changed, the
sinks that can hang at the end of a run, and when a process ended."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakeapi import FakeKube
from fakeparts import Rule
from hookserver import HookServer

LEASE = "/leases/canary-tui-checkout$"


def prom(address: str) -> str:
    return f"{{provider: prometheus, address: '{address}'}}"


def live_plan(
    write_plan: Callable[..., Path],
    *,
    no_data_limit: int | None = None,
    notify: bool = False,
    namespace: bool = True,
    gates: str | None = None,
    **kw: Any,
) -> Path:
    """A plan of ``write_plan`` (kubehelpers.plan_text), with ``noDataLimit``, a webhook whose URL is in
    $HOOK, no ``metadata.namespace``, or other gates (YAML list items) when asked."""
    path = write_plan(**kw)
    text = path.read_text()
    if no_data_limit is not None:
        text = text.replace("  failureLimit: 2\n", f"  failureLimit: 2\n  noDataLimit: {no_data_limit}\n")
    if not namespace:
        text = text.replace("metadata: {name: checkout, namespace: shop}", "metadata: {name: checkout}")
    if gates is not None:
        text = re.sub(r"  gates:\n(    - .*\n)+", "  gates:\n" + gates, text)
    if notify:
        text += "  notify:\n    - {name: team, format: json, urlEnv: HOOK}\n"
    path.write_text(text)
    return path


def hang_the_sinks(fake: FakeKube, hook: HookServer) -> None:
    """Everything a run's end talks to hangs: the webhook, the Events API, the Lease release."""
    hook.mode = "hang"
    fake.hang("POST", "/events$", 120, times=None)
    released = lambda body, _: "holderIdentity" not in ((body or {}).get("spec") or {})  # noqa: E731
    fake.add_rule(Rule("PUT", LEASE, match=released, times=None, hang=120, apply=False))


def exit_time(proc, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    """When the process ended (monotonic), polled every 10 ms."""
    end = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < end, "the process did not exit"
        time.sleep(0.01)
    return time.monotonic()


def events(fake: FakeKube, reason: str) -> list[dict[str, Any]]:
    """The Kubernetes Events the fake server stored with this reason."""
    with fake.lock:
        return [o for k, o in fake.objects.items() if k[1] == "events" and o.get("reason") == reason]
