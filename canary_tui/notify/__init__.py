"""Notifications (``spec.notify``): webhooks told about phases, holds, promotions, rollbacks, results.

``sinks_for(plan)`` gives the sinks of a run's plan (none when it has no ``notify``); give them to
the controller with the other sinks, and ``close_sinks`` them when the run ends so the last events
are delivered (a short bounded wait, ``CLOSE_TIMEOUT``; an exit handler does it too, for a command
that forgets).
"""

from __future__ import annotations

import atexit
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.model import Plan
    from .webhook import Delivery, WebhookSink

# Seconds a run waits, at its end (after its result line), for the notifications still queued or in
# flight: then they are abandoned with their sender threads (daemons) and a warning says how many.
# A receiver that hangs or keeps failing must not hold the exit: the audit log keeps every event.
CLOSE_TIMEOUT = 0.5


def warn_stderr(message: str) -> None:
    print(f"canary-tui: warning: {message}", file=sys.stderr, flush=True)


def sinks_for(
    plan: Plan,
    *,
    mode: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = warn_stderr,
    delivery: Delivery | None = None,
) -> list[WebhookSink]:
    """One sink per usable ``spec.notify`` entry. A webhook whose variable is not set, or whose URL
    is not http(s), is left out with a warning naming the variable (never the URL): not fatal."""
    if not plan.notify:
        return []
    import os
    from urllib.parse import urlsplit

    from ..core.extensions import ENV_REF
    from .webhook import WebhookSink

    env = os.environ if environ is None else environ
    sinks = []
    for n in plan.notify:
        names = [n.url_env] if n.url_env else ENV_REF.findall(n.url or "")
        try:
            url = n.resolve_url(env)
        except KeyError as e:
            _say(warn, f"notify {n.name}: environment variable {e.args[0]} is not set; this webhook is off")
            continue
        secrets = [env[name] for name in names if name in env]
        try:
            parts = urlsplit(url.strip())
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable:
            where = f"${n.url_env}" if n.url_env else "url"
            _say(warn, f"notify {n.name}: the URL ({where}) is not an http(s) URL; this webhook is off")
            continue
        sinks.append(WebhookSink(n, url.strip(), plan, secrets=secrets, warn=warn, mode=mode, delivery=delivery))
    if sinks:
        atexit.register(close_sinks, sinks, CLOSE_TIMEOUT)
    return sinks


def close_sinks(sinks: Iterable[object], timeout: float = CLOSE_TIMEOUT) -> bool:
    """Deliver what the webhook sinks among ``sinks`` still hold, all within ``timeout`` seconds.
    Other sinks are left alone. True when nothing was left undelivered."""
    from .webhook import WebhookSink

    hooks = [s for s in sinks if isinstance(s, WebhookSink)]
    deadline = time.monotonic() + timeout
    ok = True
    for s in hooks:
        ok = s.close(max(0.0, deadline - time.monotonic())) and ok
    return ok


def _say(warn: Callable[[str], None] | None, message: str) -> None:
    if warn is not None:
        warn(message)
