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
DURATION_ENV = "CANARY_TUI_LEASE_DURATION"  # seconds; the renewal period and deadline follow from it
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


@dataclass(frozen=True)
class Timing:
    """How long a lease lasts, how often the holder renews it, and how long it may write without a
    renewal (the renew deadline, less the time one write may take: the fencing margin)."""

    duration: float = DURATION_S
    write_timeout: float = 15.0  # connect + read timeout of one request: a write started in time lands in time

    @property
    def renew_every(self) -> float:
        return self.duration / 6

    @property
    def deadline(self) -> float:
        return self.duration * 2 / 3

    @property
    def writable(self) -> float:
        """Seconds after the start of the last renewal during which a write may still start."""
        return min(self.deadline, self.duration - self.write_timeout)


def timing(write_timeout: float) -> Timing:
    """The lease timing from $CANARY_TUI_LEASE_DURATION (default 30 s). ConfigError when unusable."""
    from .client import ConfigError

    text = os.environ.get(DURATION_ENV)
    duration = float(DURATION_S)
    if text:
        try:
            duration = float(text)
        except ValueError:
            raise ConfigError(f"{DURATION_ENV}={text!r}: want a number of seconds") from None
    t = Timing(duration, write_timeout)
    if not duration >= 1 or t.writable <= 0:
        raise ConfigError(
            f"{DURATION_ENV}={text!r}: a lease of {duration:g}s leaves no time to write "
            f"(a request may take {write_timeout:g}s); use at least {int(write_timeout * 3 / 2) + 1}s"
        )
    return t


def record_of(obj: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """What client-go compares: the lease's leader-election record (not its annotations)."""
    if obj is None:
        return None
    spec = obj.get("spec") or {}
    keys = ("holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions")
    return tuple(spec.get(k) for k in keys)


class Observer:
    """client-go's view of a lease someone else holds: its record, and since when (on this process's
    monotonic clock) that record has been unchanged. Wall clocks of other machines never count."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._record: tuple[Any, ...] | None = None
        self._since: float | None = None
        self.changes = 0  # how often the record changed while we watched (a live holder renews)

    def see(self, obj: dict[str, Any] | None) -> float:
        """Note the lease as read now; the seconds its record has been unchanged."""
        now = self.monotonic()
        record = record_of(obj)
        if self._since is None or record != self._record:
            if self._since is not None:
                self.changes += 1
            self._record, self._since = record, now
        return now - self._since

    def unchanged_for(self) -> float:
        return 0.0 if self._since is None else self.monotonic() - self._since

    def expired(self, info: LeaseInfo) -> bool:
        """Free, or unchanged for its whole duration since we first saw it."""
        return not info.holder or self.unchanged_for() >= info.duration.total_seconds()


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
        """By the wall clock: a hint only (the holder's clock may differ from ours); decisions use
        ``Observer``."""
        return self.renewed is None or now > self.renewed + self.duration

    def held(self, now: datetime) -> bool:
        """A live holder by the wall clock (a hint, for ``check``): named, not expired, and (when it is a
        process of this machine) alive."""
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


def watch_holder(
    client: ReadClient,
    namespace: str,
    name: str,
    *,
    say: Callable[[str], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[LeaseInfo | None, bool]:
    """The lease and whether a live process holds it, judged as client-go does: held when its record
    changes while we watch; not held when it is free, names a process of this machine that is gone, or
    stays unchanged for its duration on our monotonic clock. ApiError when it cannot be read."""
    observer = Observer(monotonic)
    told = False
    while True:
        info, obj = read_lease(client, namespace, name)
        if info is None or not info.holder or info.gone_here():
            return info, False
        unchanged = observer.see(obj)
        if observer.changes:
            return info, True
        duration = info.duration.total_seconds()
        if unchanged >= duration:
            return info, False
        if say is not None and not told:
            told = True
            say(f"the lease {name} names {info.holder}: waiting up to {duration:g}s to see whether it renews it")
        time.sleep(_poll(duration, unchanged))


def _poll(duration: float, unchanged: float) -> float:
    return min(max(0.05, duration / 30), 1.0, max(0.05, duration - unchanged))


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
            time.sleep(_poll(duration, unchanged))

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
