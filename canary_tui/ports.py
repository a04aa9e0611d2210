"""The shapes of the outside world the controller talks to: clock, metrics, cluster, event sinks.

Adapters (replay fixture, simulation, Prometheus, Kubernetes, the TUI) implement these.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from .core.checks import CheckOutcome
from .core.events import Event
from .core.extensions import Check
from .core.gates import Reading
from .core.model import Plan
from .core.pods import Pod


class Clock(Protocol):
    def now(self) -> datetime:
        """The controller's time: real in ``run``, virtual in ``replay`` and ``demo``."""
        ...

    def wait_until(self, t: datetime, wake: threading.Event) -> None:
        """Return when ``now() >= t`` or as soon as ``wake`` is set (it is cleared by the caller)."""
        ...


class MetricsSource(Protocol):
    def read(self, plan: Plan, phase_index: int, at: datetime) -> Mapping[str, Reading]:
        """One reading per query gate (``source: prometheus``) at ``at``. Never raises for a
        failing query: the reading carries the error, so the gate says ``nodata`` with it."""
        ...


class WriteError(Exception):
    """A cluster write that did not land. ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Cluster(Protocol):
    def pods(self, at: datetime) -> Sequence[Pod] | None:
        """Pods of both versions at ``at``; None when unknown (pod gates then say ``nodata``)."""
        ...

    def set_weight(self, canary_weight: int) -> None:
        """Send ``canary_weight`` percent to the canary and the rest to stable; raise WriteError."""
        ...


class CheckRunner(Protocol):
    def run(self, checks: Sequence[Check], plan: Plan, at: datetime) -> Mapping[str, CheckOutcome]:
        """Run the phase checks due at ``at`` (all at once, each within its timeout). Never raises:
        a check that cannot run gives ``CheckOutcome(None, reason)``."""
        ...


class Sink(Protocol):
    def emit(self, event: Event) -> None:
        """Called for every event (and operational notice) in order, on the controller's thread."""
        ...
