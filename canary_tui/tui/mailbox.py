"""A coalescing mailbox between the controller's thread and the UI: the latest snapshot wins.

The controller calls ``put`` after every change; only the first ``put`` after a ``take`` asks
the UI to wake up, so a flood of snapshots costs one screen update. Events are kept (bounded),
because the history and the event log need every one of them, not only the latest.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..controller import Snapshot
    from ..core.events import Event

MAX_PENDING_EVENTS = 10_000


class Mailbox:
    """Thread-safe; ``put`` never blocks for long and never waits for the UI."""

    def __init__(self, max_events: int = MAX_PENDING_EVENTS) -> None:
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._events: deque[Event] = deque(maxlen=max_events)
        self._dropped = 0
        self._waiting = False
        self.puts = 0

    def put(self, snapshot: Snapshot) -> bool:
        """Keep ``snapshot`` (and its events). True when the UI must be woken up to take it."""
        with self._lock:
            self.puts += 1
            self._latest = snapshot
            room = (self._events.maxlen or 0) - len(self._events)
            if len(snapshot.events) > room:
                self._dropped += len(snapshot.events) - room
            self._events.extend(snapshot.events)
            if self._waiting:
                return False
            self._waiting = True
            return True

    def take(self) -> tuple[Snapshot, list[Event], int] | None:
        """The latest snapshot, every event since the last take, and how many were dropped."""
        with self._lock:
            self._waiting = False
            if self._latest is None:
                return None
            snap, self._latest = self._latest, None
            events = list(self._events)
            self._events.clear()
            dropped, self._dropped = self._dropped, 0
            return snap, events, dropped
