"""Running phase checks for real: HTTP requests and commands, concurrently, each within its timeout.

Reasons name the check's URL or command as written in the plan (before ``${VAR}`` expansion),
so a secret in a variable never reaches the screen or the log.
"""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from .core.checks import CheckOutcome
from .core.extensions import Check, CommandProbe, HttpProbe, expand_env
from .core.model import Plan
from .sanitize import clean

BODY_LIMIT = 1 << 20  # read at most 1 MiB of an answer when looking for body_contains


def fill(text: str, plan: Plan) -> str:
    """The plan's placeholders: the canary's version, the namespace, the service."""
    return (
        text.replace("{{version}}", plan.canary.version)
        .replace("{{namespace}}", plan.namespace)
        .replace("{{service}}", plan.service)
    )


class ProbeRunner:
    """A CheckRunner for ``run`` and ``run --dry-run``: real requests, real processes."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers

    def run(self, checks: Sequence[Check], plan: Plan, at: datetime) -> Mapping[str, CheckOutcome]:
        if not checks:
            return {}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(checks)), thread_name_prefix="check") as pool:
            futures = {c.name: pool.submit(run_check, c, plan) for c in checks}
            return {name: f.result() for name, f in futures.items()}


def run_check(check: Check, plan: Plan) -> CheckOutcome:
    timeout = check.timeout.total_seconds()
    try:
        if check.http is not None:
            return _http(check.http, plan, timeout)
        if check.command is not None:
            return _command(check.command, plan, timeout)
    except KeyError as e:
        return CheckOutcome(None, f"environment variable {e.args[0]} is not set")
    return CheckOutcome(None, "nothing to run")


def _http(probe: HttpProbe, plan: Plan, timeout: float) -> CheckOutcome:
    shown = f"{probe.method} {clean(fill(probe.url, plan), 200)}"
    url = expand_env(fill(probe.url, plan))
    headers = {k: expand_env(v) for k, v in probe.headers.items()}
    request = urllib.request.Request(url, method=probe.method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
            body = answer.read(BODY_LIMIT) if probe.body_contains else b""
    except urllib.error.HTTPError as e:
        status, body = e.code, b""
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return CheckOutcome(False, f"{shown}: {clean(reason, 160)}")
    if status != probe.expect_status:
        return CheckOutcome(False, f"{shown}: HTTP {status}, want {probe.expect_status}")
    if probe.body_contains and probe.body_contains.encode() not in body:
        return CheckOutcome(False, f"{shown}: HTTP {status} but the body lacks {clean(probe.body_contains, 60)!r}")
    return CheckOutcome(True, f"{shown}: HTTP {status}")


def _command(probe: CommandProbe, plan: Plan, timeout: float) -> CheckOutcome:
    shown = clean(" ".join(probe.argv), 120)
    argv = [expand_env(fill(a, plan)) for a in probe.argv]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return CheckOutcome(False, f"{shown}: no answer within {timeout:g}s")
    except OSError as e:
        return CheckOutcome(False, f"{shown}: {clean(e.strerror or e, 120)}")
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        tail = clean(lines[-1], 120) if lines else ""
        return CheckOutcome(False, f"{shown}: exit {done.returncode}" + (f": {tail}" if tail else ""))
    return CheckOutcome(True, f"{shown}: exit 0")
