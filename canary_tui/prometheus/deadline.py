"""A total deadline per query (connect to last byte) and daemon workers that overrun queries never hold up.

urllib3's timeouts are per socket operation: a server that drips one byte every 0.3 s never trips a
0.75 s read timeout. So every request is armed with a deadline; one watcher thread shuts down the
socket of a request still running at its deadline (the blocked read returns at once) and the request
fails with "deadline Ns exceeded". Queries run on daemon workers that are reused when idle and
replaced, never waited for, when stuck (a name lookup cannot be interrupted): an evaluation never
waits on an earlier one's queries, and the process never waits on them at exit.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
MAX_IDLE = 64  # idle workers kept for the next evaluation; more than that end


def exceeded(seconds: float) -> str:
    """The ``nodata`` reason of a query that overran its deadline."""
    return f"deadline {seconds:g}s exceeded"


class Slot:
    """One request's deadline: the connection it uses (set by the pool), and whether the deadline cut it.

    ``passed``: the deadline has come. ``expired``: it came while the request had a connection, which
    was shut then (or at once, when one was taken or connected later): whatever came of it is cut.
    A connection is the slot's only while the request uses it: from the pool's ``_get_conn`` to its
    ``_put_conn``, when the answer is complete and another query may take it at once."""

    __slots__ = ("_lock", "at", "conn", "done", "expired", "passed", "seconds")

    def __init__(self, at: float, seconds: float) -> None:
        self.at = at
        self.seconds = seconds
        self.conn: Any = None
        self.passed = False
        self.expired = False
        self.done = False
        self._lock = threading.Lock()

    def attach(self, conn: Any) -> None:
        """The connection the request sends on, from the pool (a new one connects later: ``connected``)."""
        with self._lock:
            self.conn = conn
            if self.passed:
                self.expired = True
                _shut(conn)

    def connected(self, conn: Any) -> None:
        """A new connection is made (TCP, then TLS: the handshake, bounded by the connect timeout, runs
        on a socket the watcher cannot shut): shut it at once when the deadline passed meanwhile, or a
        server that drips from then on would hold the query's thread until it stops."""
        with self._lock:
            if self.passed:
                self.expired = True
                _shut(conn)

    def release(self, conn: Any) -> None:
        """The pool took ``conn`` back: its answer is complete, and from now on it may carry another
        query; the deadline no longer touches it."""
        with self._lock:
            if conn is not None and conn is self.conn:
                self.conn = None

    def detach(self) -> None:
        with self._lock:
            self.done = True
            self.conn = None

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.passed = True
            if self.conn is None:  # no connection now: the next one is shut as it comes
                return
            self.expired = True
            _shut(self.conn)


def _shut(conn: Any) -> None:
    """Shut the connection's socket down under a reader blocked on it (it then reads end of file).

    The plain socket's shutdown, also for TLS: ``SSLSocket.shutdown`` would drop its TLS object
    under the reading thread."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError, TypeError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watcher:
    """One daemon thread that expires the slots whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Slot]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> Slot:
        slot = Slot(time.monotonic() + seconds, seconds)
        with self._cond:
            heapq.heappush(self._heap, (slot.at, next(self._order), slot))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prometheus-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is slot:
                self._cond.notify()
        return slot

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, slot = heapq.heappop(self._heap)
                    slot.expire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


WATCHER = Watcher()
_current = threading.local()


def current() -> Slot | None:
    """The slot of the request this thread is sending, if any (read by the connection pool)."""
    return getattr(_current, "slot", None)


def call_with_deadline(seconds: float, send: Callable[[], T]) -> tuple[T | None, BaseException | None, Slot]:
    """Run ``send`` (one HTTP request, in this thread) with its socket shut at the deadline.
    Returns its result or exception, and the slot (``slot.expired``: the deadline cut it)."""
    slot = WATCHER.arm(seconds)
    _current.slot = slot
    try:
        return send(), None, slot
    except Exception as e:  # judged by the caller, knowing whether the deadline cut it
        return None, e, slot
    finally:
        _current.slot = None
        slot.detach()


class Workers:
    """Daemon threads for queries: an idle one takes the next job, a new one starts when none is idle.

    A job stuck past its deadline keeps its thread; nobody waits for it (not the next evaluation, not
    ``close``, not the interpreter at exit: the threads are daemons)."""

    def __init__(self, prefix: str = "prometheus") -> None:
        self._prefix = prefix
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._names = itertools.count(1)
        self._closed = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self, f"{self._prefix}-{next(self._names)}")
        worker.jobs.put((future, fn, args))
        return future

    def _rest(self, worker: _Worker) -> bool:
        """A worker finished its job: keep it for the next one (True), or let it end."""
        with self._lock:
            if self._closed or len(self._idle) >= MAX_IDLE:
                return False
            self._idle.append(worker)
            return True

    def close(self) -> None:
        """Idle workers end; busy ones end when their job does. Waits for nothing."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.jobs.put(None)


class _Worker:
    def __init__(self, owner: Workers, name: str) -> None:
        import queue

        self.owner = owner
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            future, fn, args = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as e:  # the future carries it to whoever reads it
                    future.set_exception(e)
            del job, future, fn, args
            if not self.owner._rest(self):
                return
