"""The lock: a coordination.k8s.io/v1 Lease ``canary-tui-<plan>`` held by the one driving process.

A second driver is refused, naming the holder and since when. An expired lease is taken over; so is
one whose holder was a process of the same user on this machine that is gone (killed, crashed),
so a restart after a crash resumes at once. Every write first calls ``check``; a lease taken by
someone else, or not renewed in time, stops the writes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..core.durations import format_duration, format_time, time_or_none
from ..ports import WriteError
from ..sanitize import clean
from .client import ApiError, Client, ReadClient
from .resources import LEASES

DURATION_S = 30
RENEW_EVERY_S = 10.0
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
A_USER = "canary-tui/user"
A_BOOT = "canary-tui/boot-id"
A_PID = "canary-tui/pid"
A_HOST = "canary-tui/host"


def lease_name(plan_name: str) -> str:
    return f"canary-tui-{plan_name}"


def micro_time(t: datetime) -> str:
    """Kubernetes MicroTime: RFC 3339 with exactly six fractional digits."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseHeld(Exception):
    """Someone else drives this plan."""


class LeaseLost(Exception):
    """This process no longer holds the lease: it must not write."""


@dataclass(frozen=True)
class LeaseInfo:
    """A Lease as people read it."""

    holder: str | None
    acquired: datetime | None
    renewed: datetime | None
    duration: timedelta
    transitions: int
    user: str | None
    boot_id: str | None
    pid: int | None
    host: str | None = None

    def expired(self, now: datetime) -> bool:
        return self.renewed is None or now > self.renewed + self.duration

    def held(self, now: datetime) -> bool:
        """A live holder: named, not expired, and (when it is a process of this machine) alive."""
        if not self.holder or self.expired(now):
            return False
        return not self.gone_here()

    def gone_here(self) -> bool:
        """The holder was a process on this very machine that no longer runs: same host name and boot
        (pods on one node share the kernel's boot id but not their pids, so the host name counts too)."""
        here = self.host == socket.gethostname() and self.boot_id is not None and self.boot_id == boot_id()
        return here and self.pid is not None and not alive(self.pid)

    def describe(self, now: datetime) -> str:
        """``alice@laptop (pid 42), kube user alice, since 2026-...Z (renewed 4s ago)``."""
        since = format_time(self.acquired) if self.acquired else "an unknown time"
        who = self.holder or "nobody"
        if self.user:
            who += f", kube user {self.user}"
        text = f"{who}, since {since}"
        if self.renewed is not None:
            ago = max(0, int((now - self.renewed).total_seconds()))
            text += f" (renewed {format_duration(timedelta(seconds=ago))} ago)"
        return text


def read_lease(client: ReadClient, namespace: str, name: str) -> tuple[LeaseInfo | None, dict[str, Any] | None]:
    """The lease and its raw object, (None, None) when there is none."""
    try:
        obj = client.get(LEASES.path(namespace, name))
    except ApiError as e:
        if e.not_found:
            return None, None
        raise
    return parse_lease(obj), obj


def parse_lease(obj: dict[str, Any]) -> LeaseInfo:
    spec = obj.get("spec") or {}
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    pid = notes.get(A_PID)
    return LeaseInfo(
        holder=clean(spec["holderIdentity"], 120) if spec.get("holderIdentity") else None,
        acquired=time_or_none(spec.get("acquireTime")),
        renewed=time_or_none(spec.get("renewTime")),
        duration=timedelta(seconds=int(spec.get("leaseDurationSeconds") or DURATION_S)),
        transitions=int(spec.get("leaseTransitions") or 0),
        user=clean(notes[A_USER], 120) if notes.get(A_USER) else None,
        boot_id=notes.get(A_BOOT),
        pid=int(pid) if isinstance(pid, str) and pid.isdigit() else None,
        host=notes.get(A_HOST),
    )


