"""The trail others can follow: Kubernetes Events on the route object for phase changes, holds,
promotions and rollbacks, each naming the actor (``kubectl describe virtualservice checkout``)."""

from __future__ import annotations

import queue
import secrets
import socket
import threading
from datetime import UTC, datetime
from typing import Any

from ..core.alerts import AVAILABLE, UNAVAILABLE
from ..core.durations import format_time
from ..core.events import ActionTaken, Decided, Event, Finished, Notice, PhaseEntered
from ..core.model import Plan
from .client import ApiError, Client
from .resources import EVENTS

NAME_LIMIT = 253  # an Event's name is a DNS subdomain
NOTICE_EVERY_S = 60.0  # a write being retried is reported at most once a minute
CLOSE_GRACE = 0.5  # seconds the end of a run waits for the Events still queued, then abandons them


def object_ref(obj: dict[str, Any]) -> dict[str, Any]:
    """An ObjectReference to ``obj`` for ``involvedObject``."""
    meta = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
    }
    if meta.get("uid"):
        ref["uid"] = meta["uid"]
    return {k: v for k, v in ref.items() if v}


def event_name(involved: str, suffix: str) -> str:
    """``<object>.<suffix>`` as client-go names Events, cut to the 253 characters of a DNS subdomain
    (an object's name may be 253 long itself), never ending in ``-`` or ``.`` where it was cut."""
    head = involved[: NAME_LIMIT - len(suffix) - 1].rstrip("-.") or "canary-tui"
    return f"{head}.{suffix}"


def describe(event: Event, plan: Plan, driver: str) -> tuple[str, str, str] | None:
    """(type, reason, message) of the Event for one of ours, None when it makes none."""
    if isinstance(event, PhaseEntered):
        n = len(plan.phases)
        return (
            "Normal",
            "PhaseEntered",
            f"phase {event.phase} ({event.index + 1}/{n}): {plan.canary.version} {event.weight}%, "
            f"{plan.stable.version} {100 - event.weight}% (driver {driver})",
        )
    if isinstance(event, ActionTaken):
        if not event.accepted:
            return "Warning", "ActionRefused", f"{event.action} by {event.actor} refused: {event.reason}"
        reason = {"hold": "Held", "resume": "Resumed", "promote": "PromoteRequested", "rollback": "RollbackRequested"}[
            event.action
        ]
        return "Normal" if event.action != "rollback" else "Warning", reason, f"{event.action} by {event.actor}"
    if isinstance(event, Decided):
        kind = "Warning" if event.decision == "rollback" else "Normal"
        reason = "RolledBack" if event.decision == "rollback" else "Promoted"
        return kind, reason, f"{event.decision} in phase {event.phase}: {event.reason} (driver {driver})"
    if isinstance(event, Finished):
        kind = "Normal" if event.outcome == "Promoted" else "Warning"
        return (
            kind,
            f"Release{event.outcome}",
            f"{event.outcome} in phase {event.phase}: {event.reason} (driver {driver})",
        )
    if isinstance(event, Notice):
        if event.repeat:  # the last evaluation's alert said again: the Event for it is posted already
            return None
        if event.message.startswith(UNAVAILABLE):  # core.alerts: every query gate nodata
            return "Warning", "MetricsUnavailable", event.message
        if event.message.startswith(AVAILABLE):
            return "Normal", "MetricsAvailable", event.message
        return "Warning", "WriteFailed", event.message
    return None


class EventSink:
    """A Sink posting Events from a thread of its own, in order. Best effort: a slow or refusing
    Events API never delays a decision or a weight write; ``failures`` counts the Events that were
    not recorded and ``last_error`` says why. ``close`` waits for the queue to drain, briefly."""

    def __init__(
        self, client: Client, namespace: str, plan: Plan, involved: dict[str, Any], *, driver: str, instance: str
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.plan = plan
        self.involved = involved
        self.driver = driver
        self.instance = instance
        self.posted = 0
        self.failures = 0
        self.last_error: str | None = None
        self._last_notice: datetime | None = None
        self._closed = False
        self._queue: queue.Queue[tuple[str, str, str, datetime] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="k8s-events", daemon=True)
        self._thread.start()

    def emit(self, event: Event) -> None:
        what = describe(event, self.plan, self.driver)
        if what is None:
            return
        now = datetime.now(UTC)
        if what[1] == "WriteFailed":  # (the metrics alert is said when it starts, changes and ends only)
            if self._last_notice is not None and (now - self._last_notice).total_seconds() < NOTICE_EVERY_S:
                return
            self._last_notice = now
        self._queue.put((*what, now))

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self.post(*item)

    def close(self, timeout: float = CLOSE_GRACE) -> int:
        """Post what is queued within ``timeout`` seconds, then stop. Returns how many Events were not
        posted by then: they are abandoned with the sender (a daemon thread), so an API server that
        hangs never holds the end of the run."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            return 0
        return self._queue.qsize()  # the one being posted, and those behind it (the end mark aside)

    def post(self, kind: str, reason: str, message: str, now: datetime) -> None:
        stamp = format_time(now.replace(microsecond=0))
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": event_name(str(self.involved.get("name") or "canary-tui"), secrets.token_hex(8)),
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "canary-tui", "canary-tui/plan": self.plan.name},
            },
            "involvedObject": self.involved,
            "type": kind,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": "canary-tui", "host": socket.gethostname()},
            "reportingComponent": "canary-tui",
            "reportingInstance": self.instance[:128],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            self.client.create(EVENTS.path(self.namespace), body)
            self.posted += 1
        except ApiError as e:
            self.failures += 1
            self.last_error = str(e)
