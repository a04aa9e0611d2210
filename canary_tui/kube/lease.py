"""The lock: a coordination.k8s.io/v1 Lease ``canary-tui-<plan>`` held by the one driving process.

Expiry is judged as client-go judges it, never by comparing the holder's ``renewTime`` with our own
wall clock (two machines' clocks disagree): a lease held by someone else is expired only once its
record (holder, renewTime, transitions...) has stayed unchanged for ``leaseDurationSeconds`` on our
monotonic clock since we first saw it. A free lease, or one whose holder was a process of this very
machine that is gone, is taken at once. The holder renews every duration/6; a driver that cannot
renew within the renew deadline (2/3 of the duration) stops writing (fencing: before each write
the lease is checked, with a margin for the write itself) and keeps trying to renew.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..ports import WriteError
from .client import ApiError, Client
from .leaseinfo import (
    A_BOOT,
    A_HOST,
    A_PID,
    A_USER,
    LeaseHeld,
    LeaseInfo,
    LeaseLost,
    Observer,
    Timing,
    boot_id,
    micro_time,
    poll,
    read_lease,
)
from .resources import LEASES


class Lease:
    """This process's hold on the plan's lease."""

    def __init__(
        self,
        client: Client,
        namespace: str,
        name: str,
        *,
        identity: str,
        user: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        timing: Timing | None = None,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.user = user
        self.now = now
        self.monotonic = monotonic
        self.timing = timing or Timing()
        self.lost: str | None = None
        self.fenced: str | None = None
        self.took_over: str | None = None
        self._obj: dict[str, Any] | None = None
        self._renewed: float | None = None  # monotonic start of the last renewal that landed
        self._retry_after: float | None = None  # the server's Retry-After on the last failed renewal
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_lost: Callable[[str], None] | None = None

    @property
    def path(self) -> str:
        return LEASES.path(self.namespace, self.name)

    def _body(self, base: dict[str, Any] | None, now: datetime, transitions: int, acquire: bool) -> dict[str, Any]:
        body: dict[str, Any] = dict(base) if base else {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease"}
        meta: dict[str, Any] = dict(body.get("metadata") or {"name": self.name, "namespace": self.namespace})
        meta["labels"] = {**(meta.get("labels") or {}), "app.kubernetes.io/managed-by": "canary-tui"}
        notes = dict(meta.get("annotations") or {})
        notes.update({A_USER: self.user, A_PID: str(os.getpid()), A_HOST: socket.gethostname()})
        if (bid := boot_id()) is not None:
            notes[A_BOOT] = bid
        meta["annotations"] = notes
        body["metadata"] = meta
        spec: dict[str, Any] = dict(body.get("spec") or {})
        seconds = max(1, round(self.timing.duration))
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=seconds, renewTime=micro_time(now))
        if acquire:
            spec["acquireTime"] = micro_time(now)
            spec["leaseTransitions"] = transitions
        body["spec"] = spec
        return body

    def acquire(self, say: Callable[[str], None] | None = None) -> None:
        """Take the lease or raise LeaseHeld naming who holds it. ApiError when the server refuses.

        A lease someone else holds is watched (as client-go does) until its record changes (a live
        holder: refused) or stays unchanged for its duration on our monotonic clock (taken over);
        ``say`` is told once that we wait."""
        observer = Observer(self.monotonic)
        told = False
        while True:
            with self._lock:
                started = self.monotonic()
                info, obj = read_lease(self.client, self.namespace, self.name)
                if info is None:
                    self._take(None, None, 0, started)
                    return
                assert obj is not None
                mine = info.holder == self.identity
                if not info.holder or mine or info.gone_here():
                    if info.holder and not mine:
                        self.took_over = f"took over the lease from {info.holder} (its process is gone)"
                    self._take(obj, info, info.transitions + 1, started)
                    return
                unchanged = observer.see(obj)
                if observer.changes:
                    raise LeaseHeld(
                        f"{self.name} in {self.namespace} is held by {info.describe(self.now())}, "
                        "and it renewed the lease while we watched"
                    )
                duration = info.duration.total_seconds()
                if unchanged >= duration:
                    self.took_over = (
                        f"took over the lease from {info.holder} (it expired: not renewed for {duration:g}s "
                        "while we watched)"
                    )
                    self._take(obj, info, info.transitions + 1, started)
                    return
            if say is not None and not told:
                told = True
                say(
                    f"the lease {self.name} names {info.holder}: waiting up to {duration:g}s to see whether it "
                    "renews it (then it is taken over)"
                )
            time.sleep(poll(duration, unchanged))

    def _take(self, obj: dict[str, Any] | None, info: LeaseInfo | None, transitions: int, started: float) -> None:
        """Write ourselves in as holder (create, or PUT with the resourceVersion read)."""
        try:
            if obj is None:
                self._obj = self.client.create(LEASES.path(self.namespace, None), self._body(None, self.now(), 0, True))
            else:
                self._obj = self.client.replace(self.path, self._body(obj, self.now(), transitions, True))
        except ApiError as e:
            if e.status == 409:
                raise LeaseHeld(f"another canary-tui took the lease {self.name} at the same moment") from None
            raise
        self._renewed = started

    def fence(self, reason: str) -> None:
        """Stop every write of this process from now on (the decision changed under us), though the
        lease is still ours to give back."""
        self.fenced = reason

    def unrenewed(self) -> float:
        """Seconds since the start of the last renewal that landed."""
        return 0.0 if self._renewed is None else self.monotonic() - self._renewed

    def _in_time(self) -> None:
        """WriteError (retryable) when a write started now could land after the lease might have
        expired: no renewal within the renew deadline, less the fencing margin."""
        late = self.unrenewed()
        if late > self.timing.writable:
            raise WriteError(
                f"lease {self.name} not renewed for {late:.0f}s (renew deadline {self.timing.deadline:g}s): "
                "traffic writes stopped until it is renewed",
                True,
                self.timing.renew_every,
            )

    def check(self) -> None:
        """Raise LeaseLost unless this process still holds the lease (one GET). ApiError when unsure."""
        if self.lost or self.fenced:
            raise LeaseLost(self.lost or self.fenced or "")
        with self._lock:
            info, obj = read_lease(self.client, self.namespace, self.name)
            if info is None or info.holder != self.identity:
                who = (
                    info.describe(self.now())
                    if info is not None and info.holder
                    else "nobody (it was released or deleted)"
                )
                self._lose(f"lost the lease {self.name}: now held by {who}")
            else:
                self._obj = obj
        if self.lost:
            raise LeaseLost(self.lost)

    def check_before_write(self) -> None:
        """``check`` for a writer, fenced in time: WriteError (not retryable when the lease is lost;
        retryable while it is not renewed, or cannot be verified)."""
        self._in_time()
        try:
            self.check()
        except LeaseLost as e:
            raise WriteError(str(e), retryable=False) from None
        except ApiError as e:
            raise WriteError(f"cannot verify the lease before writing: {e}", e.transient, e.retry_after) from None
        self._in_time()  # the GET itself may have taken a while

    def _lose(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            if self._on_lost is not None:
                self._on_lost(reason)

    def renew(self) -> None:
        """Extend the lease (PUT with resourceVersion); a conflict means someone else took it, unless
        the lease still names us (a renewal that landed late, or an edit of another field).

        A renewal that fails is tried again: while none lands, writes stop at the renew deadline, and
        the lease is still ours when the next one lands (PUT with the resourceVersion we wrote: had
        anyone taken it over since, it would conflict)."""
        with self._lock:
            for _ in range(2):
                if self.lost or self._obj is None:
                    return
                started = self.monotonic()
                try:
                    self._obj = self.client.replace(self.path, self._body(self._obj, self.now(), 0, False))
                    self._renewed = started
                    self._retry_after = None
                    return
                except ApiError as e:
                    if e.status != 409:
                        self._retry_after = e.retry_after
                        raise
                try:
                    info, obj = read_lease(self.client, self.namespace, self.name)
                except ApiError as e:
                    self._retry_after = e.retry_after  # this answer's Retry-After, not an older one
                    raise
                if info is None or info.holder != self.identity:
                    who = info.describe(self.now()) if info is not None and info.holder else "nobody"
                    self._lose(f"lost the lease {self.name}: now held by {who}")
                    return
                self._obj = obj  # still ours: renew at once with the fresh object

    def start(self, on_lost: Callable[[str], None]) -> None:
        """Renew in the background until ``stop``; call ``on_lost`` once if the lease is lost."""
        self._on_lost = on_lost
        self._thread = threading.Thread(target=self._loop, name="lease", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        wait = self.timing.renew_every
        while not self._stop.wait(wait):
            wait = self.timing.renew_every
            try:
                self.renew()
            except ApiError:
                # tried again soon (or when the server says, Retry-After); writes stop at the deadline
                wait = self._retry_after if self._retry_after is not None else min(wait, 1.0)
            if self.lost:
                return

    def release(self) -> None:
        """Stop renewing and give the lease up (holder cleared), unless it was lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self.lost or self._obj is None:
                return
            body = self._body(self._obj, self.now(), 0, False)
            body["spec"] = {k: v for k, v in body["spec"].items() if k != "holderIdentity"}
            body["spec"]["leaseDurationSeconds"] = 1
            with contextlib.suppress(ApiError):  # else it expires by itself
                self.client.replace(self.path, body)
            self._obj = None