def boot_id() -> str | None:
    try:
        return BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Is process ``pid`` running (a zombie counts as gone)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


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
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.user = user
        self.now = now
        self.lost: str | None = None
        self.fenced: str | None = None
        self.took_over: str | None = None
        self._obj: dict[str, Any] | None = None
        self._renewed: datetime | None = None
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
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=DURATION_S, renewTime=micro_time(now))
        if acquire:
            spec["acquireTime"] = micro_time(now)
            spec["leaseTransitions"] = transitions
        body["spec"] = spec
        return body

    def acquire(self) -> None:
        """Take the lease or raise LeaseHeld naming who holds it. ApiError when the server refuses."""
        with self._lock:
            now = self.now()
            info, obj = read_lease(self.client, self.namespace, self.name)
            if info is None:
                try:
                    self._obj = self.client.create(LEASES.path(self.namespace, None), self._body(None, now, 0, True))
                except ApiError as e:
                    if e.status == 409:
                        raise LeaseHeld(f"another canary-tui took the lease {self.name} at the same moment") from None
                    raise
            else:
                assert obj is not None
                if info.held(now) and info.holder != self.identity:
                    raise LeaseHeld(f"{self.name} in {self.namespace} is held by {info.describe(now)}")
                if info.holder and info.holder != self.identity:
                    why = "its process is gone" if not info.expired(now) else "it expired"
                    self.took_over = f"took over the lease from {info.holder} ({why})"
                try:
                    self._obj = self.client.replace(self.path, self._body(obj, now, info.transitions + 1, True))
                except ApiError as e:
                    if e.status == 409:
                        raise LeaseHeld(f"another canary-tui took the lease {self.name} at the same moment") from None
                    raise
            self._renewed = now

    def fence(self, reason: str) -> None:
        """Stop every write of this process from now on (the decision changed under us), though the
        lease is still ours to give back."""
        self.fenced = reason

    def check(self) -> None:
        """Raise LeaseLost unless this process still holds the lease (one GET). ApiError when unsure."""
        if self.lost or self.fenced:
            raise LeaseLost(self.lost or self.fenced or "")
        with self._lock:
            info, obj = read_lease(self.client, self.namespace, self.name)
            now = self.now()
            if info is None or info.holder != self.identity:
                who = info.describe(now) if info is not None and info.holder else "nobody (it was released or deleted)"
                self._lose(f"lost the lease {self.name}: now held by {who}")
            elif info.expired(now):
                self._lose(
                    f"lost the lease {self.name}: not renewed since "
                    + (format_time(info.renewed) if info.renewed else "?")
                )
            else:
                self._obj = obj
        if self.lost:
            raise LeaseLost(self.lost)

    def check_before_write(self) -> None:
        """``check`` for a writer: WriteError (not retryable when the lease is lost; as the server
        says when it cannot be verified)."""
        try:
            self.check()
        except LeaseLost as e:
            raise WriteError(str(e), retryable=False) from None
        except ApiError as e:
            raise WriteError(f"cannot verify the lease before writing: {e}", e.transient, e.retry_after) from None

    def _lose(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            if self._on_lost is not None:
                self._on_lost(reason)

    def renew(self) -> None:
        """Extend the lease (PUT with resourceVersion); a conflict means someone else took it."""
        with self._lock:
            if self.lost or self._obj is None:
                return
            now = self.now()
            try:
                self._obj = self.client.replace(self.path, self._body(self._obj, now, 0, False))
                self._renewed = now
                return
            except ApiError as e:
                if e.status != 409:
                    if self._renewed is not None and now - self._renewed > timedelta(seconds=DURATION_S):
                        self._lose(f"lost the lease {self.name}: could not renew it for {DURATION_S}s ({e})")
                    return
            info, obj = read_lease(self.client, self.namespace, self.name)
            if info is not None and info.holder == self.identity:
                self._obj = obj  # someone edited another field: keep it, renew next time
            else:
                who = info.describe(now) if info is not None and info.holder else "nobody"
                self._lose(f"lost the lease {self.name}: now held by {who}")

    def start(self, on_lost: Callable[[str], None]) -> None:
        """Renew in the background until ``stop``; call ``on_lost`` once if the lease is lost."""
        self._on_lost = on_lost
        self._thread = threading.Thread(target=self._loop, name="lease", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(RENEW_EVERY_S):
            with contextlib.suppress(ApiError):  # judged at the next renewal by how long it has been
                self.renew()
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
