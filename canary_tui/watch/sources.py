"""Where a watcher reads the driver's state: a local state file, or the cluster (ConfigMap, Lease, pods).

Each ``read`` is one poll and never raises for what the outside world does: a missing file, a 403, a
timeout or a garbled document become ``Polled.problem`` (or ``waiting`` before there is any state),
and the watcher goes on showing the last state it read.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..core.durations import format_time, parse_time
from ..core.pods import Pod
from ..errors import InputError
from ..sanitize import clean
from .info import ago

if TYPE_CHECKING:
    from ..core.model import Plan
    from .view import ClusterView

Wall = Callable[[], float]
REAL_CLOCK_MODES = ("run", "dry-run", "rollback")  # drivers whose ``updatedAt`` is this world's time


@dataclass(frozen=True)
class Polled:
    """One poll. ``doc`` is the latest document read (the previous one when this poll failed)."""

    doc: dict[str, Any] | None
    changed: bool = False
    written_wall: float | None = None
    real_time: bool = False  # the document's times are wall-clock times (a live run), not virtual ones
    driver: str | None = None
    since: datetime | None = None
    pods: Sequence[Pod] | None = None  # read from the cluster now (None: take the document's)
    lease: str | None = None
    gone: str | None = None
    problem: str | None = None
    waiting: str | None = None
    notes: tuple[str, ...] = field(default=())


def driver_of(doc: dict[str, Any]) -> str | None:
    """Who writes the document: its ``driver`` (the Lease identity of a run), else the writing process."""
    if doc.get("driver"):
        return clean(doc["driver"], 120)
    proc = doc.get("process")
    if isinstance(proc, dict) and proc.get("user"):
        return clean(f"{proc['user']} (pid {proc.get('pid')})", 120)
    return None


def process_gone(doc: dict[str, Any]) -> str | None:
    """The writing process ran on this machine (same host name and boot) and is no longer running."""
    from ..kube.leaseinfo import alive, boot_id

    proc = doc.get("process")
    if not isinstance(proc, dict):
        return None
    pid = proc.get("pid")
    here = proc.get("host") == socket.gethostname() and proc.get("bootId") is not None
    if here and proc.get("bootId") == boot_id() and isinstance(pid, int) and not alive(pid):
        return f"the driver's process (pid {pid} on this machine) is gone"
    return None


class FileSource:
    """A state file written by ``demo``/``run``/``run --dry-run`` with ``--state-file``."""

    def __init__(self, path: Path, *, wall: Wall = time.time) -> None:
        self.path = Path(path)
        self.label = f"file {clean(str(path), 200)}"
        self.wall = wall
        self._doc: dict[str, Any] | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._written: float | None = None

    def read(self) -> Polled:
        from ..statefile import read_state_file

        try:
            st = self.path.stat()
        except FileNotFoundError:
            if self._doc is None:
                return Polled(None, waiting=f"no state file {clean(str(self.path), 200)} yet")
            return self._polled(False, problem="the state file is gone (deleted or moved)")
        except OSError as e:
            return self._polled(False, problem=f"cannot read the state file: {e.strerror or e}")
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp and self._doc is not None:
            return self._polled(False)
        try:
            doc = read_state_file(self.path)
        except InputError as e:
            return self._polled(False, problem="; ".join(str(p) for p in e.problems))
        self._doc, self._stamp, self._written = doc, stamp, st.st_mtime
        return self._polled(True)

    def _polled(self, changed: bool, problem: str | None = None) -> Polled:
        doc = self._doc
        if doc is None:
            return Polled(None, problem=problem)
        return Polled(
            doc,
            changed=changed,
            written_wall=self._written,
            real_time=doc.get("mode") in REAL_CLOCK_MODES,
            driver=driver_of(doc),
            gone=process_gone(doc),
            problem=problem,
        )


class ClusterSource:
    """The plan's ConfigMap ``canary-tui-<plan>`` (the state), its Lease (who drives), and the pods,
    read through a ``ClusterView`` (GET only)."""

    def __init__(
        self, view: ClusterView, plan: Plan, namespace: str, *, metrics: bool = False, wall: Wall = time.time
    ) -> None:
        from ..kube.leaseinfo import Observer, lease_name
        from ..kube.pods import PodReader
        from ..kube.state import configmap_name

        self.view = view
        self.plan = plan
        self.namespace = namespace
        self.cm_name = configmap_name(plan.name)
        self.lease_name = lease_name(plan.name)
        self.label = f"ConfigMap {clean(namespace, 63)}/{clean(self.cm_name, 253)}"
        self.wall = wall
        # PodReader only calls ``get``: the view is all it needs (it is typed for the kube client)
        self.pods = PodReader(cast("Any", view), plan, namespace, metrics=metrics)
        self._doc: dict[str, Any] | None = None
        self._version: str | None = None
        self._written: float | None = None
        self._polled_at: float | None = None
        self._lease_seen = Observer()  # the Lease's record, and how long it has been unchanged (monotonic)

    def read(self) -> Polled:
        from ..kube.client import ApiError
        from ..kube.state import read_configmap, stored_document

        now = self.wall()
        previous_poll, self._polled_at = self._polled_at, now
        changed = False
        problem = None
        try:
            cm = read_configmap(cast("Any", self.view), self.namespace, self.cm_name)
        except ApiError as e:
            cm, problem = None, f"cannot read {self.label}: {e}"
        if cm is None and problem is None and self._doc is None:
            return Polled(None, waiting=f"no state in {self.label} yet: no release of {self.plan.name} has started")
        if cm is not None:
            version = (cm.get("metadata") or {}).get("resourceVersion")
            if version != self._version or self._doc is None:
                try:
                    doc = stored_document(cm)
                except InputError as e:
                    doc, problem = None, "; ".join(str(p) for p in e.problems)
                if doc is not None:
                    changed = True
                    self._doc, self._version = doc, version
                    self._written = self._when_written(doc, previous_poll, now)
                elif problem is None and self._doc is None:
                    return Polled(None, waiting=f"{self.label} holds no state yet")
        elif problem is None and self._doc is not None:
            problem = f"{self.label} was deleted"
        if self._doc is None:
            return Polled(None, problem=problem)
        lease_text, driver, since, gone, lease_problem = self._lease(now)
        pods = self.pods.read(datetime.fromtimestamp(now, UTC))
        notes = []
        if pods is None and self.pods.error:
            notes.append(f"{clean(self.pods.error, 300)}; the pods shown are the driver's last")
        return Polled(
            self._doc,
            changed=changed,
            written_wall=self._written,
            real_time=True,
            driver=driver or driver_of(self._doc),
            since=since,
            pods=pods,
            lease=lease_text,
            gone=gone,
            problem=problem or lease_problem,
            notes=tuple(notes),
        )

    def _when_written(self, doc: dict[str, Any], previous_poll: float | None, now: float) -> float:
        """When the write happened on this machine's clock, as observed (client-go's rule for a lease,
        applied to the state): between the poll before the one that saw the change and now. The driver's
        ``updatedAt`` only places it within that window, since two machines' clocks may disagree by
        minutes. A state seen on the first poll counts from now: its age (and staleness) is what this
        watcher sees, never the driver's clock read against ours."""
        if previous_poll is None:
            return now
        try:
            at = parse_time(str(doc.get("updatedAt"))).timestamp()
        except ValueError:
            at = now
        return min(max(at, previous_poll), now)

    def _lease(self, now: float) -> tuple[str | None, str | None, datetime | None, str | None, str | None]:
        """(stale lease in words, holder, since, process gone, problem reading it)."""
        from ..kube.client import ApiError
        from ..kube.leaseinfo import read_lease

        try:
            info, obj = read_lease(cast("Any", self.view), self.namespace, self.lease_name)
        except ApiError as e:
            return None, None, None, None, f"cannot read Lease {self.lease_name}: {e}"
        if info is None:
            return f"there is no Lease {self.lease_name}: nothing drives this release", None, None, None, None
        if not info.holder:
            return f"Lease {self.lease_name} is free: nobody drives this release", None, info.acquired, None, None
        text = None
        unchanged = self._lease_seen.see(obj)  # client-go's rule: our clock, never the driver's renewTime
        if unchanged >= info.duration.total_seconds():
            since = format_time(info.renewed) if info.renewed else "?"
            late = ago(unchanged)
            text = f"the driver's lease expired (not renewed for {late} while watched; last renewTime {since})"
        gone = None
        if info.gone_here():
            gone = f"the driver's process (pid {info.pid} on this machine) is gone"
        who = info.holder + (f", kube user {info.user}" if info.user else "")
        return text, who, info.acquired, gone, None
