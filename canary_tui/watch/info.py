"""What a watcher knows about the driver: who it is, since when, how fresh its state is, and whether
it is stale. Pure data and one pure function (``freshness``), for the screen and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.durations import format_duration

STALE_INTERVALS = 3  # no write from the driver for this many intervals: the state is stale


@dataclass(frozen=True)
class WatchInfo:
    """One poll's view of the driver. Times in ``*_wall`` are seconds since the epoch on this machine."""

    source: str  # "ConfigMap shop/canary-tui-checkout", "file /tmp/state.json"
    refresh: float  # seconds between polls
    interval: float  # the plan's interval, in seconds
    driver: str | None = None  # the Lease holder, or the document's driver / writing process
    since: datetime | None = None  # the Lease's acquire time, or the release's start for a file
    mode: str | None = None  # the driver's mode: run, demo, dry-run
    written_wall: float | None = None  # when the driver last wrote the state
    updated: datetime | None = None  # the driver's own time in the last document (``updatedAt``)
    done: bool = False  # the release has an outcome: nothing more to write, never stale
    waiting: str | None = None  # no state yet: what the watcher waits for
    problem: str | None = None  # the last poll failed: why (the state shown is the last one read)
    lease: str | None = None  # the Lease expired or is free while the release runs: in words
    gone: str | None = None  # the driver's process is gone (seen from the same machine)


@dataclass(frozen=True)
class Freshness:
    age: float | None  # seconds since the driver last wrote (None: unknown)
    stale: str | None  # why the state is stale, in words (None: it is not)
    limit: float  # the age from which it is stale


def freshness(info: WatchInfo, now_wall: float) -> Freshness:
    """How old the driver's state is at ``now_wall``, and whether (and why) it is stale: the driver has
    not written for 3 intervals, its lease expired, or its process is gone."""
    limit = STALE_INTERVALS * info.interval
    age = None if info.written_wall is None else max(0.0, now_wall - info.written_wall)
    if info.done or info.waiting is not None:
        return Freshness(age, None, limit)
    reasons = []
    if info.gone:
        reasons.append(info.gone)
    if info.lease:
        reasons.append(info.lease)
    if age is not None and age >= limit:
        every = f"{STALE_INTERVALS} intervals of {ago(info.interval)}"
        reasons.append(f"the driver has not written for {ago(age)} (more than {every})")
    return Freshness(age, "; ".join(reasons) or None, limit)


def ago(seconds: float) -> str:
    """``4s``, ``2m5s``, ``1h0m12s``: whole seconds in Go's format."""
    return format_duration(timedelta(seconds=int(max(0.0, seconds))))
