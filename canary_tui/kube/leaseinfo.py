"""What a coordination.k8s.io/v1 Lease ``canary-tui-<plan>`` says, read as client-go reads it.

Expiry is never judged by comparing the holder's ``renewTime`` with our own wall clock (two machines'
clocks disagree): a lease held by someone else is expired only once its record (holder, renewTime,
transitions...) has stayed unchanged for ``leaseDurationSeconds`` on our monotonic clock since we
first saw it (``Observer``). A lease whose holder was a process of this very machine that is gone is
free at once. ``lease.Lease`` is this process's own hold on it; ``watch`` and the operator verbs only
read it, through what is here.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..core.durations import format_duration, format_time, time_or_none
from ..sanitize import clean
from .client import ApiError, ReadClient
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
        time.sleep(poll(duration, unchanged))


def poll(duration: float, unchanged: float) -> float:
    """How long to wait before reading a lease again that has been unchanged for ``unchanged`` s."""
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
